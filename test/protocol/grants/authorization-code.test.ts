import { http } from 'msw'
import { describe, expect, it } from 'vitest'
import { createOAuthClient } from '../../../src/index.js'
import { ISSUER, fakeIdToken, metadata, tokenJson } from '../../support/as-mock.js'
import { fakeClock, form, useStrictMsw, failure } from '../../support/msw.js'

const msw = useStrictMsw()
const clock = fakeClock()
const redirectUri = 'https://app.example.com/callback'

async function client(extra: Record<string, unknown> = {}) {
  return createOAuthClient({ clientId: 'spa', metadata: metadata(ISSUER, extra), redirectUri, clock })
}

describe('authorization URL', () => {
  it('always uses PKCE S256, adds state, nonce for openid, resource and extra parameters', async () => {
    const c = await client()
    const pending = await c.buildAuthorizationUrl({
      scope: 'openid profile',
      resource: ['https://api.example.com', 'https://files.example.com'],
      extraParams: { prompt: 'login', audience: 'api' },
    })
    const url = new URL(pending.url)
    expect(url.origin + url.pathname).toBe(`${ISSUER}/authorize`)
    const p = url.searchParams
    expect(p.get('response_type')).toBe('code')
    expect(p.get('client_id')).toBe('spa')
    expect(p.get('redirect_uri')).toBe(redirectUri)
    expect(p.get('code_challenge_method')).toBe('S256')
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(p.get('code_challenge')).not.toBe(pending.codeVerifier)
    expect(p.get('state')).toBe(pending.state)
    expect(p.get('nonce')).toBe(pending.nonce)
    expect(p.getAll('resource')).toEqual(['https://api.example.com', 'https://files.example.com'])
    expect(p.get('prompt')).toBe('login')
    expect(p.get('audience')).toBe('api')
    expect(url.href).not.toContain(pending.codeVerifier)
  })

  it('adds no nonce without openid, and a fresh state and verifier every time', async () => {
    const c = await client()
    const a = await c.buildAuthorizationUrl({ scope: 'read' })
    const b = await c.buildAuthorizationUrl({ scope: 'read' })
    expect(a.nonce).toBeUndefined()
    expect(new URL(a.url).searchParams.has('nonce')).toBe(false)
    expect(a.state).not.toBe(b.state)
    expect(a.codeVerifier).not.toBe(b.codeVerifier)
  })

  it('needs an authorization endpoint', async () => {
    const c = await createOAuthClient({ clientId: 'x', endpoints: { token: `${ISSUER}/token` }, redirectUri })
    expect((await failure(c.buildAuthorizationUrl())).code).toBe('missing_endpoint')
  })
})

describe('completing from the callback', () => {
  function tokenEndpoint(body: Record<string, unknown> = { access_token: 'at', token_type: 'bearer', expires_in: 60 }) {
    msw.server.use(
      http.post(`${ISSUER}/token`, async ({ request }) => {
        const params = await form(request)
        if (params.get('grant_type') !== 'authorization_code' || params.get('code') !== 'the-code' || !params.get('code_verifier')) {
          return tokenJson({ error: 'invalid_grant' }, { status: 400 })
        }
        return tokenJson(body)
      }),
    )
  }

  it('a pending authorization completes once: a second completion sends nothing (stale_sign_in)', async () => {
    tokenEndpoint()
    const c = await client()
    const pending = await c.buildAuthorizationUrl({ scope: 'read' })
    const callback = `${redirectUri}?code=the-code&state=${pending.state}`
    await c.completeAuthorization(callback, pending)
    expect(await failure(c.completeAuthorization(callback, pending))).toMatchObject({ code: 'stale_sign_in', recovery: 'reauthenticate' })
    expect(msw.count('/token')).toBe(1)
  })

  it('a pending authorization expires after ten minutes by default (maxPendingAge), before any request', async () => {
    const c = await client()
    const pending = await c.buildAuthorizationUrl({ scope: 'read' })
    expect(pending.createdAt).toBe(clock.now())
    clock.advance(10 * 60_000 + 1)
    const callback = `${redirectUri}?code=the-code&state=${pending.state}`
    expect(await failure(c.completeAuthorization(callback, pending))).toMatchObject({ code: 'stale_sign_in' })
    expect(msw.count('/token')).toBe(0)
    tokenEndpoint()
    expect((await c.completeAuthorization(callback, pending, { maxPendingAge: 20 * 60_000 })).accessToken).toBe('at')
  })

  it('reads the code from the query and sends the verifier and redirect_uri', async () => {
    tokenEndpoint()
    const c = await client()
    const pending = await c.buildAuthorizationUrl({ scope: 'read' })
    const set = await c.completeAuthorization(`${redirectUri}?code=the-code&state=${pending.state}`, pending)
    expect(set.accessToken).toBe('at')
    const sent = await form(msw.requests[0]!)
    expect(sent.get('code_verifier')).toBe(pending.codeVerifier)
    expect(sent.get('redirect_uri')).toBe(redirectUri)
    expect(sent.get('client_id')).toBe('spa')
  })

  it('reads the code from the fragment', async () => {
    tokenEndpoint()
    const c = await client()
    const pending = await c.buildAuthorizationUrl({ scope: 'read' })
    const set = await c.completeAuthorization(`${redirectUri}#code=the-code&state=${pending.state}`, pending)
    expect(set.accessToken).toBe('at')
  })

  it('validates the ID token and its nonce', async () => {
    const c = await client()
    const pending = await c.buildAuthorizationUrl({ scope: 'openid' })
    const now = Math.floor(clock.now() / 1000)
    const claims = { iss: ISSUER, aud: 'spa', sub: 'u1', iat: now, exp: now + 60, nonce: pending.nonce }
    tokenEndpoint({ access_token: 'at', token_type: 'bearer', id_token: fakeIdToken(claims) })
    const set = await c.completeAuthorization(`${redirectUri}?code=the-code&state=${pending.state}`, pending)
    expect(set.idTokenClaims).toMatchObject({ sub: 'u1' })
  })

  it('accepts RFC 9207 iss when the server advertises it', async () => {
    tokenEndpoint()
    const c = await client({ authorization_response_iss_parameter_supported: true })
    const pending = await c.buildAuthorizationUrl()
    const set = await c.completeAuthorization(
      `${redirectUri}?code=the-code&state=${pending.state}&iss=${encodeURIComponent(ISSUER)}`,
      pending,
    )
    expect(set.accessToken).toBe('at')
  })
})

