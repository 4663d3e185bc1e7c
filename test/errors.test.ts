/**
 * Errors that tell the truth: one table from code and status to class and recovery (and
 * docs/errors.md checked against it), the server's body error over a challenge's default,
 * what came back in the message, Retry-After carried, server text cleaned, no raw error.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import {
  createOAuthClient,
  createContext,
  createSession,
  completeAuthorization,
  TokenManager,
  memoryStore,
  type ErrorCode,
  type Recovery,
} from '../src/index.js'
import { ERROR_TABLE, ResponseError, errorRow, recoveryOf, cleanText } from '../src/errors.js'
import { personalAccessTokens, requestEpturaCode } from '../src/entries/dialects.js'
import { epturaServer } from '../src/entries/testing.js'
import { ISSUER, metadata } from './support/as-mock.js'
import { failure, fakeClock, useStrictMsw } from './support/msw.js'

const msw = useStrictMsw()
const client = () => createOAuthClient({ clientId: 'svc', clientSecret: 'the-client-secret', metadata: metadata() })
const tokenAnswer = (response: () => Response) => msw.server.use(http.post(`${ISSUER}/token`, response))

describe('the one table', () => {
  const docs = readFileSync(resolve(import.meta.dirname, '..', 'docs', 'errors.md'), 'utf8')
  const rows = new Map(
    [...docs.matchAll(/^\| `([a-z_]+)` \| (\w+) \| (by `error`|[a-z-]+)/gm)].map((m) => [m[1]!, { className: m[2]!, recovery: m[3]! }]),
  )
  const codes = ERROR_TABLE.flatMap((row) => row[2].split(' ')) as ErrorCode[]

  it('docs/errors.md has a row for every code, with the class and recovery of the table', () => {
    expect(codes.length).toBe(34)
    expect([...rows.keys()].sort()).toEqual([...codes].sort())
    for (const code of codes) {
      const [className, recovery] = errorRow(code)!
      expect(rows.get(code), code).toEqual({ className, recovery: code === 'oauth_error' ? 'by `error`' : recovery })
    }
  })

  it('every error is thrown as the class the table gives its code (no `new Class(code)` of another row in the sources)', () => {
    const sources = readdirSync(resolve(import.meta.dirname, '..', 'src'), { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ts'),
    )
    const wrong: string[] = []
    for (const file of sources) {
      const text = readFileSync(resolve(import.meta.dirname, '..', 'src', file), 'utf8')
      for (const [, className, code] of text.matchAll(
        /new (OAuthKitError|ConfigError|NetworkError|ResponseError|OAuthServerError)\('([a-z_]+)'/g,
      )) {
        if (errorRow(code as ErrorCode)?.[0] !== className) wrong.push(`${file}: new ${className}('${code}')`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('a renewal step that throws something else is a ResponseError (invalid_response), its message cleaned', async () => {
    const manager = new TokenManager({ obtain: async () => Promise.reject(new Error('broke \u001b[2J')) })
    const err = await failure(manager.getAccessToken())
    expect([err.name, err.code, err instanceof ResponseError]).toEqual(['ResponseError', 'invalid_response', true])
    expect(err.message).not.toContain('\u001b')
  })

  it("recovery: 429 is retry, then the server's error, then 5xx is retry, then the code", () => {
    const cases: Array<[ErrorCode, number | undefined, string | undefined, Recovery]> = [
      ['oauth_error', 429, 'invalid_request', 'retry'],
      ['oauth_error', 400, 'invalid_grant', 'reauthenticate'],
      ['oauth_error', 401, 'invalid_client', 'fix-config'],
      ['oauth_error', 400, 'invalid_scope', 'fix-config'],
      ['oauth_error', 503, 'temporarily_unavailable', 'retry'],
      ['oauth_error', 500, 'something_custom', 'retry'],
      ['oauth_error', 400, 'constructor', 'fix-config'],
      ['unexpected_status', 404, undefined, 'fix-config'],
      ['not_json', 502, undefined, 'retry'],
      ['not_json', 200, undefined, 'fix-config'],
      ['network_error', undefined, undefined, 'retry'],
      ['aborted', undefined, undefined, 'none'],
      ['sign_in_required', undefined, 'invalid_grant', 'reauthenticate'],
    ]
    for (const [code, status, error, recovery] of cases)
      expect(recoveryOf(code, status, error), `${code} ${status} ${error}`).toBe(recovery)
  })
})

describe('what the server said, told truthfully', () => {
  it('a wrong client secret (401, WWW-Authenticate: Basic, invalid_client body) is invalid_client / fix-config, not a sign-in', async () => {
    tokenAnswer(() =>
      HttpResponse.json(
        { error: 'invalid_client', error_description: 'client authentication failed' },
        { status: 401, headers: { 'www-authenticate': 'Basic realm="token"' } },
      ),
    )
    const err = await failure((await client()).clientCredentialsGrant())
    expect(err).toMatchObject({
      code: 'oauth_error',
      error: 'invalid_client',
      recovery: 'fix-config',
      status: 401,
      name: 'OAuthServerError',
    })
    expect(err.message).toContain('client authentication failed')
    expect(err.message).toContain('check the client id and its credentials')
  })

  it("a 200 HTML page where the token endpoint should answer (a proxy's sign-in page): the error quotes it, with the request's secret masked", async () => {
    const page = '<html><head><title>Corp SSO - sign in</title></head><body>Continue as svc / the-client-secret</body></html>'
    tokenAnswer(() => new HttpResponse(page, { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } }))
    const err = await failure((await client()).clientCredentialsGrant())
    expect(err.message).toMatch(/200 \(text\/html\): .*Corp SSO - sign in/)
    expect(err.message).not.toContain('the-client-secret')
  })

  it('a 401 with a Basic challenge and no body error is invalid_client; a Bearer one is invalid_token', async () => {
    tokenAnswer(() => new HttpResponse(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="token"' } }))
    expect(await failure((await client()).clientCredentialsGrant())).toMatchObject({ error: 'invalid_client', recovery: 'fix-config' })
    msw.server.use(
      http.get(`${ISSUER}/userinfo`, () => new HttpResponse(null, { status: 401, headers: { 'www-authenticate': 'Bearer realm="api"' } })),
    )
    expect(await failure((await client()).fetchUserInfo('an-access-token', { expectedSubject: 'u1' }))).toMatchObject({
      error: 'invalid_token',
      recovery: 'reauthenticate',
    })
  })

  it('an HTML 404 from a wrong token URL is fix-config and says what came back', async () => {
    tokenAnswer(
      () =>
        new HttpResponse('<html><body><h1>Not Found</h1><p>nothing at /token</p></body></html>', {
          status: 404,
          headers: { 'content-type': 'text/html; charset=utf-8' },
        }),
    )
    const err = await failure((await client()).clientCredentialsGrant())
    expect(err).toMatchObject({ code: 'unexpected_status', recovery: 'fix-config', status: 404 })
    expect(err.message).toContain('404 (text/html): Not Found nothing at /token')
  })

  it('a text/plain 400 is fix-config with its text', async () => {
    tokenAnswer(() => new HttpResponse('bad request: grant_type missing', { status: 400, headers: { 'content-type': 'text/plain' } }))
    const err = await failure((await client()).clientCredentialsGrant())
    expect(err.recovery).toBe('fix-config')
    expect(err.message).toContain('400 (text/plain): bad request: grant_type missing')
  })

  it('a 429 with an error body is retry, with Retry-After carried (seconds or an HTTP date)', async () => {
    tokenAnswer(() =>
      HttpResponse.json({ error: 'invalid_request', error_description: 'rate limited' }, { status: 429, headers: { 'retry-after': '7' } }),
    )
    expect(await failure((await client()).clientCredentialsGrant())).toMatchObject({ recovery: 'retry', retryAfter: 7, status: 429 })
    const clock = fakeClock()
    const when = new Date(clock.now() + 30_000).toUTCString()
    tokenAnswer(() => new HttpResponse('busy', { status: 503, headers: { 'retry-after': when } }))
    const c = await createOAuthClient({ clientId: 'svc', clientSecret: 'the-client-secret', metadata: metadata(), clock })
    expect(await failure(c.clientCredentialsGrant())).toMatchObject({ code: 'unexpected_status', recovery: 'retry', retryAfter: 30 })
  })

  it('invalid_scope says the scope is wrong, and is fix-config', async () => {
    tokenAnswer(() =>
      HttpResponse.json({ error: 'invalid_scope', error_description: 'scope "admin" is not allowed for this client' }, { status: 400 }),
    )
    const err = await failure((await client()).clientCredentialsGrant({ scope: 'admin' }))
    expect(err).toMatchObject({ error: 'invalid_scope', recovery: 'fix-config' })
    expect(err.message).toContain('invalid_scope')
    expect(err.message).toContain('scope "admin" is not allowed')
    expect(err.message).toContain('the scope asked for is wrong or not allowed for this client')
  })

  it('error_description of any JSON type is no crash; control characters, escapes, markup and length are cleaned', async () => {
    for (const description of [42, { nested: true }, ['a', 'b'], null, true]) {
      tokenAnswer(() => HttpResponse.json({ error: 'invalid_grant', error_description: description }, { status: 400 }))
      expect(await failure((await client()).clientCredentialsGrant())).toMatchObject({ code: 'oauth_error', error: 'invalid_grant' })
    }
    const nasty = `\u001b[31mred\u001b[0m line\r\nInjected: yes\u0000 <script>alert(1)</script> ${'x'.repeat(1_000_000)}`
    tokenAnswer(() => HttpResponse.json({ error: 'invalid_grant', error_description: nasty }, { status: 400 }))
    const err = await failure((await client()).clientCredentialsGrant())
    for (const text of [err.message, err.errorDescription!]) {
      // eslint-disable-next-line no-control-regex
      expect(text).not.toMatch(/[\u0000-\u001f\u007f]|<script>|\[31m/)
      expect(text.length).toBeLessThan(800)
    }
    expect(err.message).toContain('red line Injected: yes')
  })

  it('a successful revocation answered 204 (or any 2xx) is a success', async () => {
    for (const status of [200, 204, 202]) {
      msw.server.use(http.post(`${ISSUER}/revoke`, () => new HttpResponse(null, { status })))
      await expect((await client()).revokeToken('a-token')).resolves.toBeUndefined()
    }
  })

  it("Eptura's code request with a wrong password surfaces the server's answer as refused credentials (reauthenticate)", async () => {
    const site = 'https://acme.eptura.example'
    msw.server.use(...epturaServer({ site, clients: [{ clientId: 'web', clientSecret: 's' }], users: { ann: 'right-pass' } }).handlers)
    const err = await failure(
      requestEpturaCode({
        site,
        username: 'ann',
        password: 'wrong-pass-123',
        clientId: 'web',
        redirectUri: 'https://app.example.com/cb',
        scope: 'email',
      }),
    )
    expect(err).toMatchObject({ code: 'oauth_error', error: 'access_denied', recovery: 'reauthenticate', status: 401 })
    expect(err.message).toContain('invalid credentials')
    expect(JSON.stringify(err) + err.message).not.toContain('wrong-pass-123')
  })
})

describe("EPISHIP's personal access tokens", () => {
  it('surface what the server said: a 401 is a refused token (reauthenticate), a 503 is retry, a network failure is typed', async () => {
    const base = 'https://api.epiship.example'
    const answers = [
      () => HttpResponse.json({ message: 'token expired' }, { status: 401 }),
      () => new HttpResponse('maintenance', { status: 503, headers: { 'retry-after': '60' } }),
      () => HttpResponse.error(),
    ]
    let next = 0
    msw.server.use(http.get(`${base}/oauth/personal_access_tokens`, () => answers[next++]!()))
    const pats = personalAccessTokens({ baseUrl: base, fetch })
    expect(await failure(pats.list())).toMatchObject({
      code: 'oauth_error',
      error: 'invalid_token',
      recovery: 'reauthenticate',
      status: 401,
    })
    expect(await failure(pats.list())).toMatchObject({ code: 'unexpected_status', recovery: 'retry', retryAfter: 60 })
    expect(await failure(pats.list())).toMatchObject({ code: 'network_error', recovery: 'retry' })
  })
})

describe('no raw error escapes', () => {
  it('a Location header that does not parse is still redirect_refused', async () => {
    tokenAnswer(() => new HttpResponse(null, { status: 302, headers: { location: 'http://[bad' } }))
    expect(await failure((await client()).clientCredentialsGrant())).toMatchObject({ code: 'redirect_refused', recovery: 'fix-config' })
  })

  it("session.fetch given a redirect whose Location does not parse answers with the redirect, as fetch's manual mode does", async () => {
    msw.server.use(
      http.get('https://api.example.com/v1/x', () => new HttpResponse(null, { status: 302, headers: { location: 'http://[bad' } })),
    )
    const session = createSession(createContext(metadata(), { clientId: 'svc', clientSecret: 's' }), {
      tokens: { accessToken: 'at', tokenType: 'bearer', extra: {} },
      apiUrls: ['https://api.example.com/v1'],
    })
    expect((await session.fetch('https://api.example.com/v1/x')).status).toBe(302)
  })

  it('getTokens() racing clear() rejects with sign_in_required', async () => {
    const manager = new TokenManager({
      store: memoryStore(),
      obtain: async () => ({ accessToken: 'at-1', tokenType: 'bearer', expiresAt: Date.now() + 600_000, extra: {} }),
    })
    await manager.getAccessToken()
    const reading = manager.getTokens()
    void manager.clear() // a sign-out while the (cached) token is on its way
    expect(await failure(reading)).toMatchObject({ code: 'sign_in_required' })
  })

  it('a callback passed as a request path quotes neither the code nor the query', async () => {
    const ctx = createContext(metadata(), { clientId: 'svc', clientSecret: 'the-client-secret' })
    const err = await failure(
      completeAuthorization(ctx, '/callback?code=THE-CODE-123&state=s', {
        state: 's',
        codeVerifier: 'v'.repeat(43),
        redirectUri: 'https://app.example.com/cb',
      }),
    )
    expect(err.code).toBe('invalid_config')
    expect(err.message).not.toContain('THE-CODE-123')
    expect(err.message).toContain('"/callback"')
  })

  it('a site that is not a URL is invalid_config, not a TypeError', async () => {
    const err = await failure(
      requestEpturaCode({
        site: 'http://[::1',
        username: 'a',
        password: 'b',
        clientId: 'c',
        redirectUri: 'https://app.example.com/cb',
        scope: 'email',
      }),
    )
    expect(err.code).toBe('invalid_config')
  })

  it('cleanText never throws, whatever it is given', () => {
    const hostile = {
      toString: () => {
        throw new Error('no')
      },
    }
    expect(cleanText(hostile)).toBe('(unprintable)')
    expect(cleanText(Symbol('s'))).toBe('Symbol(s)')
  })
})
