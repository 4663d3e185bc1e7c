/**
 * startDeviceAuthorization and its wait (RFC 8628): the flow, its URLs for a person, and polling
 * through bad moments.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { createContext, createOAuthClient, type OAuthClientOptions, startDeviceAuthorization } from '../../../src/index.js'
import { ISSUER, metadata, tokenJson, tokenAnswers, unavailable } from '../../support/as-mock.js'
import { fakeClock, form, useStrictMsw, failure } from '../../support/msw.js'

const msw = useStrictMsw()

const ok = { access_token: 'at', token_type: 'Bearer', expires_in: 300 }

function client(options: Partial<OAuthClientOptions> = {}) {
  return createOAuthClient({ clientId: 'svc', clientSecret: 'secret', metadata: metadata(), ...options })
}

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

  it('sends the resource indicators (RFC 8707) with the device authorization and again with each poll', async () => {
    const clock = fakeClock()
    const started: URLSearchParams[] = []
    const polled: URLSearchParams[] = []
    msw.server.use(
      http.post(`${ISSUER}/device`, async ({ request }) => {
        started.push(await form(request))
        return HttpResponse.json({
          device_code: 'dc',
          user_code: 'U',
          verification_uri: 'https://as.example.com/activate',
          expires_in: 600,
        })
      }),
      http.post(`${ISSUER}/token`, async ({ request }) => {
        polled.push(await form(request))
        return tokenJson(polled.length === 1 ? { error: 'authorization_pending' } : ok, { status: polled.length === 1 ? 400 : 200 })
      }),
    )
    const resource = ['https://mcp.example.com/mcp', 'https://api.example.com']
    const flow = await (await client({ clock })).startDeviceAuthorization({ scope: 'read', resource })
    await flow.wait()
    expect(started[0]!.getAll('resource')).toEqual(resource)
    expect(polled.map((p) => p.getAll('resource'))).toEqual([resource, resource])
    expect(polled[0]!.get('scope')).toBeNull()
  })

  it('a user_code with control characters (an escape sequence, a bidi override) is refused before anyone is shown it', async () => {
    for (const code of ['AB\u001b]52;c;ZXZpbA==\u0007CD', 'ABCD\u202eHGFE']) {
      device({ user_code: code })
      const err = await failure((await client()).startDeviceAuthorization())
      expect(err).toMatchObject({ code: 'invalid_response' })
      expect(err.message).toBe('device authorization: the user_code holds control characters; refusing to show it')
    }
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

  for (const error of ['access_denied', 'expired_token', 'invalid_grant']) {
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

const answers = (...replies: Array<() => Response>) => tokenAnswers(msw, ...replies)

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
      () => tokenJson({ access_token: 'at-1', token_type: 'bearer', expires_in: 10 }),
    )
    const clock = fakeClock()
    const flow = await startDeviceAuthorization(createContext(metadata(), { clientId: 'app', clientSecret: 'app-secret' }, { clock }))
    expect((await flow.wait()).accessToken).toBe('at-1')
    // 5 s; each bad moment doubles it (the 429's Retry-After of 20 s as a floor); slow_down is the
    // server answering again: its pace plus 5 s (5 → 10), which pending keeps.
    expect(clock.sleeps).toEqual([5000, 10000, 20000, 40000, 10000, 10000])
  })

  it('repeated server_error answers back off, doubling to a minute; the pace comes back when the server answers as it should', async () => {
    msw.server.use(
      http.post(`${ISSUER}/device`, () =>
        HttpResponse.json({ device_code: 'dc', user_code: 'U', verification_uri: `${ISSUER}/activate`, expires_in: 3600, interval: 5 }),
      ),
    )
    const failing = () => tokenJson({ error: 'server_error' }, { status: 500 })
    answers(
      ...Array.from({ length: 8 }, () => failing),
      () => tokenJson({ error: 'authorization_pending' }, { status: 400 }),
      () => tokenJson({ access_token: 'at-1', token_type: 'bearer', expires_in: 10 }),
    )
    const clock = fakeClock()
    const flow = await startDeviceAuthorization(createContext(metadata(), { clientId: 'app', clientSecret: 'app-secret' }, { clock }))
    expect((await flow.wait()).accessToken).toBe('at-1')
    expect(clock.sleeps).toEqual([5000, 10000, 20000, 40000, 60000, 60000, 60000, 60000, 60000, 5000])
  })
})
