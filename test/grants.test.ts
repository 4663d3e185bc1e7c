import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import {
  clientCredentialsGrant,
  createClientCredentialsSession,
  createContext,
  createOAuthClient,
  registerClient,
  type OAuthClientOptions,
} from '../src/index.js'
import { createClientCredentialsSession as fromM2mEntry } from 'oauthkit/m2m'
import { ISSUER, metadata, tokenJson } from './support/as-mock.js'
import { fakeClock, form, useStrictMsw, failure } from './support/msw.js'

const msw = useStrictMsw()

const ok = { access_token: 'at', token_type: 'Bearer', expires_in: 300 }

function client(options: Partial<OAuthClientOptions> = {}) {
  return createOAuthClient({ clientId: 'svc', clientSecret: 'secret', metadata: metadata(), ...options })
}

function captureToken(body: Record<string, unknown> = ok) {
  msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson(body)))
}

describe('client_credentials', () => {
  it('sends scope, every resource, audience and extra parameters', async () => {
    captureToken()
    const set = await (
      await client()
    ).clientCredentialsGrant({
      scope: 'read write',
      resource: ['https://a.example', 'https://b.example'],
      audience: 'https://api.example',
      extraParams: { tenant: 't1' },
    })
    expect(set.accessToken).toBe('at')
    const sent = await form(msw.requests[0]!)
    expect(sent.get('grant_type')).toBe('client_credentials')
    expect(sent.get('scope')).toBe('read write')
    expect(sent.getAll('resource')).toEqual(['https://a.example', 'https://b.example'])
    expect(sent.get('audience')).toBe('https://api.example')
    expect(sent.get('tenant')).toBe('t1')
  })
})

describe('a signal belongs to a call, never to a configuration', () => {
  it('a context, a client and a session made with a signal that is later aborted still make every request', async () => {
    msw.server.use(
      http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata())),
      http.post(`${ISSUER}/token`, () => tokenJson(ok)),
    )
    // A React effect's controller, aborted on unmount.
    const effect = new AbortController()
    const ctx = createContext(metadata(), { clientId: 'svc', clientSecret: 'secret' }, { signal: effect.signal })
    const made = await createOAuthClient({
      issuer: ISSUER,
      clientId: 'svc',
      clientSecret: 'secret',
      signal: effect.signal,
      discoveryCache: false,
    })
    const m2m = await createClientCredentialsSession({
      issuer: ISSUER,
      clientId: 'svc',
      clientSecret: 'secret',
      signal: effect.signal,
      discoveryCache: false,
    })
    effect.abort()
    expect((await clientCredentialsGrant(ctx)).accessToken).toBe('at')
    expect((await made.clientCredentialsGrant()).accessToken).toBe('at')
    expect(await m2m.getAccessToken()).toBe('at')
    // The call's own signal is the one that cancels it.
    expect((await failure(clientCredentialsGrant(ctx, { signal: effect.signal }))).code).toBe('aborted')
  })
})

describe('oauthkit/m2m: createClientCredentialsSession', () => {
  it('discovers, gets one token for many concurrent calls, and sends it to apiUrls only', async () => {
    expect(fromM2mEntry).toBe(createClientCredentialsSession)
    let tokenRequests = 0
    const api = 'https://api.example.com/v1'
    msw.server.use(
      http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata())),
      http.post(`${ISSUER}/token`, async ({ request }) => {
        tokenRequests++
        expect((await form(request)).get('scope')).toBe('read')
        return tokenJson(ok)
      }),
      http.get(`${api}/things`, ({ request }) => HttpResponse.json({ auth: request.headers.get('authorization') })),
      http.get('https://elsewhere.example.com/x', ({ request }) => HttpResponse.json({ auth: request.headers.get('authorization') })),
    )
    const session = await createClientCredentialsSession({
      issuer: ISSUER,
      clientId: 'svc',
      clientSecret: 'secret',
      scope: 'read',
      apiUrls: [api],
      discoveryCache: false,
    })
    const bodies = await Promise.all(Array.from({ length: 50 }, () => session.fetch(`${api}/things`).then((r) => r.json())))
    expect(bodies.every((b) => b.auth === 'Bearer at')).toBe(true)
    expect(tokenRequests).toBe(1)
    expect(await (await session.fetch('https://elsewhere.example.com/x')).json()).toEqual({ auth: null })
  })

  it('refuses a privateKey with a ConfigError that names the way (its signer stays out of the bundle)', async () => {
    const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const options = { clientId: 'svc', metadata: metadata(), privateKey } as unknown as Parameters<typeof createClientCredentialsSession>[0]
    const err = await failure(createClientCredentialsSession(options))
    expect(err.code).toBe('unsupported_auth_method')
    expect(err.message).toMatch(/createOAuthClient/)
  })
})

