import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { delay, http, HttpResponse } from 'msw'
import { afterAll, describe, expect, it } from 'vitest'
import { createOAuthClient } from '../../src/index.js'
import { ISSUER, metadata, tokenJson } from '../support/as-mock.js'
import { useStrictMsw, failure } from '../support/msw.js'

const msw = useStrictMsw()

const client = (extra: Record<string, unknown> = {}) =>
  createOAuthClient({ clientId: 'svc', clientSecret: 'top-secret', metadata: metadata(), ...extra })

describe('redirects are never followed for OAuth requests', () => {
  for (const status of [301, 302, 303, 307, 308]) {
    it(`a ${status} from the token endpoint to another origin sends nothing there`, async () => {
      msw.server.use(
        http.post(
          `${ISSUER}/token`,
          () => new HttpResponse(null, { status, headers: { location: 'https://attacker.example.net/steal?x=1' } }),
        ),
      )
      const err = await failure((await client()).refreshGrant('refresh-me'))
      expect(err).toMatchObject({ name: 'NetworkError', code: 'redirect_refused', status })
      expect(err.message).toContain('https://attacker.example.net/steal')
      expect(err.message).not.toContain('x=1')
      expect(msw.requests.map((r) => new URL(r.url).origin)).toEqual([ISSUER])
    })
  }

  it('revocation, introspection and registration refuse redirects too', async () => {
    const to = { status: 307, headers: { location: 'https://attacker.example.net/' } }
    msw.server.use(
      http.post(`${ISSUER}/revoke`, () => new HttpResponse(null, to)),
      http.post(`${ISSUER}/introspect`, () => new HttpResponse(null, to)),
      http.post(`${ISSUER}/register`, () => new HttpResponse(null, to)),
    )
    const c = await client()
    expect((await failure(c.revokeToken('t'))).code).toBe('redirect_refused')
    expect((await failure(c.introspectToken('t'))).code).toBe('redirect_refused')
    const { registerClient } = await import('../../src/index.js')
    expect((await failure(registerClient(metadata(), { redirect_uris: ['https://a.example/cb'] }))).code).toBe('redirect_refused')
    expect(msw.requests.every((r) => new URL(r.url).origin === ISSUER)).toBe(true)
  })
})

describe('configured headers', () => {
  it('replace a default (the User-Agent) but never the client authentication, the body type or what is accepted', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at', token_type: 'Bearer' })))
    const headers = { 'User-Agent': 'my-app/1.0', authorization: 'Basic Zm9yZ2Vk', 'content-type': 'text/plain', accept: 'text/html' }
    await (await client({ headers })).clientCredentialsGrant()
    const sent = msw.requests[0]!.headers
    expect(sent.get('user-agent')).toBe('my-app/1.0')
    expect(sent.get('authorization')).not.toBe('Basic Zm9yZ2Vk')
    expect(sent.get('authorization')).toMatch(/^Basic /)
    expect(sent.get('content-type')).toMatch(/^application\/x-www-form-urlencoded/)
    expect(sent.get('accept')).toBe('application/json')
  })
})

describe('timeouts and cancellation', () => {
  it('a server that never answers times out with a typed error', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, async () => {
        await delay('infinite')
        return tokenJson({})
      }),
    )
    // retry: false — the timeout is the point here, not the retries around it (test/protocol/run/retry.test.ts).
    const err = await failure((await client({ timeout: 50, retry: false })).clientCredentialsGrant())
    expect(err).toMatchObject({ name: 'NetworkError', code: 'timeout', recovery: 'retry' })
    expect(err.message).toContain('50 ms')
  })

  it("the caller's AbortSignal cancels", async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, async () => {
        await delay('infinite')
        return tokenJson({})
      }),
    )
    const controller = new AbortController()
    const pending = (await client()).clientCredentialsGrant({ signal: controller.signal })
    setTimeout(() => controller.abort(), 10)
    expect(await failure(pending)).toMatchObject({ code: 'aborted', recovery: 'none' })
  })

  it('an already-aborted signal sends nothing that completes', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'a', token_type: 'bearer' })))
    expect((await failure((await client()).clientCredentialsGrant({ signal: AbortSignal.abort() }))).code).toBe('aborted')
  })

  it('a connection failure is network_error with the cause kept', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => HttpResponse.error()))
    const err = await failure((await client({ retry: false })).clientCredentialsGrant())
    expect(err).toMatchObject({ code: 'network_error', recovery: 'retry' })
    expect(err.cause).toBeDefined()
  })

  it('a host name that does not resolve is unknown_host (fix-config), naming the host: a typo is not retried', async () => {
    const enotfound = new TypeError('fetch failed', {
      cause: Object.assign(new Error('getaddrinfo ENOTFOUND as.exmaple.com'), { code: 'ENOTFOUND' }),
    })
    const err = await failure((await client({ fetch: async () => Promise.reject(enotfound) })).clientCredentialsGrant())
    expect(err).toMatchObject({ name: 'NetworkError', code: 'unknown_host', recovery: 'fix-config' })
    expect(err.cause).toBeDefined()
    expect(err.message).toBe('could not reach the token endpoint https://as.example.com/token: ENOTFOUND')
  })
})

