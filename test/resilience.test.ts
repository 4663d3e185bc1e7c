/**
 * Resilience (#14), on strict msw mocks and a fake clock: the retry policy of token requests
 * (backoff schedule, Retry-After and its cap, the total-time bound, the abort, what is never
 * resent), stale while renewing, the circuit, a refresh whose answer was lost against a server
 * with reuse detection, device polling through bad moments, the server's clock, and the
 * events and tracing hook.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import {
  clientCredentialsGrant,
  completeAuthorization,
  createContext,
  createOAuthClient,
  createPublicContext,
  refreshGrant,
  startDeviceAuthorization,
  type RenewalEvent,
  type RetryEvent,
  type RetryPolicy,
  type TokenSet,
} from '../src/index.js'
import { ISSUER, fakeIdToken, metadata, tokenJson } from './support/as-mock.js'
import { failure, fakeClock, form, useStrictMsw } from './support/msw.js'

const msw = useStrictMsw()
const secret = { clientId: 'app', clientSecret: 'app-secret' }
const unavailable = () => tokenJson({ error: 'temporarily_unavailable' }, { status: 503 })
const ok = (n = 1, more: Record<string, unknown> = {}) =>
  tokenJson({ access_token: `at-${n}`, token_type: 'bearer', expires_in: 10, ...more })

/** A token endpoint that gives the answers in turn (the last one for good). */
function answers(...replies: Array<() => Response>) {
  let n = 0
  msw.server.use(http.post(`${ISSUER}/token`, () => replies[Math.min(n++, replies.length - 1)]!()))
}

function context(clock = fakeClock(), retry?: RetryPolicy | false) {
  return createContext(metadata(), secret, { clock, ...(retry === undefined ? {} : { retry }) })
}

describe('the retry policy of token requests', () => {
  it('retries passing failures with exponential backoff and full jitter, and reports each retry', async () => {
    answers(unavailable, unavailable, unavailable, () => ok())
    const clock = fakeClock()
    const events: RetryEvent[] = []
    const tokens = await clientCredentialsGrant(context(clock, { random: () => 0.999, onRetry: (e) => events.push(e) }))
    expect(tokens.accessToken).toBe('at-1')
    // 250 · 2^(n-1), a random part of each: at the top of the range here.
    expect(clock.sleeps).toEqual([249, 499, 999])
    expect(events).toEqual([
      { operation: 'client_credentials grant', attempt: 2, delay: 249, reason: 'oauth_error temporarily_unavailable' },
      { operation: 'client_credentials grant', attempt: 3, delay: 499, reason: 'oauth_error temporarily_unavailable' },
      { operation: 'client_credentials grant', attempt: 4, delay: 999, reason: 'oauth_error temporarily_unavailable' },
    ])
  })

  it('gives up after the attempts, with the last error', async () => {
    answers(unavailable)
    const clock = fakeClock()
    expect(await failure(clientCredentialsGrant(context(clock, { attempts: 2, random: () => 0.5 })))).toMatchObject({
      error: 'temporarily_unavailable',
      recovery: 'retry',
    })
    expect(msw.count('/token')).toBe(2)
    expect(clock.sleeps).toEqual([125])
  })

  it('waits out a Retry-After up to maxDelay; a longer one ends the retries, its wait in the error', async () => {
    answers(
      () => tokenJson({ error: 'slow_down_please' }, { status: 429, headers: { 'retry-after': '2' } }),
      () => ok(),
    )
    const clock = fakeClock()
    await clientCredentialsGrant(context(clock))
    expect(clock.sleeps).toEqual([2000])
    answers(() => tokenJson({ error: 'busy' }, { status: 429, headers: { 'retry-after': '30' } }))
    const err = await failure(clientCredentialsGrant(context(clock)))
    expect(err).toMatchObject({ status: 429, retryAfter: 30, recovery: 'retry' })
    expect(msw.count('/token')).toBe(3)
  })

  it('starts no try past maxElapsed', async () => {
    answers(unavailable)
    const clock = fakeClock()
    await failure(clientCredentialsGrant(context(clock, { attempts: 10, maxElapsed: 1000, random: () => 0.999 })))
    // 249 + 499 = 748 ms waited; the next wait (999) would end past 1000 ms.
    expect(clock.sleeps).toEqual([249, 499])
    expect(msw.count('/token')).toBe(3)
  })

  it("stops when the caller's signal aborts during a wait, and sends nothing more", async () => {
    answers(unavailable)
    const controller = new AbortController()
    const err = await failure(
      clientCredentialsGrant(context(fakeClock(), { onRetry: () => controller.abort() }), { signal: controller.signal }),
    )
    expect(err).toMatchObject({ code: 'aborted', recovery: 'none' })
    expect(msw.count('/token')).toBe(1)
  })

  it('a per-call policy overrides the context, and retry: false means one try', async () => {
    answers(unavailable)
    await failure(clientCredentialsGrant(context(fakeClock(), { attempts: 5 }), { retry: false }))
    expect(msw.count('/token')).toBe(1)
    await failure(clientCredentialsGrant(context(fakeClock(), false), { retry: { attempts: 2 } }))
    expect(msw.count('/token')).toBe(3)
  })

  it('never sends an authorization code twice', async () => {
    answers(unavailable)
    const ctx = createPublicContext(metadata(), 'spa', { clock: fakeClock() })
    const pending = { state: 's', codeVerifier: 'v'.repeat(43), redirectUri: 'https://app.example/cb' }
    await failure(completeAuthorization(ctx, 'https://app.example/cb?code=c&state=s', pending))
    expect(msw.count('/token')).toBe(1)
  })

  it('resends a refresh token only after the server said it did nothing (429, 503), not after a 500, a reset or a timeout', async () => {
    answers(unavailable, () => ok(2, { refresh_token: 'rt-2' }))
    expect(await refreshGrant(context(), 'rt-1')).toMatchObject({ refreshToken: 'rt-2' })
    expect(msw.count('/token')).toBe(2)
    for (const lost of [() => tokenJson({ error: 'server_error' }, { status: 500 }), () => HttpResponse.error()]) {
      answers(lost, () => ok())
      msw.requests.splice(0)
      expect((await failure(refreshGrant(context(), 'rt-1'))).recovery).toBe('retry')
      expect(msw.count('/token')).toBe(1)
    }
  })
})