describe('renamed client methods keep their old names until 1.0', () => {
  it('each deprecated method is the renamed one', async () => {
    const c = await client()
    expect(c.buildAuthorizationUrl).toBe(c.buildAuthorizationUrl)
    expect(c.clientCredentialsGrant).toBe(c.clientCredentialsGrant)
    expect(c.refreshGrant).toBe(c.refreshGrant)
    expect(c.passwordGrant).toBe(c.passwordGrant)
    expect(c.revokeToken).toBe(c.revokeToken)
    expect(c.introspectToken).toBe(c.introspectToken)
    expect(c.fetchUserInfo).toBe(c.fetchUserInfo)
  })
})

describe('client authentication', () => {
  const id = 'svc:1 é'
  const secret = 'p@ss:w/rd+ö'

  it('client_secret_basic encodes id and secret per RFC 6749 §2.3.1', async () => {
    captureToken()
    await (await client({ clientId: id, clientSecret: secret, tokenEndpointAuthMethod: 'client_secret_basic' })).clientCredentialsGrant()
    const header = msw.requests[0]!.headers.get('authorization')!
    const decoded = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8')
    const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+')
    expect(decoded).toBe(`${enc(id)}:${enc(secret)}`)
    expect((await form(msw.requests[0]!)).has('client_secret')).toBe(false)
  })

  it('client_secret_basic_unencoded sends the raw id:secret', async () => {
    captureToken()
    await (
      await client({ clientId: id, clientSecret: secret, tokenEndpointAuthMethod: 'client_secret_basic_unencoded' })
    ).clientCredentialsGrant()
    const header = msw.requests[0]!.headers.get('authorization')!
    expect(Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8')).toBe(`${id}:${secret}`)
  })

  it('client_secret_post puts both in the body', async () => {
    captureToken()
    await (await client({ tokenEndpointAuthMethod: 'client_secret_post' })).clientCredentialsGrant()
    const sent = await form(msw.requests[0]!)
    expect([sent.get('client_id'), sent.get('client_secret')]).toEqual(['svc', 'secret'])
    expect(msw.requests[0]!.headers.has('authorization')).toBe(false)
  })

  it('none sends the client_id only', async () => {
    captureToken()
    const c = await client({ clientSecret: undefined })
    expect(c.context.authMethod).toBe('none')
    await c.clientCredentialsGrant()
    const sent = await form(msw.requests[0]!)
    expect(sent.get('client_id')).toBe('svc')
    expect(sent.has('client_secret')).toBe(false)
  })

  it('private_key_jwt sends a signed assertion for the token endpoint', async () => {
    captureToken()
    const { privateKey, publicKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const c = await client({ clientSecret: undefined, privateKey: { key: privateKey, kid: 'k1' } })
    expect(c.context.authMethod).toBe('private_key_jwt')
    await c.clientCredentialsGrant()
    const sent = await form(msw.requests[0]!)
    expect(sent.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    const [h, p, s] = sent.get('client_assertion')!.split('.')
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString())
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString())
    expect(header).toMatchObject({ alg: 'ES256', kid: 'k1' })
    expect(claims).toMatchObject({ iss: 'svc', sub: 'svc' })
    const valid = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      publicKey,
      Buffer.from(s!, 'base64url'),
      new TextEncoder().encode(`${h}.${p}`),
    )
    expect(valid).toBe(true)
  })

  it('is chosen from token_endpoint_auth_methods_supported when not given', async () => {
    const post = await createOAuthClient({
      clientId: 'a',
      clientSecret: 's',
      metadata: metadata(ISSUER, { token_endpoint_auth_methods_supported: ['client_secret_post'] }),
    })
    expect(post.context.authMethod).toBe('client_secret_post')
    const none = await createOAuthClient({
      clientId: 'a',
      clientSecret: 's',
      metadata: { ...metadata(), token_endpoint_auth_methods_supported: undefined },
    })
    expect(none.context.authMethod).toBe('client_secret_basic')
    const err = await failure(
      createOAuthClient({
        clientId: 'a',
        clientSecret: 's',
        metadata: metadata(ISSUER, { token_endpoint_auth_methods_supported: ['tls_client_auth'] }),
      }),
    )
    expect(err.code).toBe('unsupported_auth_method')
  })

  it('an explicit method without its secret is a ConfigError', async () => {
    const err = await failure(client({ clientSecret: undefined, tokenEndpointAuthMethod: 'client_secret_post' }))
    expect(err).toMatchObject({ name: 'ConfigError', code: 'invalid_config', recovery: 'fix-config' })
  })
})

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

  it('without a refresh token is a ConfigError, not a request', async () => {
    const err = await failure((async () => (await client()).refreshGrant({ accessToken: 'a', tokenType: 'bearer', extra: {} }))())
    expect(err.code).toBe('invalid_config')
    expect(msw.requests).toHaveLength(0)
  })
})