describe('plain http', () => {
  it('is refused for a non-loopback host before any request', async () => {
    const c = await createOAuthClient({ clientId: 'a', clientSecret: 'top-secret', endpoints: { token: 'http://as.example.com/token' } })
    const err = await failure(c.clientCredentialsGrant())
    expect(err).toMatchObject({ name: 'ConfigError', code: 'insecure_url' })
    expect(msw.requests).toHaveLength(0)
  })

  it('is allowed with an explicit opt-in', async () => {
    msw.server.use(http.post('http://as.internal/token', () => tokenJson({ access_token: 'a', token_type: 'bearer' })))
    const c = await createOAuthClient({ clientId: 'a', endpoints: { token: 'http://as.internal/token' }, allowInsecureHttp: true })
    expect((await c.clientCredentialsGrant()).accessToken).toBe('a')
  })

  it('is refused for other schemes', async () => {
    const c = await createOAuthClient({ clientId: 'a', endpoints: { token: 'ftp://as.example.com/token' } })
    expect((await failure(c.clientCredentialsGrant())).code).toBe('insecure_url')
  })
})

describe('no secret in messages', () => {
  it('query strings are cut from URLs in errors', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => HttpResponse.error()))
    const c = await createOAuthClient({ clientId: 'a', endpoints: { token: `${ISSUER}/token?client_secret=leaky` }, retry: false })
    const err = await failure(c.clientCredentialsGrant())
    expect(err.message).not.toContain('leaky')
    expect(err.url).toBe(`${ISSUER}/token`)
  })
})

describe('against real sockets on loopback', () => {
  const servers: Server[] = []
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))))
  async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler)
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  it('a 307 to another origin does not re-send the body there (Node fetch would)', async () => {
    msw.server.close() // this block talks to real sockets
    const received: string[] = []
    const other = await listen((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        received.push(body)
        res.end('{}')
      })
    })
    const token = await listen((_req, res) => {
      res.writeHead(307, { location: `${other}/token` })
      res.end()
    })
    const c = await createOAuthClient({ clientId: 'a', clientSecret: 'top-secret', endpoints: { token: `${token}/token` } })
    expect((await failure(c.refreshGrant('refresh-me'))).code).toBe('redirect_refused')
    await new Promise((r) => setTimeout(r, 50))
    expect(received).toEqual([])
  })

  it("session.fetch: an API's 307 to another origin is followed without the body or the token (real sockets)", async () => {
    const received: Array<{ method?: string; body: string; authorization?: string }> = []
    const other = await listen((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        received.push({ method: req.method, body, authorization: req.headers.authorization })
        res.end('{}')
      })
    })
    const api = await listen((_req, res) => {
      res.writeHead(307, { location: `${other}/collect` })
      res.end()
    })
    const c = await createOAuthClient({ clientId: 'a', clientSecret: 's', endpoints: { token: `${api}/token` } })
    const session = c.session({ tokens: { accessToken: 'the-access-token', tokenType: 'bearer', extra: {} }, apiUrls: [api] })
    const res = await session.fetch(`${api}/orders`, {
      method: 'POST',
      body: '{"card":"4111"}',
      headers: { 'content-type': 'application/json' },
    })
    expect(res.status).toBe(200)
    expect(received).toEqual([{ method: 'POST', body: '', authorization: undefined }])
  })

  it('a server that accepts and never answers times out', async () => {
    const silent = await listen(() => {
      /* never answers */
    })
    const c = await createOAuthClient({ clientId: 'a', endpoints: { token: `${silent}/token` }, timeout: 100, retry: false })
    expect((await failure(c.clientCredentialsGrant())).code).toBe('timeout')
  })
})
