/**
 * OpenID CIBA Core 1.0 on strict mocks (#28 item 3): the backchannel authentication request
 * (one hint, the binding message, the requested expiry, RAR), poll mode with `interval` and
 * `slow_down`, ping mode (the ping validated, then one token request), the errors on the
 * recovery table, and the session that asks again. Against oidc-provider: test/e2e/ciba.test.ts.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { createContext, createOAuthClient, startBackchannelAuthentication, validatePing } from '../../../src/index.js'
import { ISSUER, fakeIdToken, metadata, tokenJson } from '../../support/as-mock.js'
import { failure, fakeClock, form, useStrictMsw } from '../../support/msw.js'

const msw = useStrictMsw()
const BC = `${ISSUER}/bc-authorize`
const cibaMetadata = () =>
  metadata(ISSUER, { backchannel_authentication_endpoint: BC, backchannel_token_delivery_modes_supported: ['poll', 'ping'] })

function started(answer: Record<string, unknown> = { auth_req_id: 'req-1', expires_in: 120, interval: 2 }, status = 200) {
  const sent: Array<{ params: URLSearchParams; authorization: string | null }> = []
  msw.server.use(
    http.post(BC, async ({ request }) => {
      sent.push({ params: await form(request), authorization: request.headers.get('authorization') })
      return HttpResponse.json(answer, { status })
    }),
  )
  return sent
}

/** The token endpoint answers each CIBA poll in turn (the last for good); an ID token for ann once approved. */
function polls(clock: { now(): number }, ...answers: Array<string | 'tokens'>) {
  const sent: URLSearchParams[] = []
  msw.server.use(
    http.post(`${ISSUER}/token`, async ({ request }) => {
      const params = await form(request)
      sent.push(params)
      const next = answers[Math.min(sent.length - 1, answers.length - 1)]!
      if (next !== 'tokens') return tokenJson({ error: next }, { status: 400 })
      const now = Math.floor(clock.now() / 1000)
      const idToken = fakeIdToken({ iss: ISSUER, aud: 'agent', sub: 'ann', iat: now, exp: now + 60 })
      return tokenJson({ access_token: `at-${sent.length}`, token_type: 'Bearer', expires_in: 60, refresh_token: 'rt', id_token: idToken })
    }),
  )
  return sent
}

const ctx = (clock = fakeClock()) => createContext(cibaMetadata(), { clientId: 'agent', clientSecret: 'agent-secret' }, { clock })

