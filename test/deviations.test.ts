/**
 * Real servers as they are (#12, item 1, in part): deviations handled without a dialect, each
 * reported through onWarning.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { createOAuthClient } from '../src/index.js'
import { ISSUER, fakeIdToken, metadata, tokenJson } from './support/as-mock.js'
import { failure, useStrictMsw } from './support/msw.js'

const msw = useStrictMsw()

async function client() {
  const onWarning = vi.fn()
  const c = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), onWarning })
  return { c, warnings: () => onWarning.mock.calls.map((call) => call[0].code) }
}

describe('deviations of real servers', () => {
  it('null where an optional field is absent (refresh_token, scope, id_token) is read as absent', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at', token_type: 'bearer', expires_in: 300, refresh_token: null, scope: null, id_token: null })))
    const { c, warnings } = await client()
    const tokens = await c.clientCredentialsGrant()
    expect(tokens.accessToken).toBe('at')
    expect(tokens.refreshToken).toBeUndefined()
    expect(tokens.scope).toBeUndefined()
    expect(warnings()).toEqual(['null_field'])
  })

  it('an OAuth error served with HTTP 200 is that error (invalid_grant, reauthenticate), not invalid_response', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => HttpResponse.json({ error: 'invalid_grant', error_description: 'bad_refresh_token' })))
    const { c, warnings } = await client()
    const err = await failure(c.refreshGrant('rt'))
    expect(err).toMatchObject({ code: 'oauth_error', error: 'invalid_grant', recovery: 'reauthenticate', errorDescription: 'bad_refresh_token' })
    expect(warnings()).toEqual(['error_on_success_status'])
  })

  it('an API answering 403 with error="invalid_token" gets a renewal and one retry, like a 401', async () => {
    let tokens = 0
    let calls = 0
    msw.server.use(
      http.post(`${ISSUER}/token`, () => tokenJson({ access_token: `at-${++tokens}`, token_type: 'bearer', expires_in: 300 })),
      http.get('https://api.example.com/me', ({ request }) => {
        calls++
        return request.headers.get('authorization') === 'Bearer at-1'
          ? new HttpResponse(null, { status: 403, headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="revoked"' } })
          : HttpResponse.json({ ok: true })
      }),
    )
    const { c } = await client()
    const session = c.session({ grant: 'client_credentials', apiUrls: ['https://api.example.com'] })
    expect((await session.fetch('https://api.example.com/me')).status).toBe(200)
    expect({ tokens, calls }).toEqual({ tokens: 2, calls: 2 })
  })

  it('a 403 for another reason (insufficient_scope, or no challenge) is not a renewal', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at', token_type: 'bearer', expires_in: 300 })),
      http.get('https://api.example.com/forbidden', () => new HttpResponse(null, { status: 403 })),
    )
    const { c } = await client()
    const session = c.session({ grant: 'client_credentials', apiUrls: ['https://api.example.com'] })
    expect((await session.fetch('https://api.example.com/forbidden')).status).toBe(403)
    expect(msw.count('/token')).toBe(1)
  })
})

describe('a refresh stays with the signed-in user (OpenID Connect Core §12.2)', () => {
  const now = () => Math.floor(Date.now() / 1000)
  const idToken = (sub: string) => fakeIdToken({ iss: ISSUER, sub, aud: 'app', iat: now(), exp: now() + 300 })

  it('an ID token for another user from a refresh is refused (invalid_id_token); the same user passes', async () => {
    let sub = 'mallory'
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: `at-${sub}`, token_type: 'bearer', expires_in: 300, refresh_token: 'rt-2', id_token: idToken(sub) })))
    const { c } = await client()
    const signedIn = { accessToken: 'at-0', tokenType: 'bearer', expiresAt: Date.now() - 1, refreshToken: 'rt-1', idToken: idToken('alice'), idTokenClaims: { sub: 'alice', iss: ISSUER }, extra: {} }
    const session = c.session({ tokens: signedIn })
    expect(await failure(session.getAccessToken())).toMatchObject({ code: 'invalid_id_token', recovery: 'reauthenticate' })
    sub = 'alice'
    expect(await c.refreshGrant('rt-1', { expectedSubject: 'alice' })).toMatchObject({ accessToken: 'at-alice' })
  })
})

describe('token JSON with another content type (Eptura sends text/plain)', () => {
  it('is normalised exactly as JSON is: expires_in units and the lifetime ceiling included', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, () => new HttpResponse(JSON.stringify({ access_token: 'at', token_type: 'bearer', expires_in: 3_600_000, scope: 'read' }), { headers: { 'content-type': 'text/plain' } })),
    )
    const { c, warnings } = await client()
    const before = Date.now()
    const tokens = await c.clientCredentialsGrant()
    expect(tokens.accessToken).toBe('at')
    // 3,600,000 is only plausible in milliseconds: one hour, not a thousand hours.
    expect(tokens.expiresAt! - before).toBeLessThanOrEqual(3_600_000 + 1000)
    expect(warnings()).toEqual(['token_content_type', 'expires_in_unit'])
  })

  it('a text/plain body that is not JSON is still an error that says what came back', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => new HttpResponse('access_token=at&token_type=bearer', { headers: { 'content-type': 'text/plain' } })))
    const { c } = await client()
    expect(await failure(c.clientCredentialsGrant())).toMatchObject({ code: 'not_json', recovery: 'fix-config' })
  })
})
