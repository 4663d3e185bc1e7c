import { delay, http, HttpResponse } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { createAuthorizedKy } from '../src/entries/ky.js'
import { urlMatcher } from '../src/fetch/authorized-fetch.js'
import {
  createAuthorizedFetch,
  createOAuthClient,
  memoryStore,
  TokenManager,
  type Session,
  type SessionOptions,
  type TokenControl,
  type TokenSet,
  type TokenStore,
} from '../src/index.js'
import { ISSUER, metadata, tokenJson } from './support/as-mock.js'
import { fakeClock, form, useStrictMsw, failure } from './support/msw.js'

const msw = useStrictMsw()
const API = 'https://api.example.com/v1'

/**
 * A mocked authorization server and API that agree on which access tokens are valid.
 * Tokens are `at-N` / `rt-N`; refresh tokens rotate and a used one is refused.
 */
function world(options: { lifetime?: number; failTokenRequests?: number; apiDelay?: () => number } = {}) {
  const valid = new Set<string>()
  const liveRefresh = new Set<string>(['rt-0'])
  let issued = 0
  let failures = options.failTokenRequests ?? 0
  const grants: string[] = []
  msw.server.use(
    http.post(`${ISSUER}/token`, async ({ request }) => {
      const params = await form(request)
      grants.push(params.get('grant_type')!)
      if (failures > 0) {
        failures--
        return tokenJson({ error: 'server_error' }, { status: 500 })
      }
      if (params.get('grant_type') === 'refresh_token') {
        const used = params.get('refresh_token')!
        if (!liveRefresh.delete(used)) return tokenJson({ error: 'invalid_grant' }, { status: 400 })
      }
      issued++
      valid.add(`at-${issued}`)
      liveRefresh.add(`rt-${issued}`)
      return tokenJson({
        access_token: `at-${issued}`,
        token_type: 'Bearer',
        expires_in: options.lifetime ?? 300,
        refresh_token: `rt-${issued}`,
      })
    }),
    http.all(`${API}/*`, async ({ request }) => {
      if (options.apiDelay) await delay(options.apiDelay())
      const token = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1]
      if (!token || !valid.has(token))
        return new HttpResponse(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } })
      return HttpResponse.json({ token })
    }),
  )
  return {
    valid,
    tokenCalls: () => grants.length,
    grants,
    revokeAll: () => valid.clear(),
  }
}

async function makeSession(clock = fakeClock(), options: SessionOptions = {}): Promise<Session> {
  const client = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), clock })
  return client.session({ apiUrls: [API], ...options })
}

const expired = (clock: { now(): number }): TokenSet => ({
  accessToken: 'at-0',
  tokenType: 'bearer',
  refreshToken: 'rt-0',
  expiresAt: clock.now() - 1000,
  extra: {},
})

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

/** A refresh step whose server refused the refresh token (invalid_grant), as an error from another copy of oauthkit would look. */
const refusedGrant = async (): Promise<TokenSet> =>
  Promise.reject(
    Object.assign(new Error('refused'), {
      name: 'OAuthServerError',
      code: 'oauth_error',
      recovery: 'reauthenticate',
      error: 'invalid_grant',
    }),
  )

describe('a refresh token the server refused', () => {
  const set = (rt: string, expiresAt: number): TokenSet => ({
    accessToken: `at-for-${rt}`,
    tokenType: 'bearer',
    refreshToken: rt,
    expiresAt,
    extra: {},
  })

  it('leaves the store (compare-and-delete) and is never sent again', async () => {
    const clock = fakeClock()
    const store = memoryStore()
    const refresh = vi.fn(refusedGrant)
    const manager = new TokenManager({ store, clock, refresh })
    await manager.setTokens(set('rt-dead', clock.now() - 1))
    for (let i = 0; i < 3; i++) expect((await failure(manager.getAccessToken())).code).toBe('sign_in_required')
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(await store.load()).toBeUndefined()
  })

  it('is not removed when another holder stored a newer set meanwhile (compare-and-delete)', async () => {
    const clock = fakeClock()
    const inner = memoryStore()
    const newer = set('rt-newer', clock.now() + 600_000)
    let loads = 0
    // The third load (the one before removal) finds what another holder saved in between.
    const store: TokenStore = {
      ...inner,
      load: async () => {
        if (++loads === 3) await inner.save(newer, (await inner.load())?.version)
        return inner.load()
      },
    }
    const refresh = vi.fn(refusedGrant)
    const manager = new TokenManager({ store, clock, refresh })
    await inner.save(set('rt-dead', clock.now() - 1), undefined)
    await failure(manager.getAccessToken())
    expect((await inner.load())!.tokens).toEqual(newer)
  })

  it('on a client_credentials session (a server that also issues refresh tokens) falls back to the grant, and the new tokens are stored', async () => {
    const clock = fakeClock()
    const w = world({ lifetime: 60 })
    const store = memoryStore()
    const session = await makeSession(clock, { grant: 'client_credentials', store })
    expect(await session.getAccessToken()).toBe('at-1')
    w.valid.clear()
    clock.advance(61_000)
    // The refresh token is refused (the world forgets rt-1), so the session runs client_credentials again.
    msw.server.use(
      http.post(
        `${ISSUER}/token`,
        async ({ request }) =>
          (await form(request)).get('grant_type') === 'refresh_token' ? tokenJson({ error: 'invalid_grant' }, { status: 400 }) : undefined,
        { once: true },
      ),
    )
    expect(await session.getAccessToken()).toBe('at-2')
    expect((await store.load())?.tokens.accessToken).toBe('at-2')
  })
})

