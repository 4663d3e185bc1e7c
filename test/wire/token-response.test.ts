import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { createOAuthClient } from '../../src/index.js'
import { ISSUER, metadata, tokenJson } from '../support/as-mock.js'
import { fakeClock, useStrictMsw, failure } from '../support/msw.js'

const msw = useStrictMsw()
const clock = fakeClock()

async function client() {
  return createOAuthClient({ clientId: 'app', clientSecret: 's3cret', metadata: metadata(), clock })
}

function answer(reply: () => Response) {
  msw.server.use(http.post(`${ISSUER}/token`, reply))
}

describe('token response normalisation', () => {
  it('maps a full response to a TokenSet with an absolute expiry and keeps unknown fields', async () => {
    answer(() =>
      tokenJson({
        access_token: 'at',
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: 'rt',
        scope: 'read',
        tenant: 't1',
        nested: { a: 1 },
      }),
    )
    const set = await (await client()).clientCredentialsGrant()
    expect(set).toEqual({
      accessToken: 'at',
      tokenType: 'bearer',
      expiresAt: clock.now() + 3_600_000,
      refreshToken: 'rt',
      scope: 'read',
      extra: { tenant: 't1', nested: { a: 1 } },
    })
  })

  const policy: Array<[string, unknown, number | undefined]> = [
    ['a numeric string', '3600', 3_600_000],
    ['a fractional number', 1.5, 1_500],
    ['absent', undefined, undefined],
    ['null', null, undefined],
    ['an empty string', '', undefined],
    ['zero', 0, undefined],
    ['negative', -30, undefined],
    ['absurdly large', 1e15, 365 * 24 * 3600 * 1000],
  ]
  for (const [name, value, lifetime] of policy) {
    it(`expires_in ${name} → ${lifetime === undefined ? 'no stated expiry' : `${lifetime} ms`}`, async () => {
      answer(() => tokenJson({ access_token: 'at', token_type: 'bearer', ...(value === undefined ? {} : { expires_in: value }) }))
      const set = await (await client()).clientCredentialsGrant()
      expect(set.expiresAt === undefined ? undefined : set.expiresAt - clock.now()).toBe(lifetime)
      if (lifetime === undefined && value !== undefined) expect(set.extra.expires_in).toBe(value)
    })
  }
})

describe('token response: malformed answers each give a typed error', () => {
  const cases: Array<[string, () => Response, string]> = [
    ['no access_token', () => tokenJson({ token_type: 'bearer' }), 'invalid_response'],
    ['access_token a number', () => tokenJson({ access_token: 42, token_type: 'bearer' }), 'invalid_response'],
    ['no token_type', () => tokenJson({ access_token: 'at' }), 'invalid_response'],
    ['an unknown token_type', () => tokenJson({ access_token: 'at', token_type: 'mac' }), 'invalid_response'],
    ['expires_in "abc"', () => tokenJson({ access_token: 'at', token_type: 'bearer', expires_in: 'abc' }), 'invalid_response'],
    [
      'expires_in "12abc" (no blind coercion)',
      () => tokenJson({ access_token: 'at', token_type: 'bearer', expires_in: '12abc' }),
      'invalid_response',
    ],
    ['expires_in true', () => tokenJson({ access_token: 'at', token_type: 'bearer', expires_in: true }), 'invalid_response'],
    ['refresh_token a number', () => tokenJson({ access_token: 'at', token_type: 'bearer', refresh_token: 7 }), 'invalid_response'],
    ['scope an array', () => tokenJson({ access_token: 'at', token_type: 'bearer', scope: ['a'] }), 'invalid_response'],
    ['an HTML page', () => new HttpResponse('<html>Sign in</html>', { headers: { 'content-type': 'text/html' } }), 'not_json'],
    ['invalid JSON', () => new HttpResponse('{"access_token":', { headers: { 'content-type': 'application/json' } }), 'invalid_json'],
    ['a JSON string', () => new HttpResponse('"at"', { headers: { 'content-type': 'application/json' } }), 'invalid_response'],
    [
      'a huge body',
      () => new HttpResponse(`{"access_token":"${'a'.repeat(1_100_000)}"}`, { headers: { 'content-type': 'application/json' } }),
      'response_too_large',
    ],
    [
      'a 500 with HTML',
      () => new HttpResponse('<h1>Bad gateway</h1>', { status: 502, headers: { 'content-type': 'text/html' } }),
      'unexpected_status',
    ],
  ]
  for (const [name, reply, code] of cases) {
    it(`${name} → ${code}`, async () => {
      answer(reply)
      const err = await failure((await client()).clientCredentialsGrant())
      expect(err.code).toBe(code)
      expect(err.message).not.toContain('s3cret')
    })
  }

  it('an OAuth error body → OAuthServerError with the server fields and a recovery class', async () => {
    answer(() =>
      tokenJson(
        { error: 'invalid_grant', error_description: 'refresh token revoked', error_uri: 'https://as.example.com/docs/errors' },
        { status: 400 },
      ),
    )
    const err = await failure((await client()).refreshGrant('old-rt'))
    expect(err).toMatchObject({
      name: 'OAuthServerError',
      code: 'oauth_error',
      error: 'invalid_grant',
      errorDescription: 'refresh token revoked',
      errorUri: 'https://as.example.com/docs/errors',
      status: 400,
      recovery: 'reauthenticate',
    })
    expect(err.message).not.toContain('old-rt')
    expect(Object.keys(err)).not.toContain('response')
    expect(err.response?.status).toBe(400)
  })

  it('invalid_client on a 401 challenge → fix-config', async () => {
    answer(() =>
      tokenJson({ error: 'invalid_client' }, { status: 401, headers: { 'www-authenticate': 'Basic realm="as", error="invalid_client"' } }),
    )
    const err = await failure((await client()).clientCredentialsGrant())
    expect(err).toMatchObject({ code: 'oauth_error', error: 'invalid_client', status: 401, recovery: 'fix-config' })
  })

  it('temporarily_unavailable → retry', async () => {
    answer(() => tokenJson({ error: 'temporarily_unavailable' }, { status: 503 }))
    const err = await failure((await client()).clientCredentialsGrant())
    expect(err.recovery).toBe('retry')
  })

  it('an error code named like an Object property (constructor, __proto__) still gets a recovery class', async () => {
    for (const error of ['constructor', '__proto__', 'toString']) {
      answer(() => tokenJson({ error }, { status: 400 }))
      const err = await failure((await client()).clientCredentialsGrant())
      expect(err).toMatchObject({ code: 'oauth_error', error, recovery: 'fix-config' })
    }
  })
})
