/**
 * The one authorized fetch (fetch/authorized-fetch.ts), as session.fetch and ky: one token request
 * for many concurrent calls, the token to apiUrls only, 401 and 403 recovery, redirects, and URL
 * matching.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { createAuthorizedKy } from '../../src/entries/ky.js'
import { urlMatcher } from '../../src/fetch/authorized-fetch.js'
import { createAuthorizedFetch, createOAuthClient, type Session } from '../../src/index.js'
import { metadata } from '../support/as-mock.js'
import { fakeClock, useStrictMsw, failure } from '../support/msw.js'
import { API, expired, makeSession, world as sessionWorld } from '../support/session-world.js'

const msw = useStrictMsw()

const world = (options?: Parameters<typeof sessionWorld>[1]) => sessionWorld(msw, options)

type Caller = (url: string) => Promise<Response>
const viaFetch =
  (s: Session): Caller =>
  (url) =>
    s.fetch(url)
const viaKy = (s: Session): Caller => {
  const api = createAuthorizedKy(s, { apiUrls: [API], retry: { limit: 2 }, throwHttpErrors: false })
  return (url) => api.get(url)
}

for (const [style, caller] of [
  ['session.fetch', viaFetch],
  ['ky', viaKy],
] as const) {
  describe(`coalescing through ${style}`, () => {
    it('1,000 concurrent calls with an expired token cause exactly 1 token request', async () => {
      const clock = fakeClock()
      const w = world()
      const session = await makeSession(clock, { tokens: expired(clock) })
      const call = caller(session)
      const responses = await Promise.all(Array.from({ length: 1000 }, (_, i) => call(`${API}/things/${i}`)))
      expect(responses.every((r) => r.status === 200)).toBe(true)
      expect(w.tokenCalls()).toBe(1)
      expect(w.grants).toEqual(['refresh_token'])
    })

    it('100 simultaneous 401s cause exactly 1 refresh', async () => {
      const clock = fakeClock()
      const w = world()
      const session = await makeSession(clock, { tokens: { ...expired(clock), expiresAt: clock.now() + 300_000 } })
      const call = caller(session)
      const responses = await Promise.all(Array.from({ length: 100 }, () => call(`${API}/x`)))
      expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200))
      expect(w.tokenCalls()).toBe(1)
    })

    it('401s for the old token spread over 200 ms after a refresh cause no second refresh', async () => {
      const clock = fakeClock()
      const w = world({ apiDelay: () => Math.floor(Math.random() * 200) })
      const session = await makeSession(clock, { tokens: { ...expired(clock), expiresAt: clock.now() + 300_000 } })
      const call = caller(session)
      const responses = await Promise.all(Array.from({ length: 100 }, () => call(`${API}/slow`)))
      expect(responses.every((r) => r.status === 200)).toBe(true)
      expect(w.tokenCalls()).toBe(1)
    })

    it('a client_credentials cold start with 1,000 concurrent calls causes 1 token request', async () => {
      const w = world()
      const session = await makeSession(fakeClock(), { grant: 'client_credentials', scope: 'read' })
      const call = caller(session)
      const responses = await Promise.all(Array.from({ length: 1000 }, () => call(`${API}/m2m`)))
      expect(responses.every((r) => r.status === 200)).toBe(true)
      expect(w.grants).toEqual(['client_credentials'])
    })

    it('a failed refresh pauses renewal: callers fail at once (circuit_open) until the pause ends, then one probe renews for all', async () => {
      const clock = fakeClock()
      const w = world({ failTokenRequests: 1 })
      const session = await makeSession(clock, { tokens: expired(clock) })
      const call = caller(session)
      // A 500 on a refresh may have spent the rotating refresh token: not resent at once.
      const first = await Promise.allSettled(Array.from({ length: 50 }, () => call(`${API}/a`)))
      expect(first.every((r) => r.status === 'rejected')).toBe(true)
      expect(w.tokenCalls()).toBe(1)
      const paused = await Promise.allSettled(Array.from({ length: 50 }, () => call(`${API}/a`)))
      expect(paused.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : r.status))).toEqual(
        Array(50).fill('circuit_open'),
      )
      expect(w.tokenCalls()).toBe(1)
      clock.advance(1000)
      const second = await Promise.all(Array.from({ length: 50 }, () => call(`${API}/b`)))
      expect(second.every((r) => r.status === 200)).toBe(true)
      expect(w.tokenCalls()).toBe(2)
    })
  })
}

describe('session.fetch', () => {
  it('sends no token to an origin outside the allowed list', async () => {
    world()
    const seen: Array<string | null> = []
    const record = ({ request }: { request: Request }) => (seen.push(request.headers.get('authorization')), HttpResponse.json({}))
    msw.server.use(http.get('https://other.example.com/x', record), http.get('https://api.example.com/v2/not-under-v1', record))
    const session = await makeSession(fakeClock(), { grant: 'client_credentials' })
    await session.fetch('https://other.example.com/x')
    await session.fetch('https://api.example.com/v2/not-under-v1')
    await session.fetch(new Request('https://other.example.com/x', { headers: { 'x-a': '1' } }))
    expect(seen).toEqual([null, null, null])
    expect(msw.count('/token')).toBe(0)
  })

  it("a request outside apiUrls passes unchanged, with session.fetch and ky alike: another API's own credentials stay", async () => {
    world()
    const seen: Array<string | null> = []
    msw.server.use(
      http.get('https://other.example.com/x', ({ request }) => (seen.push(request.headers.get('authorization')), HttpResponse.json({}))),
    )
    const session = await makeSession(fakeClock(), { grant: 'client_credentials' })
    const theirs = { headers: { authorization: 'Bearer other-api-token' } }
    await session.fetch('https://other.example.com/x', theirs)
    await createAuthorizedKy(session, { apiUrls: [API] }).get('https://other.example.com/x', theirs)
    expect(seen).toEqual(['Bearer other-api-token', 'Bearer other-api-token'])
    expect(msw.count('/token')).toBe(0)
  })

  for (const status of [302, 307]) {
    it(`does not carry the token across a ${status} redirect to another origin`, async () => {
      world()
      const seen: Array<string | null> = []
      msw.server.use(
        http.all(`${API}/moved`, () => new HttpResponse(null, { status, headers: { location: 'https://collector.example.net/in' } })),
        http.all(
          'https://collector.example.net/in',
          ({ request }) => (seen.push(request.headers.get('authorization')), HttpResponse.json({ ok: true })),
        ),
      )
      const session = await makeSession(fakeClock(), { grant: 'client_credentials' })
      const res = await session.fetch(`${API}/moved`, { method: 'POST', body: 'payload' })
      expect(res.status).toBe(200)
      expect(seen).toEqual([null])
    })
  }

  it('ky does not carry the token across a redirect to another origin either', async () => {
    world()
    const seen: Array<string | null> = []
    msw.server.use(
      http.get(`${API}/moved`, () => new HttpResponse(null, { status: 302, headers: { location: 'https://collector.example.net/in' } })),
      http.get(
        'https://collector.example.net/in',
        ({ request }) => (seen.push(request.headers.get('authorization')), HttpResponse.json({ ok: true })),
      ),
    )
    const session = await makeSession(fakeClock(), { grant: 'client_credentials' })
    const res = await viaKy(session)(`${API}/moved`)
    expect(res.status).toBe(200)
    expect(seen).toEqual([null])
  })

  it('a cross-origin 307/308 never carries the body (nor the token, cookies or content type); a same-origin one does', async () => {
    world()
    const hops: Array<{
      url: string
      method: string
      body: string
      authorization: string | null
      cookie: string | null
      type: string | null
    }> = []
    const record = async ({ request }: { request: Request }) => {
      hops.push({
        url: request.url,
        method: request.method,
        body: await request.text(),
        authorization: request.headers.get('authorization'),
        cookie: request.headers.get('cookie'),
        type: request.headers.get('content-type'),
      })
      return HttpResponse.json({ ok: true })
    }
    msw.server.use(
      http.post(`${API}/away`, () => new HttpResponse(null, { status: 307, headers: { location: 'https://collector.example.net/in' } })),
      http.put(`${API}/away-308`, () => new HttpResponse(null, { status: 308, headers: { location: 'https://collector.example.net/in' } })),
      http.post(`${API}/here`, () => new HttpResponse(null, { status: 307, headers: { location: `${API}/there` } })),
      http.all('https://collector.example.net/in', record),
      http.post(`${API}/there`, record),
    )
    const session = await makeSession(fakeClock(), { grant: 'client_credentials' })
    const secretBody = JSON.stringify({ card: '4111 1111 1111 1111' })
    const init = (method: string) => ({ method, body: secretBody, headers: { 'content-type': 'application/json', cookie: 'sid=abc' } })
    await session.fetch(`${API}/away`, init('POST'))
    await session.fetch(`${API}/away-308`, init('PUT'))
    await session.fetch(`${API}/here`, init('POST'))
    expect(hops.map(({ url, ...rest }) => [new URL(url).host, rest])).toEqual([
      ['collector.example.net', { method: 'POST', body: '', authorization: null, cookie: null, type: null }],
      ['collector.example.net', { method: 'PUT', body: '', authorization: null, cookie: null, type: null }],
      ['api.example.com', { method: 'POST', body: secretBody, authorization: 'Bearer at-1', cookie: 'sid=abc', type: 'application/json' }],
    ])
  })

  it("crossOriginRedirects: 'stop' hands a cross-origin redirect back instead of following it", async () => {
    world()
    msw.server.use(
      http.post(`${API}/away`, () => new HttpResponse(null, { status: 307, headers: { location: 'https://collector.example.net/in' } })),
    )
    const client = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), clock: fakeClock() })
    const session = client.session({ grant: 'client_credentials' })
    const api = createAuthorizedFetch({ tokens: session, apiUrls: [API], crossOriginRedirects: 'stop' })
    const res = await api(`${API}/away`, { method: 'POST', body: 'x' })
    expect(res.status).toBe(307)
  })

  it('sends a bearer token over plain http only to loopback, or with allowInsecureHttp (RFC 6750 §5.3)', async () => {
    const client = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata() })
    for (const apiUrl of ['http://api.example.test', 'http://localhost.evil.test/v1', 'http://127.0.0.1.nip.example/v1']) {
      const err = (() => {
        try {
          client.session({ grant: 'client_credentials', apiUrls: [apiUrl] })
        } catch (e) {
          return e as { code?: string }
        }
      })()
      expect(err?.code, apiUrl).toBe('insecure_url')
      expect(() => createAuthorizedKy(client.session({}), { apiUrls: [apiUrl] }), apiUrl).toThrow(/plain http/)
    }
    for (const apiUrl of ['http://127.0.0.1:8080/v1', 'http://localhost:3000', 'http://[::1]:9/x', 'https://api.example.test']) {
      expect(() => client.session({ grant: 'client_credentials', apiUrls: [apiUrl] }), apiUrl).not.toThrow()
    }
    const opted = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), allowInsecureHttp: true })
    expect(() => opted.session({ grant: 'client_credentials', apiUrls: ['http://api.internal.test'] })).not.toThrow()
  })

  it('keeps the token across a redirect that stays within the allowed URLs', async () => {
    world()
    msw.server.use(http.get(`${API}/old`, () => new HttpResponse(null, { status: 301, headers: { location: `${API}/new` } })))
    const session = await makeSession(fakeClock(), { grant: 'client_credentials' })
    const res = await session.fetch(`${API}/old`)
    expect(res.status).toBe(200)
  })

  it('returns a second 401 as is', async () => {
    const w = world()
    msw.server.use(http.get(`${API}/always-401`, () => new HttpResponse(null, { status: 401, headers: { 'www-authenticate': 'Bearer' } })))
    const session = await makeSession(fakeClock(), { grant: 'client_credentials' })
    expect((await session.fetch(`${API}/always-401`)).status).toBe(401)
    expect(w.tokenCalls()).toBe(2)
  })

  it('does not retry a body it cannot replay', async () => {
    const w = world()
    const session = await makeSession(fakeClock(), { grant: 'client_credentials' })
    await session.getAccessToken()
    w.revokeAll()
    const body = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('x')), c.close()) })
    const res = await session.fetch(`${API}/upload`, { method: 'POST', body, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(401)
  })

  it('a Basic challenge does not trigger a refresh', async () => {
    const w = world()
    msw.server.use(
      http.get(`${API}/basic`, () => new HttpResponse(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="x"' } })),
    )
    const session = await makeSession(fakeClock(), { grant: 'client_credentials' })
    expect((await session.fetch(`${API}/basic`)).status).toBe(401)
    expect(w.tokenCalls()).toBe(1)
  })

  it('a DPoP challenge to a client without a DPoP key is a typed error saying so: no useless Bearer renewal', async () => {
    const w = world()
    const dpopOnly = 'DPoP error="invalid_token", algs="ES256 PS256"'
    msw.server.use(http.get(`${API}/dpop-only`, () => new HttpResponse(null, { status: 401, headers: { 'www-authenticate': dpopOnly } })))
    const session = await makeSession(fakeClock(), { grant: 'client_credentials' })
    const err = await failure(session.fetch(`${API}/dpop-only`))
    expect(err).toMatchObject({ code: 'oauth_error', status: 401, recovery: 'fix-config', message: expect.stringContaining('createDPoP') })
    expect(w.tokenCalls()).toBe(1)
    // Offering Bearer too, the server takes either: renewed once as before.
    msw.server.use(
      http.get(`${API}/either`, () => new HttpResponse(null, { status: 401, headers: { 'www-authenticate': `${dpopOnly}, Bearer` } })),
    )
    expect((await session.fetch(`${API}/either`)).status).toBe(401)
    expect(w.tokenCalls()).toBe(2)
  })

  it('a 403 insufficient_scope is a typed error carrying the scope', async () => {
    world()
    msw.server.use(
      http.get(
        `${API}/admin`,
        () =>
          new HttpResponse(null, {
            status: 403,
            headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="admin write"' },
          }),
      ),
    )
    const session = await makeSession(fakeClock(), { grant: 'client_credentials' })
    const err = await failure(session.fetch(`${API}/admin`))
    expect(err).toMatchObject({ error: 'insufficient_scope', scope: 'admin write', recovery: 'insufficient-scope', status: 403 })
  })

  it('without apiUrls, session.fetch explains what is missing', async () => {
    const client = await createOAuthClient({ clientId: 'a', metadata: metadata() })
    expect((await failure(client.session().fetch(`${API}/x`))).code).toBe('invalid_config')
  })

  it('never puts the token in the URL', async () => {
    world()
    const session = await makeSession(fakeClock(), { grant: 'client_credentials' })
    await session.fetch(`${API}/q?x=1`)
    const apiRequest = msw.requests.find((r) => r.url.startsWith(API))!
    expect(apiRequest.url).toBe(`${API}/q?x=1`)
  })
})

describe('allowed URL matching', () => {
  const allowed = urlMatcher(['https://api.example.com/v1'])
  const cases: Array<[string, boolean]> = [
    ['https://api.example.com/v1', true],
    ['https://api.example.com/v1/things?x=1', true],
    ['https://API.EXAMPLE.COM/v1/things', true],
    ['https://api.example.com:443/v1/things', true],
    ['https://api.example.com/v10/things', false],
    ['https://api.example.com/v1/../admin', false],
    ['https://api.example.com/v1/%2e%2e/admin', false],
    ['https://api.example.com.evil.net/v1/x', false],
    ['https://api.example.com@evil.net/v1/x', false],
    ['https://api.example.com\\@evil.net/v1/x', false],
    ['http://api.example.com/v1/x', false],
    ['https://api.example.com:8443/v1/x', false],
    ['not a url', false],
  ]
  for (const [url, expected] of cases) {
    it(`${url} → ${expected ? 'token' : 'no token'}`, () => expect(allowed(url)).toBe(expected))
  }
})