describe('a sign-out', () => {
  it('wins over a renewal that was on its way: the new tokens are dropped, nothing is stored, and no later call brings them back', async () => {
    const clock = fakeClock()
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    msw.server.use(
      http.post(
        `${ISSUER}/token`,
        async () => (await held, tokenJson({ access_token: 'at-late', token_type: 'Bearer', expires_in: 300, refresh_token: 'rt-late' })),
      ),
    )
    const store = memoryStore()
    const session = await makeSession(clock, {
      store,
      tokens: { accessToken: 'at-0', tokenType: 'bearer', refreshToken: 'rt-0', expiresAt: clock.now() - 1, extra: {} },
    })
    const renewing = session.getAccessToken()
    await delay(10)
    await session.clear() // the user signs out while the refresh is at the server
    release()
    expect((await failure(renewing)).code).toBe('sign_in_required')
    expect(await store.load()).toBeUndefined()
    expect(session.validToken()).toBeUndefined()
    expect((await failure(session.getAccessToken())).code).toBe('sign_in_required')
    expect(msw.count('/token')).toBe(1)
  })

  it('wins when it lands while the new tokens are being saved: they are not taken', async () => {
    const clock = fakeClock()
    const inner = memoryStore()
    // The user signs out while the renewal's save is under way (the sign-out's own store clear waits for the lock).
    let signedOut: Promise<void> | undefined
    const store: TokenStore = {
      ...inner,
      save: async (tokens, version, owner) => {
        const saved = await inner.save(tokens, version, owner)
        if (tokens.accessToken === 'at-new') signedOut = manager.clear()
        return saved
      },
    }
    const manager: TokenManager = new TokenManager({
      store,
      clock,
      refresh: async () => ({
        accessToken: 'at-new',
        tokenType: 'bearer',
        refreshToken: 'rt-new',
        expiresAt: clock.now() + 300_000,
        extra: {},
      }),
    })
    await inner.save({ accessToken: 'at-0', tokenType: 'bearer', refreshToken: 'rt-0', expiresAt: clock.now() - 1, extra: {} }, undefined)
    expect((await failure(manager.getAccessToken())).code).toBe('sign_in_required')
    await signedOut
    expect(manager.validToken()).toBeUndefined()
    expect(await inner.load()).toBeUndefined()
  })
})

describe('a coordinator (the browser tabs) and the one lock', () => {
  const set = (accessToken: string, clock: { now(): number }): TokenSet => ({
    accessToken,
    tokenType: 'bearer',
    refreshToken: `r-${accessToken}`,
    expiresAt: clock.now() + 300_000,
    extra: {},
  })

  it('adopting what another holder announced waits for the lock, and loses to a sign-out that came meanwhile', async () => {
    const clock = fakeClock()
    let release!: () => void
    let control!: TokenControl
    const manager = new TokenManager({
      clock,
      coordinator: (c) => (control = c),
      obtain: () => new Promise((resolve) => (release = () => resolve(set('mine', clock)))),
    })
    const renewing = manager.getAccessToken()
    await delay(5)
    // Another tab's renewal is announced while this one renews: it is taken after this renewal, under the lock.
    const adopted = control.adopt(set('theirs', clock))
    release()
    expect(await renewing).toBe('mine')
    await adopted
    expect(manager.validToken()).toBe('theirs')

    // An announcement that arrives before a sign-out but waits for the lock meanwhile is dropped.
    const renewingAgain = (manager.invalidate('theirs'), manager.getAccessToken())
    await delay(5)
    const late = control.adopt(set('late', clock))
    const signedOut = manager.clear()
    release()
    await Promise.allSettled([renewingAgain, late, signedOut])
    expect(manager.validToken()).toBeUndefined()
    expect(await control.peek()).toBeUndefined()
  })

  it('forgetting a dead grant runs under the lock: a renewal under way finishes first, and a newer sign-in stays', async () => {
    const clock = fakeClock()
    let control!: TokenControl
    const store = memoryStore()
    const manager = new TokenManager({ clock, store, coordinator: (c) => (control = c) })
    await manager.setTokens(set('one', clock))
    await control.forget((t) => t.accessToken === 'other')
    expect(manager.validToken()).toBe('one')
    await control.forget((t) => t.accessToken === 'one')
    expect(manager.validToken()).toBeUndefined()
    expect(await store.load()).toBeUndefined()
  })

  it("TokenManager's public methods are a caller's: peeking, adopting and forgetting are the coordinator's only", () => {
    const methods = Object.getOwnPropertyNames(TokenManager.prototype).filter((name) => name !== 'constructor')
    expect(methods.sort()).toEqual(['clear', 'close', 'getAccessToken', 'getTokens', 'invalidate', 'on', 'setTokens', 'validToken'])
  })
})

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

