/**
 * The ID token's signature checked with the server's keys (protocol/run/jws.ts, OpenID Connect
 * Core §3.1.3.7 (6)), on strict mocks: when it is checked (asked, or a token endpoint without
 * TLS), the algorithms, the key chosen (a `kid`, none, several), keys rotated between two
 * sign-ins and just before signing, the refetch's rate limit, and every failure as
 * `invalid_id_token`. Against oidc-provider's own keys: test/e2e/oidc-provider.test.ts.
 */
import { randomUUID } from 'node:crypto'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { createOAuthClient, type OAuthClientOptions } from '../../../src/index.js'
import { ISSUER, metadata, tokenJson } from '../../support/as-mock.js'
import { failure, useStrictMsw } from '../../support/msw.js'
import { b64, key, signedJwt, type Key } from '../../support/jwt.js'

const msw = useStrictMsw()
const redirectUri = 'https://app.example.com/callback'

/**
 * A server whose key set is `published()` (read at each fetch) and whose token endpoint signs
 * with `signer()`. Each has a key set URL of its own: the keys held are per URL, for every client.
 */
function server(published: () => Key[], signer: () => Key, token: (jwt: string) => string = (jwt) => jwt) {
  let fetched = 0
  const jwks = `${ISSUER}/jwks/${randomUUID()}`
  msw.server.use(
    http.get(jwks, () => {
      fetched++
      return HttpResponse.json({ keys: published().map((k) => k.jwk) })
    }),
  )
  return {
    fetched: () => fetched,
    async signIn(options: Partial<OAuthClientOptions> = {}, meta: Record<string, unknown> = {}) {
      const client = await createOAuthClient({
        clientId: 'app',
        metadata: metadata(ISSUER, {
          jwks_uri: jwks,
          id_token_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
          ...meta,
        }),
        redirectUri,
        verifyIdTokens: true,
        ...options,
      })
      const pending = await client.buildAuthorizationUrl({ scope: 'openid' })
      const now = Math.floor(Date.now() / 1000)
      const jwt = signedJwt(signer(), { iss: ISSUER, sub: 'ada', aud: 'app', iat: now, exp: now + 300, nonce: pending.nonce })
      const endpoint = String(meta.token_endpoint ?? `${ISSUER}/token`)
      msw.server.use(http.post(endpoint, () => tokenJson({ access_token: 'at', token_type: 'bearer', id_token: token(jwt) })))
      return client.completeAuthorization(`${redirectUri}?code=c&state=${pending.state}`, pending)
    },
  }
}

describe('the ID token signature', () => {
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA'] as const) {
    it(`${alg}: verified with the key of its kid; the key set fetched once for two sign-ins`, async () => {
      const signer = key(alg)
      const s = server(
        () => [key(alg), signer],
        () => signer,
      )
      expect((await s.signIn()).idTokenClaims?.sub).toBe('ada')
      expect((await s.signIn()).idTokenClaims?.sub).toBe('ada')
      expect(s.fetched()).toBeLessThanOrEqual(1)
    })
  }

  it('one key without kid, and an ID token without kid: that key is used', async () => {
    const only = key('RS256', undefined)
    const s = server(
      () => [only],
      () => only,
    )
    expect((await s.signIn()).idTokenClaims?.sub).toBe('ada')
  })

  it('several keys without kid: each is tried in turn, the one that verifies is taken', async () => {
    const right = key('ES256', undefined)
    const s = server(
      () => [key('ES256', undefined), key('ES256', undefined), right],
      () => right,
    )
    expect((await s.signIn()).idTokenClaims?.sub).toBe('ada')
  })

  it('a key rotated between two sign-ins: the unknown kid fetches the set again at once', async () => {
    const first = key('RS256')
    const second = key('RS256')
    let now = [first]
    let signing = first
    const s = server(
      () => now,
      () => signing,
    )
    await s.signIn()
    now = [second]
    signing = second
    expect((await s.signIn()).idTokenClaims?.sub).toBe('ada')
    expect(s.fetched()).toBe(2)
  })

  it('a key rotated just before signing: the set held has the old key only, the token the new one', async () => {
    const old = key('ES256')
    const fresh = key('ES256')
    let published = [old]
    let signing = old
    const s = server(
      () => published,
      () => signing,
    )
    // The set is fetched (and held) with the old key only; then the server rotates and signs with the new one.
    await s.signIn()
    published = [old, fresh]
    signing = fresh
    expect((await s.signIn()).idTokenClaims?.sub).toBe('ada')
    expect(s.fetched()).toBe(2)
  })

  it('made-up kids fetch the set again at most five times a minute', async () => {
    const real = key('RS256')
    const s = server(
      () => [real],
      () => key('RS256'),
    )
    for (let i = 0; i < 8; i++) expect((await failure(s.signIn())).code).toBe('invalid_id_token')
    expect(s.fetched()).toBeLessThanOrEqual(6)
  })

  it('every fault is invalid_id_token: a bad signature, a key of another type, an HMAC, no jwks_uri', async () => {
    const signer = key('RS256')
    const tampered = server(
      () => [signer],
      () => signer,
      (jwt) =>
        jwt.replace(/\.([^.]+)\./, (_, p: string) => `.${b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'eve' })}.`),
    )
    const cases = [
      () => tampered.signIn(),
      () =>
        server(
          () => [key('ES256', 'k1')],
          () => key('RS256', 'k1'),
        ).signIn(),
      () =>
        server(
          () => [signer],
          () => signer,
          (jwt) => `${b64({ alg: 'HS256', typ: 'JWT' })}.${jwt.split('.')[1]}.bWFj`,
        ).signIn({}, { id_token_signing_alg_values_supported: ['HS256'] }),
      () =>
        server(
          () => [signer],
          () => signer,
        ).signIn({}, { jwks_uri: undefined }),
    ]
    for (const run of cases) expect(await failure(run())).toMatchObject({ code: 'invalid_id_token', recovery: 'reauthenticate' })
  })

  it('from an https token endpoint it is not checked unless asked (TLS vouches for it); from one without TLS, always', async () => {
    const signer = key('RS256')
    const s = server(
      () => [signer],
      () => signer,
      (jwt) => `${jwt.slice(0, jwt.lastIndexOf('.'))}.bm90LXNpZ25lZA`,
    )
    expect((await s.signIn({ verifyIdTokens: undefined })).idTokenClaims?.sub).toBe('ada')
    expect(s.fetched()).toBe(0)
    const plain = { token_endpoint: 'http://127.0.0.1:9/token' }
    expect(await failure(s.signIn({ verifyIdTokens: undefined }, plain))).toMatchObject({ code: 'invalid_id_token' })
    expect(s.fetched()).toBe(1)
  })
})
