/**
 * ID token signatures against oidc-provider's own keys while it rotates them (OpenID Connect
 * Core §10.1.1): an issuer on loopback whose provider is replaced, between two sign-ins, by
 * one that signs with a new key (and still publishes the old) — the client holds the first key
 * set, meets an unknown `kid`, fetches the set again at once and verifies. ID tokens come from
 * a plain-http token endpoint here, so they are verified by default. Strict-mock variants
 * (kid-less keys, several candidates, the refetch's rate limit): test/protocol/run/jws.test.ts.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider from 'oidc-provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOAuthClient } from '../../src/index.js'
import { USER, actAsUser, quietExpectedNotices } from '../support/authorization-server.js'

const redirectUri = 'http://127.0.0.1:4999/callback'
let server: Server
let issuer = ''

/** An RSA signing key as oidc-provider takes it (a private JWK with its kid). */
function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' }
}

/** A provider for the issuer that signs with the first of `keys` and publishes them all. */
function provider(keys: Array<Record<string, unknown>>): Provider {
  return new Provider(issuer, {
    jwks: { keys: keys as never },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: [
      {
        client_id: 'rp',
        client_secret: 'rp-secret',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    ttl: { AccessToken: 60, AuthorizationCode: 60, IdToken: 300, Grant: 300, Interaction: 300, Session: 300 },
    features: { devInteractions: { enabled: true } },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
  })
}

/** Serves the issuer with `next` from now on. */
function serveWith(next: Provider) {
  server.removeAllListeners('request')
  server.on('request', next.callback())
}

beforeAll(async () => {
  quietExpectedNotices()
  server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

describe('oidc-provider rotating its signing key', () => {
  it('between two sign-ins, and just before signing: the unknown kid fetches the key set again, and the new key verifies', async () => {
    const first = signingKey()
    const second = signingKey()
    serveWith(provider([first]))
    const endpoints: string[] = []
    const client = await createOAuthClient({
      issuer,
      clientId: 'rp',
      clientSecret: 'rp-secret',
      redirectUri,
      discoveryCache: false,
      trace: ({ endpoint }) => void endpoints.push(endpoint),
    })
    const signIn = async () => {
      const pending = await client.buildAuthorizationUrl({ scope: 'openid' })
      return client.completeAuthorization(await actAsUser(pending.url, { until: redirectUri }), pending)
    }
    const header = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }
    const before = await signIn()
    expect(header(before.idToken!).kid).toBe(first.kid)
    expect(endpoints.filter((e) => e === 'jwks')).toHaveLength(1)
    // The provider rotates: it signs with the new key from now on, and still publishes the old one.
    serveWith(provider([second, first]))
    const after = await signIn()
    expect(header(after.idToken!).kid).toBe(second.kid)
    expect(after.idTokenClaims?.sub).toBe(USER.login)
    expect(endpoints.filter((e) => e === 'jwks')).toHaveLength(2)
    // Once more with the same key: the set held has it, no fetch.
    await signIn()
    expect(endpoints.filter((e) => e === 'jwks')).toHaveLength(2)
  })
})