/** A session over a server with rotating refresh tokens and reuse detection: a spent refresh token sent again revokes the whole grant. */
function rotatingServer(options: { lifetime?: number; loseAnswer?: () => boolean; fail?: () => Response | undefined } = {}) {
  const live = new Set(['rt-0'])
  const spent = new Set<string>()
  let issued = 0
  let revoked = false
  msw.server.use(
    http.post(`${ISSUER}/token`, async ({ request }) => {
      const failing = options.fail?.()
      if (failing) return failing
      const used = (await form(request)).get('refresh_token')!
      if (revoked || spent.has(used)) {
        revoked = true // reuse detection: the grant is gone
        return tokenJson({ error: 'invalid_grant', error_description: 'refresh token reused' }, { status: 400 })
      }
      if (!live.delete(used)) return tokenJson({ error: 'invalid_grant' }, { status: 400 })
      spent.add(used)
      const next = `rt-${++issued}`
      live.add(next)
      // The answer is lost on its way back: the token was spent all the same.
      if (options.loseAnswer?.()) return HttpResponse.error()
      return tokenJson({ access_token: `at-${issued}`, token_type: 'bearer', expires_in: options.lifetime ?? 10, refresh_token: next })
    }),
  )
  return { revoked: () => revoked }
}

async function userSession(clock: ReturnType<typeof fakeClock>, expiresIn = 10_000) {
  const client = await createOAuthClient({ ...secret, metadata: metadata(), clock, retry: false })
  const tokens: TokenSet = { accessToken: 'at-0', tokenType: 'bearer', refreshToken: 'rt-0', expiresAt: clock.now() + expiresIn, extra: {} }
  const session = client.session({ tokens })
  const events: { renewal: RenewalEvent[]; signIn: number; failed: number } = { renewal: [], signIn: 0, failed: 0 }
  session.on('renewal', (e) => events.renewal.push(e))
  session.on('sign-in-required', () => events.signIn++)
  session.on('refresh-failed', () => events.failed++)
  await session.getAccessToken()
  return { session, events }
}