describe('callback: malformed answers each give a typed error before any token request', () => {
  const cases: Array<[string, (state: string) => string, string, Record<string, unknown>?]> = [
    ['wrong state', () => `?code=c&state=forged`, 'state_mismatch'],
    ['missing state', () => `?code=c`, 'missing_state'],
    ['wrong state in the fragment', () => `#code=c&state=forged`, 'state_mismatch'],
    ['missing iss when advertised', (s) => `?code=c&state=${s}`, 'missing_iss', { authorization_response_iss_parameter_supported: true }],
    ['wrong iss', (s) => `?code=c&state=${s}&iss=https%3A%2F%2Fevil.example.com`, 'iss_mismatch'],
    ['no code and no error', (s) => `?state=${s}`, 'missing_code'],
    ['an empty callback', () => ``, 'missing_state'],
    ['duplicate code', (s) => `?code=a&code=b&state=${s}`, 'invalid_response'],
    ['a JARM response', (s) => `?response=eyJ&state=${s}`, 'invalid_response'],
    ['error=access_denied', (s) => `?error=access_denied&error_description=User%20said%20no&state=${s}`, 'oauth_error'],
    ['error in the fragment', (s) => `#error=login_required&state=${s}`, 'oauth_error'],
  ]
  for (const [name, suffix, code, extra] of cases) {
    it(`${name} → ${code}`, async () => {
      const c = await client(extra)
      const pending = await c.buildAuthorizationUrl()
      const err = await failure(c.completeAuthorization(`${redirectUri}${suffix(pending.state)}`, pending))
      expect(err.code).toBe(code)
      if (code !== 'invalid_response') expect(err.recovery).toBe('reauthenticate')
      expect(msw.requests).toHaveLength(0)
    })
  }

  it('a callback that is not a URL is a ConfigError', async () => {
    const c = await client()
    const pending = await c.buildAuthorizationUrl()
    expect((await failure(c.completeAuthorization('not a url', pending))).code).toBe('invalid_config')
  })

  it('missing pending data is a ConfigError', async () => {
    const c = await client()
    expect((await failure(c.completeAuthorization(`${redirectUri}?code=c`, {} as never))).code).toBe('invalid_config')
  })

  // Every fault of the ID token is one code, so one recovery (sign in again): a claim wrong, a claim missing, the token missing.
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  for (const [name, claims, header] of [
    ['the wrong nonce', { aud: 'spa', nonce: 'replayed' }],
    ['another audience', { aud: 'other' }],
    ['an expiry in the past', { aud: 'spa', exp: -60 }],
    ['no sub', { aud: 'spa', sub: undefined }],
    ['no iat', { aud: 'spa', iat: undefined }],
    ['an aud that is a number', { aud: 42 }],
    ['a crit header', { aud: 'spa' }, { alg: 'RS256', crit: ['exp'] }],
    ['another algorithm than the server lists', { aud: 'spa' }, { alg: 'HS256' }],
  ] as const) {
    it(`an ID token with ${name} is refused: invalid_id_token`, async () => {
      const c = await client()
      const pending = await c.buildAuthorizationUrl({ scope: 'openid' })
      const now = Math.floor(clock.now() / 1000)
      const base = { iss: ISSUER, sub: 'u', iat: now, exp: now + 60, nonce: pending.nonce }
      const body = { ...base, ...claims, ...('exp' in claims ? { exp: now + (claims.exp as number) } : {}) }
      const idToken = header ? `${b64(header)}.${b64(body)}.c2ln` : fakeIdToken(body)
      msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at', token_type: 'bearer', id_token: idToken })))
      const err = await failure(c.completeAuthorization(`${redirectUri}?code=c&state=${pending.state}`, pending))
      expect(err.code).toBe('invalid_id_token')
      expect(err.recovery).toBe('reauthenticate')
    })
  }

  it('a missing ID token when openid was requested is refused: invalid_id_token', async () => {
    const c = await client()
    const pending = await c.buildAuthorizationUrl({ scope: 'openid' })
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at', token_type: 'bearer' })))
    const err = await failure(c.completeAuthorization(`${redirectUri}?code=c&state=${pending.state}`, pending))
    expect(err.code).toBe('invalid_id_token')
  })

  it('an unsigned ID token (alg none) is refused though the server lists none; accepted only when configured', async () => {
    for (const configured of [false, true]) {
      const c = await createOAuthClient({
        clientId: 'spa',
        metadata: metadata(ISSUER, { id_token_signing_alg_values_supported: ['RS256', 'none'] }),
        redirectUri,
        clock,
        ...(configured ? { idTokenSignedResponseAlg: 'none' } : {}),
      })
      const pending = await c.buildAuthorizationUrl({ scope: 'openid' })
      const now = Math.floor(clock.now() / 1000)
      const idToken = `${b64({ typ: 'JWT', alg: 'none' })}.${b64({ iss: ISSUER, sub: 'u', aud: 'spa', iat: now, exp: now + 60, nonce: pending.nonce })}.`
      msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at', token_type: 'bearer', id_token: idToken })))
      const done = c.completeAuthorization(`${redirectUri}?code=c&state=${pending.state}`, pending)
      if (configured) expect((await done).idTokenClaims?.sub).toBe('u')
      else expect((await failure(done)).code).toBe('invalid_id_token')
    }
  })
})

