/**
 * A token manager's renewal through failures (token/renewal.ts): stale while renewing, the circuit,
 * and a refresh whose answer was lost against a server with reuse detection.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { createOAuthClient, type RenewalEvent, type TokenSet } from '../../src/index.js'
import { ISSUER, metadata, tokenJson, unavailable } from '../support/as-mock.js'
import { failure, fakeClock, form, useStrictMsw } from '../support/msw.js'

const msw = useStrictMsw()
const secret = { clientId: 'app', clientSecret: 'app-secret' }

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

  it('with the access token run out: the next call sends the kept refresh token once, at once (no circuit_open), and its refusal is sign_in_required', async () => {
    let lose = true
    const server = rotatingServer({ loseAnswer: () => lose })
    const clock = fakeClock()
    const { session, events } = await userSession(clock, 1_000)
    clock.advance(2_000)
    expect(await failure(session.getAccessToken())).toMatchObject({ code: 'network_error' }) // the answer is lost
    lose = false
    // The first send was processed (rt-0 is spent): the resend is the lost race — sign in, told once.
    expect(await failure(session.getAccessToken())).toMatchObject({ code: 'sign_in_required' })
    expect(await failure(session.getAccessToken())).toMatchObject({ code: 'sign_in_required' })
    expect(msw.count('/token')).toBe(2)
    expect([server.revoked(), events.signIn]).toEqual([true, 1])
  })

  it('with the access token run out and the lost send never processed: the next call renews at once', async () => {
    let reset = true
    rotatingServer({ fail: () => (reset ? HttpResponse.error() : undefined) })
    const clock = fakeClock()
    const { session } = await userSession(clock, 1_000)
    clock.advance(2_000)
    expect(await failure(session.getAccessToken())).toMatchObject({ code: 'network_error' })
    reset = false
    expect(await session.getAccessToken()).toBe('at-1')
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