describe('stale while renewing, and the circuit', () => {
  it('a renewal that fails while the access token is valid fails no caller: the current token serves, and renewal pauses', async () => {
    let failing = true
    rotatingServer({ fail: () => (failing ? unavailable() : undefined) })
    const clock = fakeClock()
    const { session, events } = await userSession(clock)
    clock.advance(6_000) // past the renewal point (half of 10 s), before expiry
    expect(await session.getAccessToken()).toBe('at-0')
    expect(events.renewal.map((e) => e.outcome)).toEqual(['kept-current'])
    // Within the pause, callers get the current token without a request.
    for (let i = 0; i < 5; i++) expect(await session.getAccessToken()).toBe('at-0')
    expect(msw.count('/token')).toBe(1)
    failing = false
    clock.advance(1_000) // the pause (at most 1 s after the first failure) is over: the next caller probes
    expect(await session.getAccessToken()).toBe('at-1')
    expect(events.renewal.map((e) => e.outcome)).toEqual(['kept-current', 'renewed'])
    expect([events.failed, events.signIn]).toEqual([0, 0])
  })

  it('once the access token has run out: callers get retry with retryAfter; within the pause they fail at once (circuit_open); the pause grows while failures go on; a probe that succeeds closes it', async () => {
    let failing = true
    rotatingServer({ fail: () => (failing ? unavailable() : undefined) })
    const clock = fakeClock()
    const { session, events } = await userSession(clock, 1_000)
    clock.advance(2_000)
    const first = await failure(session.getAccessToken())
    expect(first).toMatchObject({ error: 'temporarily_unavailable', recovery: 'retry', retryAfter: 1 })
    const paused = await failure(session.getAccessToken())
    expect(paused).toMatchObject({ code: 'circuit_open', recovery: 'retry', retryAfter: 1 })
    expect(msw.count('/token')).toBe(1)
    const pauses: number[] = []
    for (let round = 0; round < 4; round++) {
      clock.advance(paused.retryAfter! * 1000 * 2 ** round)
      pauses.push((await failure(session.getAccessToken())).retryAfter!)
    }
    // 1 s, then 2, 4, 8 … (half to all of it, at random): never shorter than half the next step.
    expect(pauses.every((p, i) => p >= 2 ** (i + 1) / 2 && p <= 2 ** (i + 1))).toBe(true)
    failing = false
    clock.advance(60_000)
    expect(await session.getAccessToken()).toBe('at-1')
    expect(await session.getAccessToken()).toBe('at-1')
    expect(events.renewal.at(-1)).toMatchObject({ outcome: 'renewed', failures: 0 })
    expect(events.renewal.filter((e) => e.outcome === 'paused')).toHaveLength(1)
  })
})

describe('a refresh whose answer was lost, against a server with reuse detection', () => {
  it('while the access token is valid: it is served, the refresh token is not sent again (no invalid_grant cascade, no sign-out)', async () => {
    let lose = true
    const server = rotatingServer({ loseAnswer: () => lose })
    const clock = fakeClock()
    const { session, events } = await userSession(clock)
    clock.advance(6_000)
    expect(await session.getAccessToken()).toBe('at-0') // the renewal's answer is lost
    lose = false
    for (let t = 0; t < 35; t++) {
      expect(await session.getAccessToken()).toBe('at-0')
      clock.advance(100) // up to just before expiry, past several pauses
    }
    expect(msw.count('/token')).toBe(1) // rt-0 was sent once
    expect([server.revoked(), events.signIn]).toEqual([false, 0])
    // Expired: the one resend. The first send was processed, so this is the lost race: sign in, once.
    clock.advance(1_000)
    expect(await failure(session.getAccessToken())).toMatchObject({ code: 'sign_in_required' })
    expect(await failure(session.getAccessToken())).toMatchObject({ code: 'sign_in_required' })
    expect(msw.count('/token')).toBe(2)
    expect(events.signIn).toBe(1)
  })

  it('when the lost send never reached the server, the resend at expiry renews and the session goes on', async () => {
    let reset = true
    rotatingServer({ fail: () => (reset ? HttpResponse.error() : undefined) })
    const clock = fakeClock()
    const { session, events } = await userSession(clock)
    clock.advance(6_000)
    expect(await session.getAccessToken()).toBe('at-0')
    reset = false
    clock.advance(4_500)
    expect(await session.getAccessToken()).toBe('at-1')
    expect(events.signIn).toBe(0)
  })
})

