/**
 * The retry policy of token requests (protocol/run/retry.ts), on strict msw mocks and a fake clock:
 * the backoff schedule, Retry-After and its cap, the total-time bound, the abort, and what is never
 * resent.
 */
import { HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import {
  clientCredentialsGrant,
  completeAuthorization,
  createContext,
  createPublicContext,
  refreshGrant,
  type RetryEvent,
  type RetryPolicy,
} from '../../../src/index.js'
import { metadata, tokenJson, tokenAnswers, unavailable } from '../../support/as-mock.js'
import { failure, fakeClock, useStrictMsw } from '../../support/msw.js'

const msw = useStrictMsw()
const secret = { clientId: 'app', clientSecret: 'app-secret' }
const ok = (n = 1, more: Record<string, unknown> = {}) =>
  tokenJson({ access_token: `at-${n}`, token_type: 'bearer', expires_in: 10, ...more })

const answers = (...replies: Array<() => Response>) => tokenAnswers(msw, ...replies)

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

describe('the call deadline (retry.maxElapsed)', () => {
  it('no retry outlasts it: each retry may take only what is left, and none starts after it', async () => {
    const { withRetry } = await import('../../../src/protocol/run/retry.js')
    const { NetworkError } = await import('../../../src/errors.js')
    const clock = fakeClock()
    const started = clock.now()
    const lefts: Array<number | undefined> = []
    // A silent server: each try takes its whole timeout (1 500 ms), or what it is given when less.
    const attempt = async (left: number | undefined) => {
      lefts.push(left)
      clock.advance(Math.min(1500, left ?? 1500))
      throw new NetworkError('timeout', 'did not answer within 1500 ms')
    }
    const err = await failure(withRetry('test', { maxElapsed: 4000, random: () => 0.5 }, clock, undefined, () => true, attempt))
    expect(err.code).toBe('timeout')
    expect(lefts[0]).toBeUndefined()
    for (const left of lefts.slice(1)) expect(left).toBeLessThan(4000)
    // The call ended within maxElapsed (the first try's timeout being shorter).
    expect(clock.now() - started).toBeLessThanOrEqual(4000)
    expect(lefts.length).toBeGreaterThan(1)
  })
})