describe('response_mode=form_post: the answer the browser posts to the redirect URI', () => {
  const post = (fields: Record<string, string>, init: RequestInit = {}) =>
    new Request(redirectUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      ...init,
    })

  it('asks for it, and completes from the posted Request or its fields, with the checks of the query path', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at', token_type: 'bearer' })))
    for (const as of ['Request', 'URLSearchParams'] as const) {
      const c = await client({ authorization_response_iss_parameter_supported: true })
      const pending = await c.buildAuthorizationUrl({ responseMode: 'form_post' })
      expect(new URL(pending.url).searchParams.get('response_mode')).toBe('form_post')
      const fields = { code: 'the-code', state: pending.state, iss: ISSUER }
      const tokens = await c.completeAuthorization(as === 'Request' ? post(fields) : new URLSearchParams(fields), pending)
      expect(tokens.accessToken).toBe('at')
    }
    expect((await form(msw.requests.at(-1)!)).get('code')).toBe('the-code')
  })

  const refused: Array<[string, (state: string) => Request, string]> = [
    ['an error answer', (s) => post({ error: 'access_denied', state: s, iss: ISSUER }), 'oauth_error'],
    ['another state', () => post({ code: 'c', state: 'forged', iss: ISSUER }), 'state_mismatch'],
    ['no iss where the server sends one', (s) => post({ code: 'c', state: s }), 'missing_iss'],
    ['an access token beside the code', (s) => post({ code: 'c', state: s, iss: ISSUER, access_token: 'x' }), 'invalid_response'],
    ['a GET', () => new Request(redirectUri), 'invalid_response'],
    [
      'JSON',
      (s) => post({}, { body: JSON.stringify({ code: 'c', state: s }), headers: { 'content-type': 'application/json' } }),
      'invalid_response',
    ],
    ['a form over 64 KiB', (s) => post({ code: 'c', state: s, pad: 'x'.repeat(70_000) }), 'invalid_response'],
  ]
  for (const [name, answer, code] of refused) {
    it(`${name} → ${code}, and no token request`, async () => {
      const c = await client({ authorization_response_iss_parameter_supported: true })
      const pending = await c.buildAuthorizationUrl({ responseMode: 'form_post' })
      expect((await failure(c.completeAuthorization(answer(pending.state), pending))).code).toBe(code)
      expect(msw.requests).toHaveLength(0)
    })
  }
})