describe('device polling through bad moments', () => {
  it('a network error, a 429 and a 503 are waited out and polled again; slow_down still adds 5 s', async () => {
    msw.server.use(
      http.post(`${ISSUER}/device`, () =>
        HttpResponse.json({ device_code: 'dc', user_code: 'U', verification_uri: `${ISSUER}/activate`, expires_in: 600, interval: 5 }),
      ),
    )
    answers(
      () => HttpResponse.error(),
      () => tokenJson({ error: 'busy' }, { status: 429, headers: { 'retry-after': '20' } }),
      unavailable,
      () => tokenJson({ error: 'slow_down' }, { status: 400 }),
      () => tokenJson({ error: 'authorization_pending' }, { status: 400 }),
      () => ok(),
    )
    const clock = fakeClock()
    const flow = await startDeviceAuthorization(context(clock))
    expect((await flow.wait()).accessToken).toBe('at-1')
    // 5 s; the network error doubles it; the 429's Retry-After (20 s) holds; slow_down adds 5.
    expect(clock.sleeps).toEqual([5000, 10000, 20000, 20000, 25000, 25000])
  })
})

describe("the server's clock", () => {
  it('an ID token on a server clock 10 minutes behind is checked on that clock, as its Date header measured', async () => {
    const clock = fakeClock()
    const serverNow = clock.now() - 10 * 60_000
    const idToken = fakeIdToken({ iss: ISSUER, sub: 'u', aud: 'app', iat: serverNow / 1000, exp: serverNow / 1000 + 300 })
    msw.server.use(
      http.post(`${ISSUER}/token`, () =>
        tokenJson(
          { access_token: 'at', token_type: 'bearer', id_token: idToken },
          { headers: { date: new Date(serverNow).toUTCString() } },
        ),
      ),
    )
    const tokens = await refreshGrant(context(clock), 'rt')
    expect(tokens.idTokenClaims).toMatchObject({ sub: 'u' })
  })

  it('a Date header more than an hour off is not believed (onWarning clock_skew)', async () => {
    const clock = fakeClock()
    const onWarning = vi.fn()
    msw.server.use(
      http.post(`${ISSUER}/token`, () =>
        tokenJson({ access_token: 'at', token_type: 'bearer' }, { headers: { date: new Date(clock.now() - 2 * 3_600_000).toUTCString() } }),
      ),
    )
    await clientCredentialsGrant(createContext(metadata(), secret, { clock, onWarning }))
    expect(onWarning.mock.calls.map((c) => c[0].code)).toEqual(['clock_skew'])
  })
})

describe('tracing and events', () => {
  it('the tracing hook gets a span per request: operation, endpoint, URL without query, status or error code, duration; never a secret', async () => {
    answers(unavailable, () => ok())
    const spans: unknown[] = []
    const clock = fakeClock()
    const ctx = createContext(metadata(), secret, { clock, trace: (start) => (end) => void spans.push({ ...start, ...end }) })
    await clientCredentialsGrant(ctx)
    expect(spans).toEqual([
      { operation: 'client_credentials grant', endpoint: 'token', url: `${ISSUER}/token`, status: 503, error: 'oauth_error', duration: 0 },
      { operation: 'client_credentials grant', endpoint: 'token', url: `${ISSUER}/token`, status: 200, duration: 0 },
    ])
    expect(JSON.stringify(spans)).not.toMatch(/app-secret|at-1/)
  })

  it('a tracer that throws changes nothing', async () => {
    answers(() => ok())
    const ctx = createContext(metadata(), secret, {
      trace: () => {
        throw new Error('tracer down')
      },
    })
    expect((await clientCredentialsGrant(ctx)).accessToken).toBe('at-1')
  })

  it('a session reports retry and renewal events, with no token or secret in them', async () => {
    answers(unavailable, () => ok(1, { expires_in: 10 }))
    const client = await createOAuthClient({ ...secret, metadata: metadata(), clock: fakeClock() })
    const session = client.session({ grant: 'client_credentials' })
    const seen: unknown[] = []
    session.on('retry', (e) => seen.push(['retry', e]))
    session.on('renewal', (e) => seen.push(['renewal', e]))
    await session.getAccessToken()
    expect(seen).toEqual([
      [
        'retry',
        expect.objectContaining({ operation: 'client_credentials grant', attempt: 2, reason: 'oauth_error temporarily_unavailable' }),
      ],
      ['renewal', { outcome: 'renewed', failures: 0, duration: expect.any(Number) }],
    ])
    expect(JSON.stringify(seen)).not.toMatch(/app-secret|at-1/)
  })
})