describe('password (legacy)', () => {
  it('sends username, password and scope', async () => {
    captureToken({ ...ok, refresh_token: 'rt' })
    const set = await (await client()).passwordGrant({ username: 'ann', password: 'pw', scope: 'all billing' })
    expect(set.refreshToken).toBe('rt')
    const sent = await form(msw.requests[0]!)
    expect([sent.get('grant_type'), sent.get('username'), sent.get('password'), sent.get('scope')]).toEqual([
      'password',
      'ann',
      'pw',
      'all billing',
    ])
  })

  it('a wrong password is invalid_grant, and the password is in no message', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, () => tokenJson({ error: 'invalid_grant', error_description: 'bad credentials' }, { status: 400 })),
    )
    const err = await failure((await client()).passwordGrant({ username: 'ann', password: 'hunter2' }))
    expect(err.error).toBe('invalid_grant')
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain('hunter2')
  })
})

describe('device authorization (RFC 8628)', () => {
  function device(extra: Record<string, unknown> = {}) {
    msw.server.use(
      http.post(`${ISSUER}/device`, () =>
        HttpResponse.json({
          device_code: 'dc',
          user_code: 'ABCD-EFGH',
          verification_uri: 'https://as.example.com/activate',
          verification_uri_complete: 'https://as.example.com/activate?user_code=ABCD-EFGH',
          expires_in: 600,
          ...extra,
        }),
      ),
    )
  }
  function polls(answers: Array<Record<string, unknown>>) {
    let i = 0
    msw.server.use(
      http.post(`${ISSUER}/token`, async ({ request }) => {
        const sent = await form(request)
        expect(sent.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:device_code')
        expect(sent.get('device_code')).toBe('dc')
        const next = answers[Math.min(i++, answers.length - 1)]!
        return tokenJson(next, { status: 'error' in next ? 400 : 200 })
      }),
    )
  }

  it('starts, then waits through pending and slow_down at the right intervals', async () => {
    const clock = fakeClock()
    device({ interval: 3 })
    polls([{ error: 'authorization_pending' }, { error: 'slow_down' }, { error: 'authorization_pending' }, ok])
    const c = await client({ clock })
    const flow = await c.startDeviceAuthorization({ scope: 'read' })
    expect(flow).toMatchObject({
      userCode: 'ABCD-EFGH',
      verificationUri: 'https://as.example.com/activate',
      verificationUriComplete: 'https://as.example.com/activate?user_code=ABCD-EFGH',
      interval: 3,
      expiresAt: clock.now() + 600_000,
    })
    const set = await flow.wait()
    expect(set.accessToken).toBe('at')
    expect(clock.sleeps).toEqual([3000, 3000, 8000, 8000])
  })

  it('polls every 5 s when the server gives no interval', async () => {
    const clock = fakeClock()
    device()
    polls([{ error: 'authorization_pending' }, ok])
    const flow = await (await client({ clock })).startDeviceAuthorization()
    expect(flow.interval).toBe(5)
    await flow.wait()
    expect(clock.sleeps).toEqual([5000, 5000])
  })

  for (const error of ['access_denied', 'expired_token']) {
    it(`stops on ${error} with a typed error`, async () => {
      device()
      polls([{ error: 'authorization_pending' }, { error }])
      const flow = await (await client({ clock: fakeClock() })).startDeviceAuthorization()
      const err = await failure(flow.wait())
      expect(err).toMatchObject({ code: 'oauth_error', error, recovery: 'reauthenticate' })
    })
  }

  it('stops at its own deadline', async () => {
    const clock = fakeClock()
    device({ expires_in: 12, interval: 5 })
    polls([{ error: 'authorization_pending' }])
    const flow = await (await client({ clock })).startDeviceAuthorization()
    const err = await failure(flow.wait())
    expect(err.code).toBe('device_flow_expired')
    expect(clock.sleeps).toEqual([5000, 5000, 2000])
  })

  it('stops at the timeout given to wait()', async () => {
    const clock = fakeClock()
    device()
    polls([{ error: 'authorization_pending' }])
    const flow = await (await client({ clock })).startDeviceAuthorization()
    const err = await failure(flow.wait({ timeout: 7000 }))
    expect(err.code).toBe('device_flow_expired')
    expect(err.message).toContain('timeout')
  })

  it('can be cancelled with an AbortSignal (real timers)', async () => {
    device({ interval: 1 })
    polls([{ error: 'authorization_pending' }])
    const flow = await (await client()).startDeviceAuthorization()
    const controller = new AbortController()
    const waiting = flow.wait({ signal: controller.signal })
    setTimeout(() => controller.abort(), 20)
    const err = await failure(waiting)
    expect(err).toMatchObject({ code: 'aborted', recovery: 'none' })
  })

  it('a malformed start (no user_code) is a typed error', async () => {
    msw.server.use(
      http.post(`${ISSUER}/device`, () => HttpResponse.json({ device_code: 'dc', verification_uri: 'https://x', expires_in: 60 })),
    )
    expect((await failure((await client()).startDeviceAuthorization())).code).toBe('invalid_response')
  })
})

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
    expect(await failure((await client()).fetchUserInfo('at'))).toMatchObject({
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
      () => c.fetchUserInfo('t'),
      () => c.startDeviceAuthorization(),
    ]) {
      expect((await failure((async () => call())())).code).toBe('missing_endpoint')
    }
    expect(msw.requests).toHaveLength(0)
  })
})
