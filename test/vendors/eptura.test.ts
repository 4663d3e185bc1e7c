import { describe, expect, it } from 'vitest'
import { createOAuthClient } from '../../src/index.js'
import { epturaPreset, requestEpturaCode } from '../../src/entries/dialects.js'
import { epturaServer } from '../../src/entries/testing.js'
import { fakeClock, useStrictMsw, failure, useWarnings } from '../support/msw.js'

const msw = useStrictMsw()
// The vendors follow their documents: their flows raise no deviation warning.
const warnings = useWarnings()
const site = 'https://acme.eptura.example'
const redirectUri = 'https://app.example.com/eptura/callback'
const user = { login: 'ann', password: 'pw-ann' }

function setup() {
  const server = epturaServer({
    site,
    clients: [
      { clientId: 'js-app', redirectUris: [redirectUri] },
      { clientId: 'web-app', clientSecret: 'web-secret', redirectUris: [redirectUri] },
    ],
    users: { [user.login]: user.password },
  })
  msw.server.use(...server.handlers)
  return server
}

const preset = () => epturaPreset({ site, redirectUri, scope: 'email' })

describe('Eptura Workplace', () => {
  it('browser sign-in: exactly five parameters to login.html, the code and appCode from the fragment', async () => {
    const server = setup()
    const client = await createOAuthClient({ onWarning: warnings.onWarning, ...preset(), clientId: 'js-app' })
    const pending = await client.buildAuthorizationUrl({ scope: 'email' })
    const url = new URL(pending.url)
    expect(`${url.origin}${url.pathname}`).toBe(`${site}/login.html`)
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'redirect_uri', 'response_type', 'scope', 'state'])
    const back = await server.approve(pending.url, { user: user.login })
    expect(new URL(back).hash).toMatch(/^#code=.+&appCode=/)
    const before = Date.now()
    const tokens = await client.completeAuthorization(back, pending)
    expect(tokens.extra.appCode).toMatch(/^APP-/)
    expect(tokens.refreshToken).toBeTruthy()
    // expires_in came in milliseconds (3,600,000): one hour, not 41 days
    expect(tokens.expiresAt! - before).toBeGreaterThan(3_590_000)
    expect(tokens.expiresAt! - before).toBeLessThanOrEqual(3_600_000 + 1000)
  })

  it('without a browser: the x-auth-* code request, then the header-only token exchange', async () => {
    setup()
    const code = await requestEpturaCode({
      site,
      username: user.login,
      password: user.password,
      clientId: 'web-app',
      redirectUri,
      scope: 'email',
    })
    const client = await createOAuthClient({ onWarning: warnings.onWarning, ...preset(), clientId: 'web-app', clientSecret: 'web-secret' })
    const tokens = await client.exchangeCode({ code })
    expect(tokens.accessToken).toMatch(/^at-/)
    const tokenRequest = msw.requests.find((r) => r.url.endsWith('/oauth2/token'))!
    expect(await tokenRequest.text()).toBe('')
    expect(tokenRequest.headers.get('x-grant-type')).toBe('authorization_code')
    expect(tokenRequest.headers.get('x-auth-code')).toBe(code)
    expect(tokenRequest.headers.get('x-scope')).toBe('email')
    expect(tokenRequest.headers.get('content-type')).toBe('application/json')
  })

  it('a site under a path prefix: the code request goes where the preset sends the token request (the path kept)', async () => {
    const prefixed = 'https://eptura.example/acme'
    const server = epturaServer({
      site: prefixed,
      clients: [{ clientId: 'web-app', clientSecret: 'web-secret', redirectUris: [redirectUri] }],
      users: { [user.login]: user.password },
    })
    msw.server.use(...server.handlers)
    const code = await requestEpturaCode({
      site: prefixed,
      username: user.login,
      password: user.password,
      clientId: 'web-app',
      redirectUri,
      scope: 'email',
    })
    expect(msw.requests.map((r) => r.url)).toEqual([`${prefixed}/external/api/oauth2/auth`])
    const client = await createOAuthClient({
      onWarning: warnings.onWarning,
      ...epturaPreset({ site: prefixed, redirectUri, scope: 'email' }),
      clientId: 'web-app',
      clientSecret: 'web-secret',
    })
    expect((await client.exchangeCode({ code })).accessToken).toMatch(/^at-/)
  })

  it('a wrong password at the code request is a typed error without the password in it', async () => {
    setup()
    const err = await failure(
      requestEpturaCode({ site, username: user.login, password: 'wrong-pass', clientId: 'web-app', redirectUri, scope: 'email' }),
    )
    expect(err.status).toBe(401)
    expect(err.message).not.toContain('wrong-pass')
  })

  it('refresh in headers with rotation; the rotated-out refresh token is refused', async () => {
    const server = setup()
    const client = await createOAuthClient({ onWarning: warnings.onWarning, ...preset(), clientId: 'js-app' })
    const pending = await client.buildAuthorizationUrl({ scope: 'email' })
    const tokens = await client.completeAuthorization(await server.approve(pending.url, { user: user.login }), pending)
    const refreshed = await client.refreshGrant(tokens)
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken)
    const refreshRequest = msw.requests.filter((r) => r.url.endsWith('/oauth2/token')).at(-1)!
    expect(refreshRequest.headers.get('x-grant-type')).toBe('refresh_token')
    expect(refreshRequest.headers.get('x-redirect-uri')).toBe(redirectUri)
    expect(refreshRequest.headers.get('x-refresh-token')).toBe(tokens.refreshToken)
    expect((await failure(client.refreshGrant(tokens))).error).toBe('invalid_grant')
  })

  it('revocation with the single x-token header', async () => {
    const server = setup()
    const client = await createOAuthClient({ onWarning: warnings.onWarning, ...preset(), clientId: 'js-app' })
    const pending = await client.buildAuthorizationUrl({ scope: 'email' })
    const tokens = await client.completeAuthorization(await server.approve(pending.url, { user: user.login }), pending)
    await client.revokeToken(tokens.accessToken)
    const revoke = msw.requests.find((r) => r.url.endsWith('/oauth2/revoke'))!
    expect(revoke.headers.get('x-token')).toBe(tokens.accessToken)
    expect(await revoke.text()).toBe('')
    expect(server.stats.revoked).toEqual([tokens.accessToken])
  })

  it('the authorized fetch calls users/me and refreshes automatically with millisecond expiry and rotation', async () => {
    const server = setup()
    const clock = fakeClock(Date.now())
    const client = await createOAuthClient({ onWarning: warnings.onWarning, ...preset(), clientId: 'js-app', clock })
    const pending = await client.buildAuthorizationUrl({ scope: 'email' })
    const tokens = await client.completeAuthorization(await server.approve(pending.url, { user: user.login }), pending)
    const session = client.session({ tokens, apiUrls: [`${site}/external/api/rest/v2`] })
    expect((await session.fetch(`${site}/external/api/rest/v2/users/me`)).status).toBe(200)
    clock.advance(3_600_000) // the hour passed: renewal before the call, not 41 days later
    expect((await session.fetch(`${site}/external/api/rest/v2/users/me`)).status).toBe(200)
    server.expireAccessTokens() // and a 401 also renews, with the rotated refresh token
    expect(await (await session.fetch(`${site}/external/api/rest/v2/users/me`)).json()).toMatchObject({ userName: user.login })
    expect(server.stats.grants).toEqual(['authorization_code', 'refresh_token', 'refresh_token'])
  })

  it('the emulator is strict: a standard client (parameters in the body, PKCE) is refused', async () => {
    const server = setup()
    const plain = await createOAuthClient({
      onWarning: warnings.onWarning,
      clientId: 'js-app',
      endpoints: { token: `${site}/external/api/oauth2/token`, authorization: `${site}/login.html` },
      redirectUri,
    })
    const pending = await plain.buildAuthorizationUrl({ scope: 'email' })
    await expect(server.approve(pending.url, { user: user.login })).rejects.toThrow(/exactly/)
    const code = await requestEpturaCode({
      site,
      username: user.login,
      password: user.password,
      clientId: 'js-app',
      redirectUri,
      scope: 'email',
    })
    const err = await failure(plain.exchangeCode({ code }))
    expect(err, err.message).toMatchObject({ error: 'invalid_request', status: 400 })
    expect(err.errorDescription).toMatch(/not from the body/)
  })
})