describe('backchannel authentication, poll mode', () => {
  it('asks with one hint, the binding message and the expiry; waits through pending and slow_down at the interval; the tokens name the user', async () => {
    const clock = fakeClock()
    const sent = started()
    const grant = polls(clock, 'authorization_pending', 'slow_down', 'authorization_pending', 'tokens')
    const request = await startBackchannelAuthentication(ctx(clock), {
      scope: 'openid payments',
      loginHint: 'ann@example.com',
      bindingMessage: 'Pay 12 EUR? W4K',
      requestedExpiry: 120,
      resource: 'https://api.example.com',
      authorizationDetails: [{ type: 'payment_initiation', instructedAmount: { currency: 'EUR', amount: '12.00' } }],
    })
    expect(request).toMatchObject({ authReqId: 'req-1', interval: 2, expiresAt: clock.now() + 120_000 })
    const asked = sent[0]!.params
    expect(Object.fromEntries(asked)).toMatchObject({
      scope: 'openid payments',
      login_hint: 'ann@example.com',
      binding_message: 'Pay 12 EUR? W4K',
      requested_expiry: '120',
      resource: 'https://api.example.com',
    })
    expect(JSON.parse(asked.get('authorization_details')!)).toEqual([
      { type: 'payment_initiation', instructedAmount: { currency: 'EUR', amount: '12.00' } },
    ])
    expect(sent[0]!.authorization).toMatch(/^Basic /)
    const tokens = await request.wait()
    expect(tokens).toMatchObject({ accessToken: 'at-4', idTokenClaims: { sub: 'ann' }, scope: 'openid payments' })
    expect(grant.map((p) => [p.get('grant_type'), p.get('auth_req_id'), p.get('resource')])).toEqual(
      Array(4).fill(['urn:openid:params:grant-type:ciba', 'req-1', 'https://api.example.com']),
    )
    expect(clock.sleeps).toEqual([2000, 2000, 7000, 7000])
  })

  it('polls every 5 s when the server gives no interval', async () => {
    const clock = fakeClock()
    started({ auth_req_id: 'req-1', expires_in: 60 })
    polls(clock, 'tokens')
    const request = await startBackchannelAuthentication(ctx(clock), { scope: 'openid', idTokenHint: 'eyJ.a.b' })
    expect(request.interval).toBe(5)
    await request.wait()
    expect(clock.sleeps).toEqual([5000])
  })

  for (const error of ['access_denied', 'expired_token', 'transaction_failed']) {
    it(`${error} ends the wait: reauthenticate (ask again)`, async () => {
      const clock = fakeClock()
      started()
      polls(clock, 'authorization_pending', error)
      const request = await startBackchannelAuthentication(ctx(clock), { scope: 'openid', loginHint: 'ann' })
      expect(await failure(request.wait())).toMatchObject({ code: 'oauth_error', error, recovery: 'reauthenticate' })
    })
  }

  it('a request that expires before the user answers: device_flow_expired, saying so', async () => {
    const clock = fakeClock()
    started({ auth_req_id: 'req-1', expires_in: 10, interval: 4 })
    polls(clock, 'authorization_pending')
    const request = await startBackchannelAuthentication(ctx(clock), { scope: 'openid', loginHint: 'ann' })
    const err = await failure(request.wait())
    expect(err).toMatchObject({ code: 'device_flow_expired', recovery: 'reauthenticate' })
    expect(err.message).toBe('backchannel authentication: the request expired before the user approved; start again')
  })

  it('the server refuses the request: unknown_user_id is the configuration; expired_login_hint_token, ask again', async () => {
    started({ error: 'unknown_user_id', error_description: 'no such user' }, 400)
    expect(await failure(startBackchannelAuthentication(ctx(), { scope: 'openid', loginHint: 'nobody' }))).toMatchObject({
      error: 'unknown_user_id',
      recovery: 'fix-config',
    })
    started({ error: 'expired_login_hint_token' }, 400)
    expect(await failure(startBackchannelAuthentication(ctx(), { scope: 'openid', loginHintToken: 'old' }))).toMatchObject({
      recovery: 'reauthenticate',
    })
  })
})

describe('backchannel authentication: what is refused before anything is sent', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no hint', { scope: 'openid' }, /exactly one of loginHint, idTokenHint, loginHintToken \(CIBA §7\.1\); got 0/],
    ['two hints', { scope: 'openid', loginHint: 'a', idTokenHint: 'b' }, /got 2/],
    ['a scope without openid', { scope: 'payments', loginHint: 'a' }, /a scope with openid/],
    [
      'a binding message with an escape sequence',
      { scope: 'openid', loginHint: 'a', bindingMessage: 'ok\u001b[2J' },
      /without control characters/,
    ],
    ['a requested expiry that is not whole seconds', { scope: 'openid', loginHint: 'a', requestedExpiry: 1.5 }, /whole number of seconds/],
  ]
  for (const [name, options, message] of cases) {
    it(name, async () => {
      const err = await failure(startBackchannelAuthentication(ctx(), options as never))
      expect(err.code).toBe('invalid_config')
      expect(err.message).toMatch(message)
    })
  }

  it('a server without a backchannel authentication endpoint: missing_endpoint', async () => {
    const c = createContext(metadata(), { clientId: 'agent', clientSecret: 'agent-secret' })
    expect((await failure(startBackchannelAuthentication(c, { scope: 'openid', loginHint: 'a' }))).code).toBe('missing_endpoint')
  })
})

