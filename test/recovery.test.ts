/**
 * An application that follows `recovery` literally — retry on `retry` (honouring
 * `retryAfter`), sign in on `reauthenticate`, stop on `fix-config`, ask for scope on
 * `insufficient-scope`, nothing on `none` — driven through every error code: it never loops
 * on a permanent error, rides out passing ones, and never signs a user out for a
 * configuration error.
 */
import { describe, expect, it } from 'vitest'
import {
  validateLogoutToken,
  clientCredentialsGrant,
  completeAuthorization,
  createContext,
  createPublicContext,
  createSession,
  discover,
  discoverFromResource,
  discoverResource,
  refreshGrant,
  startDeviceAuthorization,
  TokenManager,
  memoryStore,
  type ErrorCode,
  type HttpOptions,
  type OAuthKitError,
  type TokenStore,
} from '../src/index.js'
import { ERROR_TABLE } from '../src/errors.js'
import { createBrowserClient } from '../src/entries/browser.js'
import { ISSUER, metadata } from './support/as-mock.js'
import { fakeClock } from './support/msw.js'

type Outcome = 'done' | 'stopped' | 'signed-in-again' | 'asked-for-scope' | 'cancelled' | 'gave-up'

/** The application: calls `call` until it succeeds or `recovery` says to do something else. */
async function followRecovery(call: () => Promise<unknown>, clock: ReturnType<typeof fakeClock>) {
  const seen: OAuthKitError[] = []
  for (let attempt = 1; attempt <= 8; attempt++) {
    try {
      await call()
      return { outcome: 'done' as Outcome, attempts: attempt, seen }
    } catch (e) {
      const err = e as OAuthKitError
      seen.push(err)
      const outcome = (
        { reauthenticate: 'signed-in-again', 'fix-config': 'stopped', 'insufficient-scope': 'asked-for-scope', none: 'cancelled' } as const
      )[err.recovery as Exclude<OAuthKitError['recovery'], 'retry'>]
      if (outcome) return { outcome: outcome as Outcome, attempts: attempt, seen }
      await clock.sleep((err.retryAfter ?? 2 ** attempt) * 1000)
    }
  }
  return { outcome: 'gave-up' as Outcome, attempts: 8, seen }
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json', ...headers } })
const tokens = (extra: Record<string, unknown> = {}) => json(200, { access_token: 'at', token_type: 'bearer', expires_in: 300, ...extra })

/** A server whose first `failures` answers are `failing()`, then `ok()` (permanent when failures is Infinity). */
function flaky(
  failing: (request: Request) => Response | Promise<Response>,
  failures = Infinity,
  ok: () => Response = () => tokens(),
): HttpOptions['fetch'] {
  let calls = 0
  return async (input, init) => {
    const request = new Request(input, init)
    calls++
    if (init?.signal?.aborted) throw init.signal.reason
    if (calls <= failures) {
      return Promise.race([
        failing(request),
        new Promise<never>((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason), { once: true })),
      ])
    }
    return ok()
  }
}

interface Scenario {
  code: ErrorCode
  outcome: Outcome
  call: (clock: ReturnType<typeof fakeClock>) => () => Promise<unknown>
}

const secret = { clientId: 'app', clientSecret: 'app-secret' }
// retry: false, so that the application sees each failure (the built-in retries are tested on their own, test/protocol/run/retry.test.ts).
const cc =
  (fetch: HttpOptions['fetch'], more: Record<string, unknown> = {}, meta = metadata()) =>
  (clock: ReturnType<typeof fakeClock>) =>
  () =>
    clientCredentialsGrant(createContext(meta as never, secret, { fetch, clock, timeout: 1000, retry: false, ...more }))
const never = () => new Promise<Response>(() => {})
const failingStore: TokenStore = {
  load: async () => undefined,
  save: async () => Promise.reject(new Error('disk full')),
  clear: async () => {},
}

