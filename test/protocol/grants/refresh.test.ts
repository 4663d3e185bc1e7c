/**
 * refreshGrant (RFC 6749 §6): what the request carries and what a refresh keeps of the set it
 * renews.
 */
import { describe, expect, it } from 'vitest'
import { createOAuthClient, type OAuthClientOptions } from '../../../src/index.js'
import { metadata, tokenAnswer } from '../../support/as-mock.js'
import { form, useStrictMsw, failure } from '../../support/msw.js'

const msw = useStrictMsw()

const ok = { access_token: 'at', token_type: 'Bearer', expires_in: 300 }

function client(options: Partial<OAuthClientOptions> = {}) {
  return createOAuthClient({ clientId: 'svc', clientSecret: 'secret', metadata: metadata(), ...options })
}

const captureToken = (body: Record<string, unknown> = ok) => tokenAnswer(msw, body)

describe('refresh', () => {
  it('keeps the old refresh token when the response carries none', async () => {
    captureToken({ access_token: 'at2', token_type: 'bearer' })
    const set = await (await client()).refreshGrant('rt-1', { scope: 'read' })
    expect(set.refreshToken).toBe('rt-1')
    const sent = await form(msw.requests[0]!)
    expect([sent.get('grant_type'), sent.get('refresh_token'), sent.get('scope')]).toEqual(['refresh_token', 'rt-1', 'read'])
  })

  it('takes the rotated refresh token', async () => {
    captureToken({ access_token: 'at2', token_type: 'bearer', refresh_token: 'rt-2' })
    const set = await (await client()).refreshGrant({ accessToken: 'at1', tokenType: 'bearer', refreshToken: 'rt-1', extra: {} })
    expect(set.refreshToken).toBe('rt-2')
  })

  it("an answer without an ID token keeps the held one (OpenID Connect Core §12.2: the same user's): claims and the raw token", async () => {
    captureToken({ access_token: 'at2', token_type: 'bearer', refresh_token: 'rt-2' })
    const held = {
      accessToken: 'at1',
      tokenType: 'bearer',
      refreshToken: 'rt-1',
      idToken: 'eyJ.held.sig',
      idTokenClaims: { sub: 'u1' },
      extra: {},
    }
    const set = await (await client()).refreshGrant(held)
    expect([set.accessToken, set.idToken, set.idTokenClaims]).toEqual(['at2', 'eyJ.held.sig', { sub: 'u1' }])
    // Given the refresh token alone, there is nothing to keep.
    expect((await (await client()).refreshGrant('rt-1')).idTokenClaims).toBeUndefined()
  })

  it('without a refresh token is a ConfigError, not a request', async () => {
    const err = await failure((async () => (await client()).refreshGrant({ accessToken: 'a', tokenType: 'bearer', extra: {} }))())
    expect(err.code).toBe('invalid_config')
    expect(msw.requests).toHaveLength(0)
  })
})
