/**
 * Secrets nowhere: every operation is driven into its errors by a server that echoes what it
 * was sent and answers with canary tokens, and every error is scanned in all four renderings —
 * `message`, `String(err)`, `JSON.stringify(err)` and `util.inspect(err, { depth: Infinity })`
 * (which includes the whole cause chain) — for the client secret, password, tokens, codes,
 * verifier, device code, initial access token and client assertion.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  completeAuthorization,
  createContext,
  createSession,
  discover,
  introspectToken,
  isOAuthKitError,
  passwordGrant,
  tokenExchangeGrant,
  jwtBearerGrant,
  TOKEN_TYPES,
  refreshGrant,
  registerClient,
  revokeToken,
  fetchUserInfo,
  skipSubjectCheck,
  startDeviceAuthorization,
  clientCredentialsGrant,
  exchangeCode,
  type ErrorCode,
  type HttpOptions,
} from '../src/index.js'
import { requestEpturaCode } from '../src/entries/dialects.js'
import { ISSUER, metadata } from './support/as-mock.js'
import { fakeClock } from './support/msw.js'
import { encodings, leaksIn, renderings } from './support/secrets.js'

const CANARY = {
  // Characters that every encoding changes: an echo percent-, form- or base64-encoded differs from the raw secret.
  secret: 'canary-client secret/A1+~é',
  password: 'canary-password B2&=%',
  access: 'canary-access-token-C3',
  refresh: 'canary-refresh-token-D4',
  code: 'canary-authorization-code-E5',
  verifier: 'canary-code-verifier-F6-padded-to-forty-three-characters-long',
  device: 'canary-device-code-G7',
  idToken: 'eyJhbGciOiJSUzI1NiJ9.canary-id-token-H8.c2ln',
  initial: 'canary-initial-access-token-I9',
}
const SECRETS = Object.values(CANARY)

const leaksOf = (err: unknown, extra: string[] = []) =>
  renderings(err).flatMap((text) =>
    [...SECRETS, ...extra].flatMap(encodings).filter((variant) => variant.length >= 6 && text.includes(variant)),
  )

type Answer = (request: Request, body: string) => Response | Promise<Response>

/** A fetch at the network boundary that answers every request with `answer`, and records what was sent. */
function server(answer: Answer) {
  const sent: string[] = []
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init)
    const body = await request.clone().text()
    sent.push(body, request.url, request.headers.get('authorization') ?? '', ...[...request.headers.values()])
    // Like a real fetch, give up when the request's signal fires (the transport's timeout).
    const aborted = new Promise<never>((_, reject) =>
      init?.signal?.addEventListener('abort', () => reject(init.signal!.reason), { once: true }),
    )
    return Promise.race([answer(request, body), aborted])
  }
  return { fetch, sent }
}

const html = (status: number, text: string) =>
  new Response(`<html><body>${text}</body></html>`, { status, headers: { 'content-type': 'text/html' } })
const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json', ...headers } })

/** Server behaviours that lead to the codes an endpoint call can end in; each echoes what it got. */
const ANSWERS: Record<string, Answer> = {
  'OAuth error echoing the request': (_, body) => json(400, { error: 'invalid_grant', error_description: `refused: ${body}` }),
  '401 Basic challenge with an echoing body': (request, body) =>
    json(
      401,
      { error: 'invalid_client', error_description: `${request.headers.get('authorization')} ${body}` },
      { 'www-authenticate': 'Basic realm="x"' },
    ),
  '401 Bearer challenge echoing the token': (request) =>
    new Response(null, {
      status: 401,
      headers: {
        'www-authenticate': `Bearer error="invalid_token", error_description="${(request.headers.get('authorization') ?? '').replace(/"/g, '')}"`,
      },
    }),
  'HTML 404 echoing the request': (request, body) => html(404, `no such page; you sent ${body} ${request.headers.get('authorization')}`),
  'text 400 quoting the request percent-decoded, re-encoded and in base64': (request, body) => {
    const values = [
      ...new URLSearchParams(body).values(),
      ...(request.headers.get('authorization')?.split(' ').slice(1) ?? []).flatMap((b) => [
        b,
        ...Buffer.from(b, 'base64').toString().split(':'),
      ]),
    ]
    const echoed = values.map(
      (v) =>
        `${v} ${encodeURIComponent(v).toLowerCase()} ${new URLSearchParams({ v }).toString()} ${Buffer.from(v).toString('base64')} ${Buffer.from(v).toString('base64url')}`,
    )
    return new Response(`bad request: ${echoed.join(' | ')}`, { status: 400, headers: { 'content-type': 'text/plain' } })
  },
  '503 text echoing the request': (_, body) =>
    new Response(`overloaded, retry: ${body}`, { status: 503, headers: { 'content-type': 'text/plain', 'retry-after': '3' } }),
  '429 JSON': (_, body) => json(429, { error: 'slow_down', error_description: body }),
  'redirect to a URL with the secrets in its query': (_, body) =>
    new Response(null, { status: 307, headers: { location: `https://elsewhere.example/x?${body}&token=${CANARY.access}` } }),
  'invalid JSON full of tokens': () =>
    new Response(`{"access_token":"${CANARY.access}","refresh_token":"${CANARY.refresh}",`, {
      status: 200,
      headers: { 'content-type': 'application/json' },
    }),
  'a token answer with a bad field': () =>
    json(200, {
      access_token: CANARY.access,
      refresh_token: CANARY.refresh,
      id_token: CANARY.idToken,
      token_type: 42,
      device_code: CANARY.device,
    }),
  'a token answer without a token type': () =>
    json(200, { access_token: CANARY.access, refresh_token: CANARY.refresh, expires_in: 'soon' }),
  'HTML 200 with tokens in it': () => html(200, `${CANARY.access} ${CANARY.refresh}`),
  'an answer that never comes': () => new Promise<Response>(() => {}),
  'a network failure': () => Promise.reject(new TypeError(`fetch failed for https://as.example.com/token?code=${CANARY.code}`)),
}