const SCENARIOS: Scenario[] = [
  { code: 'invalid_config', outcome: 'stopped', call: () => () => refreshGrant(createContext(metadata(), secret), '') },
  {
    code: 'insecure_url',
    outcome: 'stopped',
    call: cc(
      flaky(() => tokens()),
      {},
      metadata('http://as.example.com'),
    ),
  },
  {
    code: 'missing_endpoint',
    outcome: 'stopped',
    call: () => () => startDeviceAuthorization(createContext(metadata(ISSUER, { device_authorization_endpoint: undefined }), secret)),
  },
  {
    code: 'unsupported_auth_method',
    outcome: 'stopped',
    call: () => async () => createContext(metadata(ISSUER, { token_endpoint_auth_methods_supported: ['tls_client_auth'] }), secret),
  },
  { code: 'network_error', outcome: 'done', call: cc(flaky(() => Promise.reject(new TypeError('fetch failed')), 2)) },
  // A host name that does not resolve (undici's `fetch failed` with the resolver's ENOTFOUND): a typo, not a bad moment.
  {
    code: 'unknown_host',
    outcome: 'stopped',
    call: cc(
      flaky(() => Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }) }))),
    ),
  },
  { code: 'timeout', outcome: 'done', call: cc(flaky(never, 1)) },
  {
    code: 'aborted',
    outcome: 'cancelled',
    call: (clock) => () =>
      clientCredentialsGrant(createContext(metadata(), secret, { fetch: flaky(never), clock }), { signal: AbortSignal.abort() }),
  },
  {
    code: 'redirect_refused',
    outcome: 'stopped',
    call: cc(flaky(() => new Response(null, { status: 302, headers: { location: 'https://as.example.com/oauth/token' } }))),
  },
  {
    code: 'discovery_failed',
    outcome: 'stopped',
    call: (clock) => () => discover(ISSUER, { fetch: flaky(() => new Response('no', { status: 404 })), clock, discoveryCache: false }),
  },
  {
    code: 'not_json',
    outcome: 'stopped',
    call: cc(flaky(() => new Response('<html>hi</html>', { status: 200, headers: { 'content-type': 'text/html' } }))),
  },
  {
    code: 'invalid_json',
    outcome: 'stopped',
    call: cc(flaky(() => new Response('{"access_token":', { status: 200, headers: { 'content-type': 'application/json' } }))),
  },
  {
    code: 'response_too_large',
    outcome: 'stopped',
    call: cc(
      flaky(() => json(200, { access_token: 'x'.repeat(2000), token_type: 'bearer' })),
      { maxResponseBytes: 1000 },
    ),
  },
  {
    code: 'unexpected_status',
    outcome: 'stopped',
    call: cc(flaky(() => new Response('<h1>Not Found</h1>', { status: 404, headers: { 'content-type': 'text/html' } }))),
  },
  {
    code: 'unexpected_status',
    outcome: 'done',
    call: cc(flaky(() => new Response('busy', { status: 503, headers: { 'retry-after': '5' } }), 2)),
  },
  {
    code: 'issuer_mismatch',
    outcome: 'stopped',
    call: (clock) => () =>
      discover(ISSUER, { fetch: flaky(() => json(200, metadata('https://evil.example.com'))), clock, discoveryCache: false }),
  },
  {
    code: 'resource_mismatch',
    outcome: 'stopped',
    call: (clock) => () =>
      discoverResource('https://api.example.com', {
        fetch: flaky(() => json(200, { resource: 'https://other.example.com' })),
        clock,
        discoveryCache: false,
      }),
  },
  {
    code: 'untrusted_issuer',
    outcome: 'stopped',
    call: (clock) => () =>
      discoverFromResource('https://api.example.com', {
        fetch: flaky(() => json(200, { resource: 'https://api.example.com/', authorization_servers: ['https://evil.example.com'] })),
        clock,
        discoveryCache: false,
        trustedIssuers: [ISSUER],
      }),
  },
  {
    code: 'invalid_metadata',
    outcome: 'stopped',
    call: (clock) => () => discover(ISSUER, { fetch: flaky(() => json(200, { issuer: ISSUER })), clock, discoveryCache: false }),
  },
  { code: 'invalid_response', outcome: 'stopped', call: cc(flaky(() => json(200, { token_type: 'bearer' }))) },
  ...(['state_mismatch', 'missing_state', 'iss_mismatch', 'missing_iss', 'missing_code'] as const).map((code) => ({
    code,
    outcome: 'signed-in-again' as Outcome,
    call: () => () => {
      const query = {
        state_mismatch: 'code=c&state=x&iss=I',
        missing_state: 'code=c&iss=I',
        iss_mismatch: 'code=c&state=s&iss=https%3A%2F%2Fevil',
        missing_iss: 'code=c&state=s',
        missing_code: 'state=s&iss=I',
      }[code]
      const ctx = createPublicContext(metadata(ISSUER, { authorization_response_iss_parameter_supported: true }), 'app')
      return completeAuthorization(ctx, `https://app.example/cb?${query.replace('iss=I', `iss=${encodeURIComponent(ISSUER)}`)}`, {
        state: 's',
        codeVerifier: 'v'.repeat(43),
        redirectUri: 'https://app.example/cb',
      })
    },
  })),
  {
    code: 'invalid_id_token',
    outcome: 'signed-in-again',
    call: (clock) => () => {
      const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
      const idToken = `${part({ alg: 'RS256' })}.${part({ iss: ISSUER, sub: 'u', aud: 'someone-else', iat: 1, exp: 2 })}.c2ln`
      const ctx = createPublicContext(metadata(), 'app', { fetch: flaky(() => tokens({ id_token: idToken, scope: 'openid' })), clock })
      return completeAuthorization(ctx, `https://app.example/cb?code=c&state=s`, {
        state: 's',
        codeVerifier: 'v'.repeat(43),
        redirectUri: 'https://app.example/cb',
        nonce: 'n',
      })
    },
  },
  {
    // A back-channel logout token that is not a JWT: refused before any key is fetched (its sender's fault: answer 400).
    code: 'invalid_logout_token',
    outcome: 'stopped',
    call: (clock) => () => validateLogoutToken(createContext(metadata(), secret, { clock }), 'not-a-jwt'),
  },
  {
    code: 'oauth_error',
    outcome: 'stopped',
    call: cc(flaky(() => json(401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="t"' }))),
  },
  { code: 'oauth_error', outcome: 'stopped', call: cc(flaky(() => json(400, { error: 'invalid_scope' }))) },
  {
    code: 'oauth_error',
    outcome: 'done',
    call: cc(flaky(() => json(429, { error: 'invalid_request', error_description: 'rate limited' }, { 'retry-after': '3' }), 1)),
  },
  { code: 'oauth_error', outcome: 'done', call: cc(flaky(() => json(503, { error: 'temporarily_unavailable' }), 2)) },
  {
    code: 'oauth_error',
    outcome: 'signed-in-again',
    call: (clock) => () =>
      refreshGrant(createContext(metadata(), secret, { fetch: flaky(() => json(400, { error: 'invalid_grant' })), clock }), 'rt'),
  },
  {
    code: 'oauth_error',
    outcome: 'asked-for-scope',
    call: (clock) => () =>
      refreshGrant(createContext(metadata(), secret, { fetch: flaky(() => json(403, { error: 'insufficient_scope' })), clock }), 'rt'),
  },
  {
    code: 'device_flow_expired',
    outcome: 'signed-in-again',
    call: (clock) => async () => {
      let n = 0
      const fetch: typeof globalThis.fetch = async () =>
        n++ === 0
          ? json(200, {
              device_code: 'd',
              user_code: 'U',
              verification_uri: 'https://as.example.com/activate',
              expires_in: 10,
              interval: 5,
            })
          : json(400, { error: 'authorization_pending' })
      return (await startDeviceAuthorization(createContext(metadata(), secret, { fetch, clock }))).wait()
    },
  },
  {
    code: 'stale_sign_in',
    outcome: 'signed-in-again',
    call: (clock) => () =>
      completeAuthorization(createPublicContext(metadata(), 'app', { clock }), 'https://app.example/cb?code=c&state=old', {
        state: 'old',
        codeVerifier: 'v'.repeat(43),
        redirectUri: 'https://app.example/cb',
        createdAt: clock.now() - 3_600_000,
      }),
  },
  {
    code: 'no_pending_sign_in',
    outcome: 'signed-in-again',
    call: (clock) => () =>
      createBrowserClient({ metadata: metadata(), clientId: 'spa', redirectUri: 'https://app.example/cb', clock }).handleRedirectCallback(
        'https://app.example/cb?code=c&state=forged',
      ),
  },
  {
    code: 'circuit_open',
    outcome: 'done',
    // A renewal fails; a second caller a moment later is told at once; after retryAfter, the probe renews.
    call: (clock) => {
      const session = createSession(
        createContext(metadata(), secret, { fetch: flaky(() => json(500, { error: 'server_error' }), 1), clock, retry: false }),
        { grant: 'client_credentials' },
      )
      let first = true
      return async () => {
        if (first) await session.getAccessToken().catch(() => {})
        first = false
        return session.getAccessToken()
      }
    },
  },
  {
    code: 'sign_in_required',
    outcome: 'signed-in-again',
    call: (clock) => () => createSession(createContext(metadata(), secret, { clock })).getAccessToken(),
  },
  {
    code: 'persist_failed',
    outcome: 'done',
    call: (clock) => {
      let saves = 0
      const store: TokenStore = { ...failingStore, save: async () => (saves++ === 0 ? Promise.reject(new Error('disk full')) : saves) }
      // With a refresh token (one that may rotate), new tokens the store refused are not served blind.
      const manager = new TokenManager({
        store,
        clock,
        obtain: async () => ({ accessToken: 'at', tokenType: 'bearer', refreshToken: 'rt', expiresAt: clock.now() + 600_000, extra: {} }),
      })
      return () => manager.getAccessToken()
    },
  },
  {
    code: 'store_conflict',
    outcome: 'done',
    // A store's compare-and-swap loses to a concurrent writer once; read again, save again.
    call: () => {
      const store = memoryStore()
      let concurrentWriter = true
      const mine = { accessToken: 'mine', tokenType: 'bearer', extra: {} }
      return async () => {
        const current = await store.load()
        if (concurrentWriter) {
          concurrentWriter = false
          await store.save({ accessToken: 'theirs', tokenType: 'bearer', extra: {} }, current?.version)
        }
        return store.save(mine, current?.version)
      }
    },
  },
]

describe('an application that follows recovery literally', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.code} → ${scenario.outcome}`, async () => {
      const clock = fakeClock()
      const { outcome, attempts, seen } = await followRecovery(scenario.call(clock), clock)
      expect(seen.map((e) => e.code)).toContain(scenario.code)
      expect(outcome, seen.map((e) => `${e.code}/${e.recovery}: ${e.message}`).join('\n')).toBe(scenario.outcome)
      // Never loops: a permanent error stops at once; a passing one is ridden out.
      expect(attempts).toBeLessThanOrEqual(scenario.outcome === 'done' ? 4 : 1)
      // Never signs a user out for a configuration error.
      if (seen.some((e) => e.recovery === 'fix-config')) expect(outcome).toBe('stopped')
    })
  }

  it('covers every code of the table', () => {
    const covered = new Set(SCENARIOS.map((s) => s.code))
    expect(ERROR_TABLE.flatMap((row) => row[2].split(' ')).filter((code) => !covered.has(code as ErrorCode))).toEqual([])
  })
})
