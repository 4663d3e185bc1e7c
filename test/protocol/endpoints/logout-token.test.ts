/**
 * validateLogoutToken (OpenID Connect Back-Channel Logout 1.0 §2.6) on strict mocks: a token as
 * the OpenID Provider posts it is accepted and says whom to sign out; each of the spec's
 * checks refuses its variant with `invalid_logout_token`, and a replay is refused by the `seen`
 * hook. Against oidc-provider's own back-channel logout: test/e2e/oidc-provider.test.ts.
 */
import { randomUUID } from 'node:crypto'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { createOAuthClient, validateLogoutToken } from '../../../src/index.js'
import { ISSUER, metadata } from '../../support/as-mock.js'
import { failure, useStrictMsw } from '../../support/msw.js'
import { b64, key, signedJwt } from '../../support/jwt.js'

const msw = useStrictMsw()
const EVENT = 'http://schemas.openid.net/event/backchannel-logout'
const signer = key('RS256')

async function setup() {
  const jwks = `${ISSUER}/jwks/${randomUUID()}`
  msw.server.use(http.get(jwks, () => HttpResponse.json({ keys: [signer.jwk] })))
  const client = await createOAuthClient({ clientId: 'app', clientSecret: 's', metadata: metadata(ISSUER, { jwks_uri: jwks }) })
  return client.context
}

const now = () => Math.floor(Date.now() / 1000)
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: 'app',
  iat: now(),
  jti: randomUUID(),
  events: { [EVENT]: {} },
  sub: 'ada',
  sid: 'session-1',
  ...extra,
})
const token = (extra: Record<string, unknown> = {}, header: Record<string, unknown> = { typ: 'logout+jwt' }) =>
  signedJwt(signer, claims(extra), header)

describe('validateLogoutToken', () => {
  it('a token as the provider posts it: accepted, saying whom to sign out (sub, sid)', async () => {
    const ctx = await setup()
    expect(await validateLogoutToken(ctx, token())).toMatchObject({ iss: ISSUER, sub: 'ada', sid: 'session-1' })
    // Only a sid, or only a sub, is enough (§2.4).
    expect(await validateLogoutToken(ctx, token({ sub: undefined }))).toMatchObject({ sid: 'session-1' })
    expect(await validateLogoutToken(ctx, token({ sid: undefined }))).toMatchObject({ sub: 'ada' })
  })

  const refused: Array<[string, () => string]> = [
    ['another issuer', () => token({ iss: 'https://evil.example' })],
    ['another audience', () => token({ aud: 'other-app' })],
    ['no iat', () => token({ iat: undefined })],
    ['an iat an hour old', () => token({ iat: now() - 3600 })],
    ['an iat an hour ahead', () => token({ iat: now() + 3600 })],
    ['an exp past', () => token({ exp: now() - 10 })],
    ['no jti', () => token({ jti: undefined })],
    ['no events', () => token({ events: undefined })],
    ['another event', () => token({ events: { 'https://example.com/other': {} } })],
    ['the event not an object', () => token({ events: { [EVENT]: 'yes' } })],
    ['neither sub nor sid', () => token({ sub: undefined, sid: undefined })],
    ['a nonce (an ID token)', () => token({ nonce: 'n-0S6_WzA2Mj' })],
    ['typ of another kind', () => token({}, { typ: 'at+jwt' })],
    ['alg none', () => `${b64({ alg: 'none', typ: 'logout+jwt' })}.${b64(claims())}.`],
    ['a signature that does not match', () => token().replace(/\.[^.]+$/, `.${Buffer.from('forged').toString('base64url')}`)],
    ['signed by another key', () => signedJwt(key('RS256', signer.kid), claims(), { typ: 'logout+jwt' })],
    ['not a JWT', () => 'logout'],
  ]
  for (const [name, make] of refused) {
    it(`${name}: invalid_logout_token`, async () => {
      const ctx = await setup()
      expect(await failure(validateLogoutToken(ctx, make()))).toMatchObject({ code: 'invalid_logout_token', recovery: 'fix-config' })
    })
  }

  it('a replay is refused by the seen hook, which remembers each jti until the token could no longer be accepted', async () => {
    const ctx = await setup()
    const seen = new Map<string, number>()
    const hook = (jti: string, until: number) => {
      if (seen.has(jti)) return true
      seen.set(jti, until)
      return false
    }
    const once = token()
    expect(await validateLogoutToken(ctx, once, { seen: hook })).toMatchObject({ sub: 'ada' })
    expect([...seen.values()][0]).toBeGreaterThan(Date.now())
    expect(await failure(validateLogoutToken(ctx, once, { seen: hook }))).toMatchObject({ code: 'invalid_logout_token' })
  })
})