describe('backchannel authentication, ping mode', () => {
  const ping = (init: { method?: string; token?: string; type?: string; body?: string }) =>
    new Request('https://agent.example.com/ciba/ping', {
      method: init.method ?? 'POST',
      headers: {
        ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
        'content-type': init.type ?? 'application/json',
      },
      ...(init.method === 'GET' ? {} : { body: init.body ?? JSON.stringify({ auth_req_id: 'req-1' }) }),
    })

  it('sends the notification token; the ping validated names the request; complete() redeems it once', async () => {
    const clock = fakeClock()
    const sent = started({ auth_req_id: 'req-1', expires_in: 120 })
    const grant = polls(clock, 'tokens')
    const request = await startBackchannelAuthentication(ctx(clock), {
      scope: 'openid',
      loginHint: 'ann',
      clientNotificationToken: 'nt-8f2c',
    })
    expect(sent[0]!.params.get('client_notification_token')).toBe('nt-8f2c')
    expect(await validatePing(ping({ token: 'nt-8f2c' }), { clientNotificationToken: 'nt-8f2c' })).toBe('req-1')
    expect(await request.complete()).toMatchObject({ idTokenClaims: { sub: 'ann' } })
    expect(grant).toHaveLength(1)
    expect(clock.sleeps).toEqual([])
  })

  const refused: Array<[string, Parameters<typeof ping>[0]]> = [
    ['another bearer token (a forged ping)', { token: 'nt-guess' }],
    ['no bearer token', {}],
    ['a GET', { method: 'GET', token: 'nt-8f2c' }],
    ['a form body', { token: 'nt-8f2c', type: 'application/x-www-form-urlencoded', body: 'auth_req_id=req-1' }],
    ['JSON without auth_req_id', { token: 'nt-8f2c', body: '{"id":"req-1"}' }],
    ['broken JSON', { token: 'nt-8f2c', body: '{"auth_req_id":' }],
    ['a body over 4 KiB', { token: 'nt-8f2c', body: JSON.stringify({ auth_req_id: 'r', pad: 'x'.repeat(5000) }) }],
  ]
  for (const [name, init] of refused) {
    it(`refuses ${name}: invalid_response`, async () => {
      const err = await failure(validatePing(ping(init), { clientNotificationToken: 'nt-8f2c' }))
      expect(err.code).toBe('invalid_response')
      expect(err.message).toMatch(/^CIBA ping refused: /)
      expect(err.message).not.toContain('nt-8f2c')
    })
  }
})

describe('the client and its CIBA session', () => {
  it('client.startBackchannelAuthentication; a ciba session asks the user, refreshes, and asks again when the refresh is refused', async () => {
    const clock = fakeClock()
    const client = await createOAuthClient({ metadata: cibaMetadata(), clientId: 'agent', clientSecret: 'agent-secret', clock })
    started()
    polls(clock, 'tokens')
    expect((await (await client.startBackchannelAuthentication({ scope: 'openid', loginHint: 'ann' })).wait()).accessToken).toMatch(/^at-/)

    const asked: string[] = []
    const session = client.session({
      grant: 'ciba',
      scope: 'openid payments',
      ciba: { loginHint: 'ann', bindingMessage: 'Agent wants payments', onRequest: (r) => void asked.push(r.authReqId) },
    })
    const requests = started({ auth_req_id: 'req-2', expires_in: 120, interval: 1 })
    let refreshes = 0
    msw.server.use(
      http.post(`${ISSUER}/token`, async ({ request }) => {
        const params = await form(request)
        if (params.get('grant_type') === 'refresh_token')
          return ++refreshes === 1
            ? tokenJson({ access_token: 'at-refreshed', token_type: 'Bearer', expires_in: 60, refresh_token: 'rt-2' })
            : tokenJson({ error: 'invalid_grant' }, { status: 400 })
        const now = Math.floor(clock.now() / 1000)
        const idToken = fakeIdToken({ iss: ISSUER, aud: 'agent', sub: 'ann', iat: now, exp: now + 60 })
        return tokenJson({
          access_token: `at-ciba-${requests.length}`,
          token_type: 'Bearer',
          expires_in: 60,
          refresh_token: 'rt',
          id_token: idToken,
        })
      }),
    )
    expect(await session.getAccessToken()).toBe('at-ciba-1')
    clock.advance(61_000)
    expect(await session.getAccessToken()).toBe('at-refreshed')
    clock.advance(61_000)
    expect(await session.getAccessToken()).toBe('at-ciba-2')
    expect(asked).toEqual(['req-2', 'req-2'])
    expect(requests.map((r) => r.params.get('binding_message'))).toEqual(['Agent wants payments', 'Agent wants payments'])
  })

  it('a ciba session without whom to ask is refused at once', async () => {
    const client = await createOAuthClient({ metadata: cibaMetadata(), clientId: 'agent', clientSecret: 'agent-secret' })
    expect(() => client.session({ grant: 'ciba', scope: 'openid' })).toThrow(/a ciba session needs ciba/)
  })
})