const meta = metadata()
let completions = 0
const ctxWith = (http: HttpOptions, secret = true) =>
  createContext(meta, secret ? { clientId: 'app', clientSecret: CANARY.secret } : { clientId: 'app' }, { ...http, timeout: 50 })

/** Each operation, run against a given server. */
const OPERATIONS: Record<string, (http: HttpOptions) => Promise<unknown>> = {
  'client_credentials (Basic)': (http) => clientCredentialsGrant(ctxWith(http)),
  'client_credentials (post)': (http) =>
    clientCredentialsGrant(
      createContext(
        meta,
        { clientId: 'app', clientSecret: CANARY.secret, tokenEndpointAuthMethod: 'client_secret_post' },
        { ...http, timeout: 50 },
      ),
    ),
  refresh: (http) => refreshGrant(ctxWith(http), CANARY.refresh),
  password: (http) => passwordGrant(ctxWith(http), { username: 'ann', password: CANARY.password }),
  'token exchange': (http) =>
    tokenExchangeGrant(ctxWith(http), { subjectToken: CANARY.access, actorToken: CANARY.refresh, actorTokenType: TOKEN_TYPES.accessToken }),
  'JWT bearer': (http) => jwtBearerGrant(ctxWith(http), { assertion: CANARY.idToken }),
  'code exchange': (http) =>
    exchangeCode(ctxWith(http), { code: CANARY.code, redirectUri: 'https://app.example/cb', codeVerifier: CANARY.verifier }),
  'callback and exchange': (http) => {
    const state = `s-${++completions}` // each completion is a sign-in of its own (a state completes once)
    return completeAuthorization(
      ctxWith(http),
      `https://app.example/cb?code=${CANARY.code}&state=${state}&iss=${encodeURIComponent(ISSUER)}`,
      { state, codeVerifier: CANARY.verifier, redirectUri: 'https://app.example/cb' },
    )
  },
  'device authorization': (http) => startDeviceAuthorization(ctxWith(http)),
  revocation: (http) => revokeToken(ctxWith(http), CANARY.refresh),
  introspection: (http) => introspectToken(ctxWith(http), CANARY.access),
  userinfo: (http) => fetchUserInfo(ctxWith(http), CANARY.access, { expectedSubject: skipSubjectCheck }),
  registration: (http) =>
    registerClient(meta, { redirect_uris: ['https://app.example/cb'] }, { ...http, timeout: 50, initialAccessToken: CANARY.initial }),
  discovery: (http) => discover(ISSUER, { ...http, timeout: 50, discoveryCache: false }),
  'session renewal': (http) => createSession(ctxWith(http), { grant: 'client_credentials' }).getAccessToken(),
  'Eptura code request': (http) =>
    requestEpturaCode({
      ...http,
      timeout: 50,
      site: 'https://acme.eptura.example',
      username: 'ann',
      password: CANARY.password,
      clientId: 'app',
      redirectUri: 'https://app.example/cb',
      scope: 'email',
    }),
}

/** Callbacks that fail before any request: state, iss, an error redirect — each with the code in the URL. */
const CALLBACKS: Record<string, string> = {
  state_mismatch: `https://app.example/cb?code=${CANARY.code}&state=forged&iss=${encodeURIComponent(ISSUER)}`,
  missing_state: `https://app.example/cb?code=${CANARY.code}&iss=${encodeURIComponent(ISSUER)}`,
  iss_mismatch: `https://app.example/cb?code=${CANARY.code}&state=s&iss=https%3A%2F%2Fevil.example`,
  missing_iss: `https://app.example/cb?code=${CANARY.code}&state=s`,
  oauth_error: `https://app.example/cb?error=access_denied&code=${CANARY.code}&error_description=${encodeURIComponent('denied \u001b[31m<b>x</b>')}&state=s&iss=${encodeURIComponent(ISSUER)}`,
}