describe('token manager', () => {
  it('refreshes ahead of expiry by the skew, but never more than half a short lifetime', async () => {
    const clock = fakeClock()
    const w = world({ lifetime: 30 })
    const session = await makeSession(clock, { grant: 'client_credentials' })
    await session.getAccessToken()
    clock.advance(14_000)
    await session.getAccessToken()
    expect(w.tokenCalls()).toBe(1)
    clock.advance(1_001) // 15 s before expiry: half the 30 s lifetime
    await session.getAccessToken()
    expect(w.tokenCalls()).toBe(2)
  })

  it('uses the default 60 s skew for long-lived tokens', async () => {
    const clock = fakeClock()
    const w = world({ lifetime: 3600 })
    const session = await makeSession(clock, { grant: 'client_credentials' })
    await session.getAccessToken()
    clock.advance(3539_000)
    await session.getAccessToken()
    expect(w.tokenCalls()).toBe(1)
    clock.advance(2_000)
    await session.getAccessToken()
    expect(w.tokenCalls()).toBe(2)
  })

  it('client_credentials runs the grant again with the same parameters, or refreshes when it got a refresh token', async () => {
    const clock = fakeClock()
    const w = world({ lifetime: 10 })
    const session = await makeSession(clock, {
      grant: 'client_credentials',
      scope: 'read',
      audience: 'https://api',
      resource: 'https://api.example.com',
    })
    await session.getAccessToken()
    clock.advance(20_000)
    await session.getAccessToken()
    expect(w.grants).toEqual(['client_credentials', 'refresh_token'])
    const sent = await form(msw.requests[1]!)
    expect([sent.get('scope'), sent.get('audience'), sent.get('resource')]).toEqual(['read', 'https://api', 'https://api.example.com'])
  })

  it('a rotated-out refresh token is never sent again, even when the store failed', async () => {
    const clock = fakeClock()
    const w = world()
    let failSave = false
    const inner = memoryStore()
    const flaky: TokenStore = {
      load: () => inner.load(),
      save: async (t, v) => {
        if (failSave) {
          failSave = false
          throw new Error('disk full')
        }
        return inner.save(t, v)
      },
      clear: () => inner.clear(),
    }
    const manager = await makeSession(clock, { store: flaky })
    await manager.setTokens(expired(clock))
    failSave = true
    const err = await failure(manager.getAccessToken())
    expect(err.code).toBe('persist_failed')
    expect(w.grants).toEqual(['refresh_token'])
    const token = await manager.getAccessToken()
    expect(token).toBe('at-1')
    expect(w.grants).toEqual(['refresh_token'])
    expect((await inner.load())?.tokens.refreshToken).toBe('rt-1')
  })

  it('on invalid_grant re-reads the store once (another process rotated it) before asking for sign-in', async () => {
    const clock = fakeClock()
    const w = world()
    const shared = memoryStore()
    // Another process already refreshed rt-0 → rt-1 and stored it; our first read was older.
    await shared.save(expired(clock), undefined)
    let firstLoad = true
    const racy: TokenStore = {
      load: async () => {
        if (firstLoad) {
          firstLoad = false
          const other = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), clock })
          const rotated = await other.refreshGrant('rt-0')
          const before = await shared.load()
          await shared.save(rotated, before!.version)
          return before
        }
        return shared.load()
      },
      save: (t, v) => shared.save(t, v),
      clear: () => shared.clear(),
    }
    const manager = new TokenManager({
      store: racy,
      clock,
      refresh: async (rt) =>
        (await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), clock })).refreshGrant(rt),
    })
    const signIn = vi.fn()
    manager.on('sign-in-required', signIn)
    expect(await manager.getAccessToken()).toBe('at-1')
    expect(signIn).not.toHaveBeenCalled()
    expect(w.grants).toEqual(['refresh_token', 'refresh_token']) // the other process's, then our refused one
  })

  it('reports sign-in required when the refresh token is gone and nothing newer is stored', async () => {
    const clock = fakeClock()
    world()
    const session = await makeSession(clock, { tokens: { ...expired(clock), refreshToken: 'rt-unknown' } })
    const events: string[] = []
    session.on('sign-in-required', (e) => events.push(e.code))
    const err = await failure(session.getAccessToken())
    expect(err).toMatchObject({ code: 'sign_in_required', recovery: 'reauthenticate' })
    expect(events).toEqual(['sign_in_required'])
  })

  it('emits tokens changed, and a failing listener surfaces as an error', async () => {
    const clock = fakeClock()
    world()
    const session = await makeSession(clock, { grant: 'client_credentials' })
    const seen: string[] = []
    const off = session.on('tokens', (t) => void seen.push(t.accessToken))
    await session.getAccessToken()
    expect(seen).toEqual(['at-1'])
    off()
    session.on('tokens', () => {
      throw new Error('could not persist')
    })
    session.invalidate('at-1')
    expect((await failure(session.getAccessToken())).code).toBe('persist_failed')
  })

  it('refresh-failed is emitted for a failure that is not a lost grant, once the retries are spent', async () => {
    const clock = fakeClock()
    world({ failTokenRequests: 5 })
    const session = await makeSession(clock, { grant: 'client_credentials' })
    const failed = vi.fn()
    session.on('refresh-failed', failed)
    await session.getAccessToken().catch(() => {})
    expect(failed).toHaveBeenCalledOnce()
  })

  it('invalidate marks a token bad only if it is still the current one', async () => {
    world()
    const session = await makeSession(fakeClock(), { grant: 'client_credentials' })
    const token = await session.getAccessToken()
    expect(session.invalidate('some-old-token')).toBe(false)
    expect(session.invalidate(token)).toBe(true)
    expect(await session.getAccessToken()).not.toBe(token)
  })

  it('the background timer never overflows setTimeout and never keeps the process alive', async () => {
    const clock = fakeClock()
    const timers: Array<{ delay: number; unref: boolean }> = []
    const realSetTimeout = globalThis.setTimeout
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const handle = realSetTimeout(fn, 0x7fffffff)
      const entry = { delay: ms ?? 0, unref: false }
      timers.push(entry)
      const original = handle.unref.bind(handle)
      handle.unref = () => ((entry.unref = true), original())
      return handle
    }) as typeof setTimeout)
    try {
      const manager = new TokenManager({ clock, backgroundRefresh: true })
      await manager.setTokens({ accessToken: 'a', tokenType: 'bearer', expiresAt: clock.now() + 365 * 24 * 3600 * 1000, extra: {} })
      manager.close()
    } finally {
      spy.mockRestore()
    }
    expect(timers).toHaveLength(1)
    expect(timers[0]!.delay).toBeLessThanOrEqual(2_147_483_647)
    expect(timers[0]!.unref).toBe(true)
  })

  it('the background timer renews a token ahead of expiry without any caller (real timers)', async () => {
    const w = world({ lifetime: 1 })
    const client = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata() })
    const session = client.session({ grant: 'client_credentials', backgroundRefresh: true })
    const first = await session.getAccessToken()
    // 1 s lifetime: renewal is due after half of it; nobody calls meanwhile.
    await expect.poll(() => w.tokenCalls(), { timeout: 15_000, interval: 50 }).toBe(2)
    expect(session.validToken()).not.toBe(first)
    session.close()
  })

  it('the request path reads the cached token without a token request or a store read', async () => {
    world()
    const inner = memoryStore()
    let loads = 0
    const counting: TokenStore = {
      ...inner,
      load: () => (loads++, inner.load()),
      save: (t, v) => inner.save(t, v),
      clear: () => inner.clear(),
    }
    const session = await makeSession(fakeClock(), { grant: 'client_credentials', store: counting })
    await session.getAccessToken()
    const before = loads
    for (let i = 0; i < 100; i++) await session.getAccessToken()
    expect(loads).toBe(before)
    expect(msw.count('/token')).toBe(1)
  })
})
