/**
 * revokeToken (RFC 7009), introspectToken (RFC 7662), fetchUserInfo and registerClient (RFC 7591).
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { createOAuthClient, registerClient, skipSubjectCheck, type OAuthClientOptions } from '../../../src/index.js'
import { ISSUER, metadata } from '../../support/as-mock.js'
import { form, useStrictMsw, failure } from '../../support/msw.js'

const msw = useStrictMsw()

function client(options: Partial<OAuthClientOptions> = {}) {
  return createOAuthClient({ clientId: 'svc', clientSecret: 'secret', metadata: metadata(), ...options })
}

describe('revocation, introspection, userinfo, registration', () => {
  it('revokes with a token type hint and client authentication', async () => {
    msw.server.use(http.post(`${ISSUER}/revoke`, () => new HttpResponse(null, { status: 200 })))
    await (await client()).revokeToken('rt-1', { tokenTypeHint: 'refresh_token' })
    const sent = await form(msw.requests[0]!)
    expect([sent.get('token'), sent.get('token_type_hint')]).toEqual(['rt-1', 'refresh_token'])
    expect(msw.requests[0]!.headers.get('authorization')).toMatch(/^Basic /)
  })

  it('a revocation error is typed', async () => {
    msw.server.use(http.post(`${ISSUER}/revoke`, () => HttpResponse.json({ error: 'unsupported_token_type' }, { status: 400 })))
    expect((await failure((await client()).revokeToken('x'))).error).toBe('unsupported_token_type')
  })

  it('introspects', async () => {
    msw.server.use(http.post(`${ISSUER}/introspect`, () => HttpResponse.json({ active: true, scope: 'read', client_id: 'svc', exp: 1 })))
    const result = await (await client()).introspectToken('at')
    expect(result).toMatchObject({ active: true, scope: 'read' })
  })

  it('introspection without "active" is a typed error', async () => {
    msw.server.use(http.post(`${ISSUER}/introspect`, () => HttpResponse.json({ scope: 'read' })))
    expect((await failure((await client()).introspectToken('at'))).code).toBe('invalid_response')
  })

  for (const method of ['GET', 'POST'] as const) {
    it(`reads userinfo with ${method}`, async () => {
      msw.server.use(
        http.all(`${ISSUER}/userinfo`, ({ request }) => {
          expect(request.method).toBe(method)
          expect(request.headers.get('authorization')).toBe('Bearer at')
          return HttpResponse.json({ sub: 'u1', name: 'Ann' })
        }),
      )
      const info = await (await client()).fetchUserInfo('at', { method, expectedSubject: 'u1' })
      expect(info).toMatchObject({ sub: 'u1', name: 'Ann' })
    })
  }

  it("userinfo given the token set is held to its ID token's sub, without the caller asking: another subject is refused", async () => {
    const tokens = { accessToken: 'at', tokenType: 'bearer', extra: {}, idTokenClaims: { sub: 'u1' } }
    msw.server.use(http.get(`${ISSUER}/userinfo`, () => HttpResponse.json({ sub: 'u1', name: 'Ann' })))
    expect(await (await client()).fetchUserInfo(tokens)).toMatchObject({ name: 'Ann' })
    msw.server.use(http.get(`${ISSUER}/userinfo`, () => HttpResponse.json({ sub: 'u2', name: 'Eve' })))
    expect((await failure((await client()).fetchUserInfo(tokens))).code).toBe('invalid_response')
  })

  it('a bare access token needs expectedSubject (or skipSubjectCheck): a ConfigError before any request otherwise', async () => {
    const c = await client()
    for (const call of [() => c.fetchUserInfo('at'), () => c.fetchUserInfo({ accessToken: 'at', tokenType: 'bearer', extra: {} })])
      expect(await failure(call())).toMatchObject({ code: 'invalid_config', message: expect.stringContaining('skipSubjectCheck') })
    expect(msw.requests).toHaveLength(0)
    msw.server.use(http.get(`${ISSUER}/userinfo`, () => HttpResponse.json({ sub: 'anyone' })))
    expect(await c.fetchUserInfo('at', { expectedSubject: skipSubjectCheck })).toMatchObject({ sub: 'anyone' })
  })

  it('userinfo for another subject is refused', async () => {
    msw.server.use(http.get(`${ISSUER}/userinfo`, () => HttpResponse.json({ sub: 'u2' })))
    expect((await failure((await client()).fetchUserInfo('at', { expectedSubject: 'u1' }))).code).toBe('invalid_response')
  })

  it('userinfo with an expired token surfaces the Bearer challenge', async () => {
    msw.server.use(
      http.get(
        `${ISSUER}/userinfo`,
        () => new HttpResponse(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }),
      ),
    )
    expect(await failure((await client()).fetchUserInfo('at', { expectedSubject: 'u1' }))).toMatchObject({
      error: 'invalid_token',
      status: 401,
      recovery: 'reauthenticate',
    })
  })

  it('registers a client (RFC 7591) with an initial access token', async () => {
    msw.server.use(
      http.post(`${ISSUER}/register`, async ({ request }) => {
        expect(request.headers.get('authorization')).toBe('Bearer iat')
        const body = (await request.json()) as Record<string, unknown>
        return HttpResponse.json(
          { ...body, client_id: 'new-client', client_secret: 'new-secret', client_secret_expires_at: 0 },
          { status: 201 },
        )
      }),
    )
    const registered = await registerClient(
      metadata(),
      { redirect_uris: ['https://app.example.com/cb'], client_name: 'x' },
      { initialAccessToken: 'iat' },
    )
    expect(registered).toMatchObject({ client_id: 'new-client', redirect_uris: ['https://app.example.com/cb'] })
  })

  it('a registration answer with a secret and no client_secret_expires_at is read as "does not expire", with a warning', async () => {
    msw.server.use(
      http.post(`${ISSUER}/register`, () => HttpResponse.json({ client_id: 'c1', client_secret: 's3cret-value' }, { status: 201 })),
    )
    const warnings: string[] = []
    const registered = await registerClient(
      metadata(),
      { redirect_uris: ['https://app.example.com/cb'] },
      { onWarning: (w) => warnings.push(w.code) },
    )
    expect(registered).toMatchObject({ client_id: 'c1', client_secret: 's3cret-value', client_secret_expires_at: 0 })
    expect(warnings).toEqual(['secret_expiry_missing'])
  })

  it('a registration answer still needs its client_id, and a secret that is not a string is refused', async () => {
    for (const body of [{ client_secret: 'x' }, { client_id: 'c1', client_secret: 7 }]) {
      msw.server.use(http.post(`${ISSUER}/register`, () => HttpResponse.json(body, { status: 201 })))
      expect((await failure(registerClient(metadata(), { redirect_uris: ['https://app.example.com/cb'] }))).code).toBe('invalid_response')
    }
  })

  it('registration refused is typed', async () => {
    msw.server.use(http.post(`${ISSUER}/register`, () => HttpResponse.json({ error: 'invalid_redirect_uri' }, { status: 400 })))
    const err = await failure(registerClient(metadata(), { redirect_uris: ['http://evil'] }))
    expect(err.error).toBe('invalid_redirect_uri')
  })

  it('an endpoint the server lacks is a ConfigError, not a request', async () => {
    const c = await createOAuthClient({ clientId: 'a', endpoints: { token: `${ISSUER}/token` } })
    for (const call of [
      () => c.revokeToken('t'),
      () => c.introspectToken('t'),
      () => c.fetchUserInfo('t', { expectedSubject: skipSubjectCheck }),
      () => c.startDeviceAuthorization(),
    ]) {
      expect((await failure((async () => call())())).code).toBe('missing_endpoint')
    }
    expect(msw.requests).toHaveLength(0)
  })
})
