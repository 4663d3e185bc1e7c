/**
 * Real servers as they are (#12, item 1, in part): deviations handled without a dialect, each
 * reported through onWarning.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { composeDialects, createOAuthClient, defineDialect } from '../src/index.js'
import { ISSUER, fakeIdToken, metadata, tokenJson } from './support/as-mock.js'
import { failure, form, useStrictMsw } from './support/msw.js'

const msw = useStrictMsw()
const lastForm = () =>
  form(
    msw.requests
      .filter((r) => new URL(r.url).pathname === '/token')
      .at(-1)!
      .clone(),
  )

async function client() {
  const onWarning = vi.fn()
  const c = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), onWarning })
  return { c, warnings: () => onWarning.mock.calls.map((call) => call[0].code) }
}

describe('deviations of real servers', () => {
  it('null where an optional field is absent (refresh_token, scope, id_token) is read as absent', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, () =>
        tokenJson({ access_token: 'at', token_type: 'bearer', expires_in: 300, refresh_token: null, scope: null, id_token: null }),
      ),
    )
    const { c, warnings } = await client()
    const tokens = await c.clientCredentialsGrant()
    expect(tokens.accessToken).toBe('at')
    expect(tokens.refreshToken).toBeUndefined()
    expect(tokens.scope).toBeUndefined()
    expect(warnings()).toEqual(['null_field'])
  })

  it('an OAuth error served with HTTP 200 is that error (invalid_grant, reauthenticate), not invalid_response', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, () => HttpResponse.json({ error: 'invalid_grant', error_description: 'bad_refresh_token' })),
    )
    const { c, warnings } = await client()
    const err = await failure(c.refreshGrant('rt'))
    expect(err).toMatchObject({
      code: 'oauth_error',
      error: 'invalid_grant',
      recovery: 'reauthenticate',
      errorDescription: 'bad_refresh_token',
    })
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
          ? new HttpResponse(null, {
              status: 403,
              headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="revoked"' },
            })
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
    msw.server.use(
      http.post(`${ISSUER}/token`, () =>
        tokenJson({ access_token: `at-${sub}`, token_type: 'bearer', expires_in: 300, refresh_token: 'rt-2', id_token: idToken(sub) }),
      ),
    )
    const { c } = await client()
    const signedIn = {
      accessToken: 'at-0',
      tokenType: 'bearer',
      expiresAt: Date.now() - 1,
      refreshToken: 'rt-1',
      idToken: idToken('alice'),
      idTokenClaims: { sub: 'alice', iss: ISSUER },
      extra: {},
    }
    const session = c.session({ tokens: signedIn })
    expect(await failure(session.getAccessToken())).toMatchObject({ code: 'invalid_id_token', recovery: 'reauthenticate' })
    sub = 'alice'
    expect(await c.refreshGrant('rt-1', { expectedSubject: 'alice' })).toMatchObject({ accessToken: 'at-alice' })
  })
})

describe('token JSON with another content type (Eptura sends text/plain)', () => {
  it('is normalised exactly as JSON is: the declared expires_in unit and the lifetime ceiling included', async () => {
    const body = (expires_in: number) =>
      new HttpResponse(JSON.stringify({ access_token: 'at', token_type: 'bearer', expires_in, scope: 'read' }), {
        headers: { 'content-type': 'text/plain' },
      })
    let expiresIn = 3_600_000
    msw.server.use(http.post(`${ISSUER}/token`, () => body(expiresIn)))
    const onWarning = vi.fn()
    const dialect = defineDialect({ name: 'Eptura-like', expiresIn: { unit: 'milliseconds' } })
    const c = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), onWarning, dialect })
    const before = Date.now()
    const tokens = await c.clientCredentialsGrant()
    // 3,600,000 ms is one hour, not a thousand hours.
    expect(tokens.expiresAt! - before).toBeGreaterThanOrEqual(3_600_000 - 1000)
    expect(tokens.expiresAt! - before).toBeLessThanOrEqual(3_600_000 + 1000)
    expect(onWarning.mock.calls.map((call) => call[0].code)).toEqual(['token_content_type'])
    expiresIn = 1e15
    const capped = await c.clientCredentialsGrant()
    expect(Math.round((capped.expiresAt! - Date.now()) / 1000 / 86_400)).toBe(365)
    expect(onWarning.mock.calls.map((call) => call[0].code)).toEqual(['token_content_type', 'token_content_type', 'expires_in_implausible'])
  })

  it('a text/plain body that is not JSON is still an error that says what came back', async () => {
    msw.server.use(
      http.post(
        `${ISSUER}/token`,
        () => new HttpResponse('access_token=at&token_type=bearer', { headers: { 'content-type': 'text/plain' } }),
      ),
    )
    const { c } = await client()
    expect(await failure(c.clientCredentialsGrant())).toMatchObject({ code: 'not_json', recovery: 'fix-config' })
  })
})

describe('scope as servers send it', () => {
  it('comma-separated scopes are read as spaces (the raw value kept in extra.scope), with a warning', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at', token_type: 'bearer', scope: 'repo,read:user, gist' })),
    )
    const { c, warnings } = await client()
    const tokens = await c.clientCredentialsGrant({ scope: 'repo read:user gist' })
    expect(tokens.scope).toBe('repo read:user gist')
    expect(tokens.extra.scope).toBe('repo,read:user, gist')
    expect(warnings()).toEqual(['scope_commas'])
  })

  it('an absent scope is the scope requested (RFC 6749 §5.1), silently; none requested, none known', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at', token_type: 'bearer', refresh_token: 'rt-2' })))
    const { c, warnings } = await client()
    expect((await c.clientCredentialsGrant({ scope: 'read write' })).scope).toBe('read write')
    expect((await c.clientCredentialsGrant()).scope).toBeUndefined()
    expect((await c.passwordGrant({ username: 'u', password: 'p', scope: 'read' })).scope).toBe('read')
    expect(warnings()).toEqual([])
  })

  it('a refresh keeps the scope held (RFC 6749 §6), asks for none, and takes a narrower one when asked', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at-2', token_type: 'bearer' })))
    const { c } = await client()
    const held = { accessToken: 'at-1', tokenType: 'bearer', refreshToken: 'rt-1', scope: 'openid read write', extra: {} }
    const fresh = await c.refreshGrant(held)
    expect(fresh).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-1', scope: 'openid read write' })
    expect((await lastForm()).has('scope')).toBe(false)
    expect((await c.refreshGrant(held, { scope: 'read' })).scope).toBe('read')
    expect((await lastForm()).get('scope')).toBe('read')
    // Given the refresh token alone, nothing is known of the scope.
    expect((await c.refreshGrant('rt-1')).scope).toBeUndefined()
  })

  it('an authorization code exchange without scope in the answer has the scope the sign-in asked for', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at', token_type: 'bearer' })))
    const { c } = await client()
    const pending = await c.buildAuthorizationUrl({ redirectUri: 'https://app.example/cb', scope: 'profile read' })
    expect(pending.scope).toBe('profile read')
    const tokens = await c.completeAuthorization(`https://app.example/cb?code=c&state=${pending.state}`, pending)
    expect(tokens.scope).toBe('profile read')
  })
})

describe("a vendor's own error codes, mapped by its dialect", () => {
  const dialect = defineDialect({
    name: 'Vendor',
    errors: { refresh_token_not_found: 'invalid_grant', rate_limited: 'temporarily_unavailable' },
  })

  it('refresh_token_not_found becomes invalid_grant (reauthenticate), the vendor code kept in errorDescription', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, () =>
        tokenJson({ error: 'refresh_token_not_found', error_description: 'no such token' }, { status: 400 }),
      ),
    )
    const c = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), dialect })
    const err = await failure(c.refreshGrant('rt'))
    expect(err).toMatchObject({
      code: 'oauth_error',
      error: 'invalid_grant',
      recovery: 'reauthenticate',
      errorDescription: 'refresh_token_not_found: no such token',
    })
    // Without the mapping it is what the server said: an unknown code, a configuration matter.
    const plain = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata() })
    expect(await failure(plain.refreshGrant('rt'))).toMatchObject({ error: 'refresh_token_not_found', recovery: 'fix-config' })
  })

  it('a session then forgets the dead refresh token and asks for sign-in once; mapped codes work on a 200 too', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => HttpResponse.json({ error: 'refresh_token_not_found' })))
    const c = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), dialect })
    const session = c.session({
      tokens: { accessToken: 'at', tokenType: 'bearer', expiresAt: Date.now() - 1, refreshToken: 'rt', extra: {} },
    })
    const signIn = vi.fn()
    session.on('sign-in-required', signIn)
    for (let i = 0; i < 3; i++) expect(await failure(session.getAccessToken())).toMatchObject({ code: 'sign_in_required' })
    expect(msw.count('/token')).toBe(1)
    expect(signIn).toHaveBeenCalledTimes(1)
  })

  it('composed dialects merge their maps; an unmapped code and a body that is not JSON pass unchanged', async () => {
    const both = composeDialects(dialect, { name: 'more', errors: { bad_secret: 'invalid_client' } })
    expect(both.errors).toEqual({
      refresh_token_not_found: 'invalid_grant',
      rate_limited: 'temporarily_unavailable',
      bad_secret: 'invalid_client',
    })
    let reply = () => tokenJson({ error: 'bad_secret' }, { status: 401 })
    msw.server.use(http.post(`${ISSUER}/token`, () => reply()))
    const c = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), dialect: both })
    expect(await failure(c.clientCredentialsGrant())).toMatchObject({ error: 'invalid_client', recovery: 'fix-config' })
    reply = () => tokenJson({ error: 'toString' }, { status: 400 })
    expect(await failure(c.clientCredentialsGrant())).toMatchObject({ error: 'toString' })
    reply = () => new HttpResponse('{"error": nope', { status: 503, headers: { 'content-type': 'application/json' } })
    expect(await failure(c.clientCredentialsGrant())).toMatchObject({ code: 'unexpected_status', recovery: 'retry' })
  })
})

describe('implicit-flow leftovers in the callback are refused, and nothing is redeemed', () => {
  const cases = {
    'an access_token in the query': (state: string) => `https://app.example/cb?code=c&state=${state}&access_token=injected`,
    'an id_token in the fragment beside a query code': (state: string) => `https://app.example/cb?code=c&state=${state}#id_token=injected`,
    'an access_token in the fragment beside a query code': (state: string) =>
      `https://app.example/cb?code=c&state=${state}#access_token=injected&token_type=bearer`,
  }
  for (const [name, url] of Object.entries(cases)) {
    it(name, async () => {
      const { c } = await client()
      const pending = await c.buildAuthorizationUrl({ redirectUri: 'https://app.example/cb', scope: 'read' })
      const err = await failure(c.completeAuthorization(url(pending.state), pending))
      expect(err).toMatchObject({ code: 'invalid_response', recovery: 'fix-config' })
      expect(err.message).toMatch(/access_token|id_token/)
      expect(err.message).not.toContain('injected')
      expect(msw.count('/token')).toBe(0)
    })
  }

  it("the application's own hash route beside a query code is no leftover", async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at', token_type: 'bearer' })))
    const { c } = await client()
    const pending = await c.buildAuthorizationUrl({ redirectUri: 'https://app.example/cb' })
    expect(await c.completeAuthorization(`https://app.example/cb?code=c&state=${pending.state}#/inbox?tab=2`, pending)).toMatchObject({
      accessToken: 'at',
    })
  })
})

describe('sign-in-required is news once', () => {
  it('emitted when the grant is lost, not again on each later call, and again after a new sign-in is lost', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ error: 'invalid_grant' }, { status: 400 })))
    const { c } = await client()
    const expired = (rt: string) => ({
      accessToken: `at-${rt}`,
      tokenType: 'bearer',
      expiresAt: Date.now() - 1,
      refreshToken: rt,
      extra: {},
    })
    const session = c.session({ tokens: expired('rt-1') })
    const signIn = vi.fn()
    session.on('sign-in-required', signIn)
    for (let i = 0; i < 3; i++) await failure(session.getAccessToken())
    expect(signIn).toHaveBeenCalledTimes(1)
    await session.setTokens(expired('rt-2'))
    for (let i = 0; i < 2; i++) await failure(session.getAccessToken())
    expect(signIn).toHaveBeenCalledTimes(2)
    expect(msw.count('/token')).toBe(2)
  })
})

describe('userinfo served as a signed JWT (OpenID Connect Core §5.3.2)', () => {
  const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
  async function keys() {
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
    const jwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid: 'k1', use: 'sig', alg: 'ES256' }
    const sign = async (claims: object, header: object = { alg: 'ES256', kid: 'k1', typ: 'JWT' }) => {
      const input = `${b64(header)}.${b64(claims)}`
      const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new TextEncoder().encode(input))
      return `${input}.${Buffer.from(signature).toString('base64url')}`
    }
    return { jwk, sign }
  }
  const claims = { iss: ISSUER, aud: 'app', sub: 'u1', email: 'u1@example.com' }
  const jwtAnswer = (jwt: string) => new HttpResponse(jwt, { headers: { 'content-type': 'application/jwt' } })

  it("is verified against the server's jwks_uri keys, then its claims returned", async () => {
    const { jwk, sign } = await keys()
    const jwt = await sign(claims)
    msw.server.use(
      http.get(`${ISSUER}/userinfo`, () => jwtAnswer(jwt)),
      http.get(`${ISSUER}/jwks`, () => HttpResponse.json({ keys: [jwk] })),
    )
    const spans: string[] = []
    const c = await createOAuthClient({
      clientId: 'app',
      clientSecret: 'secret',
      metadata: metadata(),
      trace: ({ operation, endpoint }) => void spans.push(`${endpoint}: ${operation}`),
    })
    expect(await c.fetchUserInfo('at', { expectedSubject: 'u1' })).toMatchObject({ sub: 'u1', email: 'u1@example.com' })
    expect(msw.count('/jwks')).toBe(1)
    // The keys are fetched as an operation of their own: traced (and seen by a dialect) as jwks, not as userinfo.
    expect(spans).toEqual(['userinfo: userinfo', 'jwks: fetching the signing keys'])
  })

  it('a jwks_uri that answers with an error is a typed error naming what failed', async () => {
    const { sign } = await keys()
    const jwt = await sign(claims)
    msw.server.use(
      http.get(`${ISSUER}/userinfo`, () => jwtAnswer(jwt)),
      http.get(`${ISSUER}/jwks`, () => new HttpResponse('gone', { status: 404 })),
    )
    const { c } = await client()
    const err = await failure(c.fetchUserInfo('at', { expectedSubject: 'u1' }))
    expect(err.message).toMatch(/^fetching the signing keys failed/)
    expect(err.status).toBe(404)
  })

  it('a bad signature, a key the server does not publish, an HMAC or an unsigned JWT is refused', async () => {
    const signer = await keys()
    const other = await keys()
    const good = await signer.sign(claims)
    const [header, payload] = good.split('.')
    const answers = {
      'a tampered payload': `${header}.${b64({ ...claims, sub: 'admin' })}.${good.split('.')[2]}`,
      'signed by another key': await other.sign(claims),
      HS256: `${b64({ alg: 'HS256', typ: 'JWT' })}.${payload}.${b64('mac')}`,
      none: `${b64({ alg: 'none' })}.${payload}.`,
    }
    let answer = ''
    msw.server.use(
      http.get(`${ISSUER}/userinfo`, () => jwtAnswer(answer)),
      http.get(`${ISSUER}/jwks`, () => HttpResponse.json({ keys: [signer.jwk] })),
    )
    for (const [name, jwt] of Object.entries(answers)) {
      answer = jwt
      const { c } = await client()
      const err = await failure(c.fetchUserInfo('at', { expectedSubject: 'u1' }))
      expect([err.code, err.recovery], name).toEqual(['invalid_response', 'fix-config'])
      expect(err.message, name).not.toContain(jwt)
    }
  })

  it('without a jwks_uri it cannot be verified: a typed error, no claims', async () => {
    const { sign } = await keys()
    const jwt = await sign(claims)
    msw.server.use(http.get(`${ISSUER}/userinfo`, () => jwtAnswer(jwt)))
    const { jwks_uri: _, ...withoutJwks } = metadata()
    const c = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: withoutJwks })
    expect(await failure(c.fetchUserInfo('at', { expectedSubject: 'u1' }))).toMatchObject({
      code: 'missing_endpoint',
      recovery: 'fix-config',
    })
  })
})