describe('secrets nowhere', () => {
  const seen = new Set<ErrorCode>()

  for (const [operation, run] of Object.entries(OPERATIONS)) {
    it(`${operation}: no secret in any rendering of any error`, async () => {
      for (const [behaviour, answer] of Object.entries(ANSWERS)) {
        const { fetch, sent } = server(answer)
        // A fake clock: the retries of passing failures are made (their errors checked too), without waiting.
        const err = await run({ fetch, clock: fakeClock(Date.now()) }).then(
          () => undefined,
          (e: unknown) => e,
        )
        if (err === undefined) continue // this behaviour is no error for this operation
        expect(isOAuthKitError(err), `${operation} / ${behaviour}: ${String(err)}`).toBe(true)
        seen.add((err as { code: ErrorCode }).code)
        // Whatever the request carried (an assertion, a Basic header) counts as a secret too.
        const carried = sent.flatMap((s) => s.split(/[\s&=,]+/)).filter((s) => s.length >= 12 && !s.startsWith('http'))
        expect(
          leaksOf(
            err,
            carried.filter((s) => /canary|^[A-Za-z0-9+/=_-]{20,}$/.test(s)),
          ),
          `${operation} / ${behaviour} (${(err as { code: string }).code})`,
        ).toEqual([])
      }
    })
  }

  it('callbacks rejected before any request carry neither the code nor raw server text', async () => {
    for (const [code, url] of Object.entries(CALLBACKS)) {
      const ctx = createContext(
        metadata(ISSUER, { authorization_response_iss_parameter_supported: true }),
        { clientId: 'app', clientSecret: CANARY.secret },
        { fetch: () => Promise.reject(new Error('no request expected')) },
      )
      const err = await completeAuthorization(ctx, url, {
        state: 's',
        codeVerifier: CANARY.verifier,
        redirectUri: 'https://app.example/cb',
      }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect((err as { code?: string })?.code, url).toBe(code)
      seen.add(code as ErrorCode)
      expect(leaksOf(err)).toEqual([])
      // eslint-disable-next-line no-control-regex
      for (const text of renderings(err)) expect(text).not.toMatch(/\u001b|<b>/)
    }
  })

  it('property: any secret, echoed by a non-JSON page in any encoding, is in no error', async () => {
    const printable = fc.string({ unit: fc.constantFrom(...'abcXYZ019 -._~+/=&%?#é€'.split('')), minLength: 8, maxLength: 40 })
    await fc.assert(
      fc.asyncProperty(printable, printable, fc.constantFrom(400, 401, 404, 500, 502), async (secret, refresh, status) => {
        const { fetch } = server((request, body) => {
          const values = [
            ...new URLSearchParams(body).values(),
            ...Buffer.from(request.headers.get('authorization')?.split(' ')[1] ?? '', 'base64')
              .toString()
              .split(':')
              .map(decodeURIComponent),
          ]
          return new Response(values.flatMap(encodings).join(' ; '), { status, headers: { 'content-type': 'text/html' } })
        })
        const ctx = createContext(meta, { clientId: 'app', clientSecret: secret }, { fetch, timeout: 50, retry: false })
        const err = await refreshGrant(ctx, refresh).then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(isOAuthKitError(err)).toBe(true)
        const found = renderings(err).flatMap((text) =>
          [secret, refresh].flatMap(encodings).filter((v) => v.length >= 8 && text.includes(v)),
        )
        expect(found).toEqual([])
      }),
      { numRuns: 200, seed: 20261206 },
    )
  })

  it('the scan itself finds a secret in each encoding and rendering (it scans every error awaited with failure() too)', () => {
    const secret = 'a secret/with+odd~chars é'
    for (const variant of encodings(secret)) {
      expect(leaksIn(new Error(`x ${variant} y`), [secret]), variant).not.toEqual([])
      expect(leaksIn(new Error('plain', { cause: { detail: variant } }), [secret]), `cause: ${variant}`).not.toEqual([])
    }
    expect(leaksIn(new Error('nothing here'), [secret])).toEqual([])
  })

  it('the matrix reached the codes a server can cause', () => {
    for (const code of [
      'oauth_error',
      'unexpected_status',
      'redirect_refused',
      'invalid_json',
      'invalid_response',
      'not_json',
      'timeout',
      'network_error',
      'state_mismatch',
      'missing_state',
      'iss_mismatch',
      'missing_iss',
    ] as ErrorCode[]) {
      expect(seen.has(code), code).toBe(true)
    }
  })
})
