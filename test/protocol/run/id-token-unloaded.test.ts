/**
 * The ID token checker is a chunk (protocol/run/jws.ts) loaded the first time an ID token comes.
 * When it cannot be loaded (a deploy replaced it, the network dropped): a sign-in that asked for
 * an ID token stops before its code is redeemed, with a network_error to retry, and nothing is
 * spent; an ID token nobody required (a refresh's) is dropped with a warning and the tokens are
 * kept — a rotated refresh token must not be lost for want of a check. Nothing unchecked is
 * handed on. (The checks themselves: test/protocol/run/id-token.test.ts.)
 */
import { http } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { createOAuthClient } from '../../../src/index.js'
import { ISSUER, fakeIdToken, metadata, tokenJson } from '../../support/as-mock.js'
import { failure, fakeClock, useStrictMsw, useWarnings } from '../../support/msw.js'

vi.mock('../../../src/protocol/run/jws.js', () => {
  throw new Error('Failed to load the JWT chunk')
})

const msw = useStrictMsw()
const clock = fakeClock()
const warnings = useWarnings()
const redirectUri = 'https://app.example.com/callback'
const client = () => createOAuthClient({ clientId: 'spa', metadata: metadata(), redirectUri, clock, onWarning: warnings.onWarning })

describe('ID tokens without their chunk', () => {
  it('a sign-in with openid stops before the code is sent: network_error, and the same callback can be tried again', async () => {
    const c = await client()
    const pending = await c.buildAuthorizationUrl({ scope: 'openid' })
    const callback = `${redirectUri}?code=c&state=${pending.state}`
    for (let i = 0; i < 2; i++) {
      const err = await failure(c.completeAuthorization(callback, pending))
      // Not stale_sign_in the second time: the callback was not used up.
      expect([err.code, err.recovery]).toEqual(['network_error', 'retry'])
    }
    expect(msw.requests).toHaveLength(0)
  })

  it("a refresh whose answer carries an ID token keeps the new tokens and the held ID token's claims; the new ID token is dropped, unread", async () => {
    const c = await client()
    const now = Math.floor(clock.now() / 1000)
    msw.server.use(
      http.post(`${ISSUER}/token`, () =>
        tokenJson({
          access_token: 'at-2',
          token_type: 'bearer',
          refresh_token: 'rt-2',
          id_token: fakeIdToken({ iss: ISSUER, sub: 'someone-else', aud: 'spa', iat: now, exp: now + 60 }),
        }),
      ),
    )
    const held = { accessToken: 'at-1', tokenType: 'bearer', refreshToken: 'rt-1', idTokenClaims: { sub: 'u' }, extra: {} }
    warnings.expect('id_token_ignored')
    const fresh = await c.refreshGrant(held)
    expect([fresh.accessToken, fresh.refreshToken, fresh.idToken, fresh.idTokenClaims]).toEqual(['at-2', 'rt-2', undefined, { sub: 'u' }])
  })

  it('a sign-in without openid needs no chunk', async () => {
    const c = await client()
    const pending = await c.buildAuthorizationUrl({ scope: 'read' })
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at', token_type: 'bearer' })))
    const tokens = await c.completeAuthorization(`${redirectUri}?code=c&state=${pending.state}`, pending)
    expect(tokens.accessToken).toBe('at')
  })
})
