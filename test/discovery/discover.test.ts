import { delay, http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import {
  DiscoveryCache,
  defineDialect,
  discover,
  discoverFromResource,
  discoverResource,
  resourceMetadataUrl,
  createOAuthClient,
} from '../../src/index.js'
import { ISSUER, metadata } from '../support/as-mock.js'
import { fakeClock, useStrictMsw, failure } from '../support/msw.js'

const msw = useStrictMsw()
const noCache = { discoveryCache: false as const }

describe('discovery from an issuer', () => {
  it('reads RFC 8414 metadata and keeps the URL that answered', async () => {
    msw.server.use(http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata())))
    const found = await discover(ISSUER, noCache)
    expect(found.metadata.token_endpoint).toBe(`${ISSUER}/token`)
    expect(found.url).toBe(`${ISSUER}/.well-known/oauth-authorization-server`)
  })

  it('inserts the well-known segment before an issuer path (RFC 8414 §3.1)', async () => {
    const issuer = `${ISSUER}/tenant/a`
    msw.server.use(http.get(`${ISSUER}/.well-known/oauth-authorization-server/tenant/a`, () => HttpResponse.json(metadata(issuer))))
    const found = await discover(issuer, noCache)
    expect(found.metadata.issuer).toBe(issuer)
  })

  it('falls back to OpenID Connect discovery, appended form', async () => {
    const issuer = `${ISSUER}/realms/x`
    msw.server.use(
      http.get(`${ISSUER}/.well-known/oauth-authorization-server/realms/x`, () => new HttpResponse('nope', { status: 404 })),
      http.get(`${ISSUER}/realms/x/.well-known/openid-configuration`, () => HttpResponse.json(metadata(issuer))),
    )
    const found = await discover(issuer, noCache)
    expect(found.url).toBe(`${ISSUER}/realms/x/.well-known/openid-configuration`)
  })

  it('falls back to OpenID Connect discovery, inserted form (RFC 8414 §5)', async () => {
    const issuer = `${ISSUER}/realms/y`
    msw.server.use(
      http.get(`${ISSUER}/.well-known/oauth-authorization-server/realms/y`, () => new HttpResponse(null, { status: 404 })),
      http.get(`${ISSUER}/realms/y/.well-known/openid-configuration`, () => new HttpResponse(null, { status: 405 })),
      http.get(`${ISSUER}/.well-known/openid-configuration/realms/y`, () => HttpResponse.json(metadata(issuer))),
    )
    const found = await discover(issuer, noCache)
    expect(found.url).toBe(`${ISSUER}/.well-known/openid-configuration/realms/y`)
    expect(msw.requests).toHaveLength(3)
  })

  it('moves on when a location fails like a CORS-less 404 does in a browser (a network error)', async () => {
    msw.server.use(
      http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.error()),
      http.get(`${ISSUER}/.well-known/openid-configuration`, () => HttpResponse.json(metadata())),
    )
    expect((await discover(ISSUER, noCache)).url).toBe(`${ISSUER}/.well-known/openid-configuration`)
  })

  it('reports the network error when no location answers', async () => {
    msw.server.use(http.get(`${ISSUER}/.well-known/*`, () => HttpResponse.error()))
    expect((await failure(discover(ISSUER, noCache))).code).toBe('network_error')
  })

  it('caches with a TTL and shares one request between concurrent callers', async () => {
    const clock = fakeClock()
    const cache = new DiscoveryCache(1000)
    msw.server.use(http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata())))
    await Promise.all(Array.from({ length: 20 }, () => discover(ISSUER, { discoveryCache: cache, clock })))
    expect(msw.requests).toHaveLength(1)
    clock.advance(999)
    await discover(ISSUER, { discoveryCache: cache, clock })
    expect(msw.requests).toHaveLength(1)
    clock.advance(2)
    await discover(ISSUER, { discoveryCache: cache, clock })
    expect(msw.requests).toHaveLength(2)
  })

  it("two clients for one issuer with their own fetch and dialect each discover through their own fetch, and each one's dialect is used", async () => {
    const calls = { a: 0, b: 0 }
    const via =
      (name: 'a' | 'b'): typeof fetch =>
      (input, init) => {
        calls[name]++
        return fetch(input, init)
      }
    msw.server.use(
      http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata())),
      http.post(`${ISSUER}/token`, async ({ request }) => {
        const marker = request.headers.get('x-dialect') ?? new URLSearchParams(await request.text()).get('dialect')
        return HttpResponse.json({ access_token: `token-for-${marker}`, token_type: 'bearer', expires_in: 60 })
      }),
    )
    const configA = { fetch: via('a'), dialect: defineDialect({ name: 'A', token: { headers: { 'x-dialect': 'A' } } }) }
    const configB = { fetch: via('b'), dialect: defineDialect({ name: 'B', token: { addParameters: { dialect: 'B' } } }) }
    // Both use the default shared cache: it must not hand b the document a fetched.
    const a = await createOAuthClient({ issuer: ISSUER, clientId: 'a', ...configA })
    const b = await createOAuthClient({ issuer: ISSUER, clientId: 'b', ...configB })
    expect(calls).toEqual({ a: 1, b: 1 })
    expect((await a.clientCredentialsGrant()).accessToken).toBe('token-for-A')
    expect((await b.clientCredentialsGrant()).accessToken).toBe('token-for-B')
    expect(calls).toEqual({ a: 2, b: 2 })
    // The same configuration again shares the cached document; other headers do not.
    await createOAuthClient({ issuer: ISSUER, clientId: 'a2', ...configA })
    expect(calls).toEqual({ a: 2, b: 2 })
    await createOAuthClient({ issuer: ISSUER, clientId: 'a3', ...configA, headers: { 'user-agent': 'other' } })
    expect(calls).toEqual({ a: 3, b: 2 })
  })

  it('does not cache a failure', async () => {
    const cache = new DiscoveryCache()
    let calls = 0
    msw.server.use(
      http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () =>
        ++calls === 1 ? new HttpResponse('down', { status: 503 }) : HttpResponse.json(metadata()),
      ),
    )
    await failure(discover(ISSUER, { discoveryCache: cache }))
    expect((await discover(ISSUER, { discoveryCache: cache })).metadata.issuer).toBe(ISSUER)
  })

  it("one caller's abort ends its own wait only: a concurrent caller of the same shared load gets the document", async () => {
    const cache = new DiscoveryCache()
    let calls = 0
    msw.server.use(
      http.get(`${ISSUER}/.well-known/oauth-authorization-server`, async () => {
        calls++
        await delay(50)
        return HttpResponse.json(metadata())
      }),
    )
    const leaving = new AbortController()
    const first = discover(ISSUER, { discoveryCache: cache, signal: leaving.signal })
    const second = discover(ISSUER, { discoveryCache: cache })
    leaving.abort()
    expect((await failure(first)).code).toBe('aborted')
    expect((await second).metadata.issuer).toBe(ISSUER)
    expect(calls).toBe(1)
    // An abort before the call starts nothing.
    const gone = new AbortController()
    gone.abort()
    expect((await failure(discover(`${ISSUER}/other`, { discoveryCache: cache, signal: gone.signal }))).code).toBe('aborted')
    expect(calls).toBe(1)
  })
})

describe('discovery: malformed answers each give a typed error naming the URL', () => {
  const wellKnown = `${ISSUER}/.well-known/oauth-authorization-server`
  const cases: Array<[string, () => Response, string]> = [
    ['404 everywhere', () => new HttpResponse('not found', { status: 404 }), 'discovery_failed'],
    ['an HTML page', () => new HttpResponse('<html><body>Login</body></html>', { headers: { 'content-type': 'text/html' } }), 'not_json'],
    ['invalid JSON', () => new HttpResponse('{"issuer": ', { headers: { 'content-type': 'application/json' } }), 'invalid_json'],
    ['a JSON array', () => HttpResponse.json([metadata()]), 'invalid_metadata'],
    ['a wrong issuer', () => HttpResponse.json(metadata('https://evil.example.com')), 'issuer_mismatch'],
    ['no issuer', () => HttpResponse.json({ ...metadata(), issuer: undefined }), 'invalid_metadata'],
    ['no token_endpoint', () => HttpResponse.json({ ...metadata(), token_endpoint: undefined }), 'invalid_metadata'],
    ['token_endpoint not a URL', () => HttpResponse.json({ ...metadata(), token_endpoint: 'token' }), 'invalid_metadata'],
    ['token_endpoint a number', () => HttpResponse.json({ ...metadata(), token_endpoint: 42 }), 'invalid_metadata'],
    [
      'grant_types_supported a string',
      () => HttpResponse.json({ ...metadata(), grant_types_supported: 'client_credentials' }),
      'invalid_metadata',
    ],
    ['a 500', () => new HttpResponse('oops', { status: 500 }), 'unexpected_status'],
    [
      'a huge body',
      () =>
        new HttpResponse(`{"issuer":"${ISSUER}","x":"${'a'.repeat(2 * 1024 * 1024)}"}`, {
          headers: { 'content-type': 'application/json' },
        }),
      'response_too_large',
    ],
    [
      'a redirect',
      () => new HttpResponse(null, { status: 302, headers: { location: 'https://elsewhere.example.com/meta' } }),
      'redirect_refused',
    ],
  ]
  for (const [name, reply, code] of cases) {
    it(`${name} → ${code}`, async () => {
      msw.server.use(
        http.get(wellKnown, reply),
        http.get(`${ISSUER}/.well-known/openid-configuration`, () => new HttpResponse(null, { status: 404 })),
      )
      const err = await failure(discover(ISSUER, noCache))
      expect(err.code).toBe(code)
      expect(err.message).toContain(ISSUER)
      expect(err.recovery).toMatch(/retry|fix-config/)
    })
  }

  it("a document that is JSON but not metadata is said in oauthkit's words, naming the field at fault", async () => {
    msw.server.use(
      http.get(wellKnown, () => HttpResponse.json({ ...metadata(), issuer: undefined })),
      http.get(`${ISSUER}/.well-known/openid-configuration`, () => new HttpResponse(null, { status: 404 })),
    )
    const err = await failure(discover(ISSUER, noCache))
    expect(err.message).toBe(
      `discovery at ${wellKnown} failed: the document is not metadata: issuer must be a string (it is missing or of another kind)`,
    )
    msw.server.use(http.get(wellKnown, () => HttpResponse.json({ ...metadata(), jwks_uri: 7 })))
    expect((await failure(discover(ISSUER, noCache))).message).toBe(
      `authorization server metadata from ${wellKnown} is invalid: jwks_uri must be an absolute URL`,
    )
  })

  it('an issuer with a query string is refused before any request', async () => {
    const err = await failure(Promise.resolve().then(() => discover(`${ISSUER}?tenant=1`, noCache)))
    expect(err.code).toBe('invalid_config')
  })

  it('plain http to a non-loopback host is refused before any request', async () => {
    const err = await failure(discover('http://as.example.com', noCache))
    expect(err.code).toBe('insecure_url')
  })
})

describe('metadata without discovery', () => {
  it('takes endpoints one by one (EPISHIP publishes no discovery)', async () => {
    const client = await createOAuthClient({
      clientId: 'c',
      endpoints: { token: 'https://api.epishop.example/oauth/token', authorization: 'https://api.epishop.example/oauth/authorize' },
    })
    expect(client.metadata.issuer).toBe('https://api.epishop.example')
    expect(client.metadata.token_endpoint).toBe('https://api.epishop.example/oauth/token')
    expect(msw.requests).toHaveLength(0)
  })

  it('takes metadata given by hand, with endpoints overriding it', async () => {
    const client = await createOAuthClient({ clientId: 'c', metadata: metadata(), endpoints: { revocation: `${ISSUER}/v2/revoke` } })
    expect(client.metadata.revocation_endpoint).toBe(`${ISSUER}/v2/revoke`)
    expect(msw.requests).toHaveLength(0)
  })

  it('rejects hand-given metadata that is not a URL', async () => {
    const err = await failure(createOAuthClient({ clientId: 'c', endpoints: { token: 'https://x.example/t', revocation: 'nope' } }))
    expect(err.code).toBe('invalid_metadata')
  })
})

describe('protected resource metadata (RFC 9728)', () => {
  const resource = 'https://mcp.example.com/mcp'
  const prm = { resource, authorization_servers: [ISSUER], scopes_supported: ['mcp'] }

  it('reads the well-known document of a resource URL, then its authorization server', async () => {
    msw.server.use(
      http.get('https://mcp.example.com/.well-known/oauth-protected-resource/mcp', () => HttpResponse.json(prm)),
      http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata())),
    )
    const found = await discoverFromResource(resource, noCache)
    expect(found.resource.metadata.scopes_supported).toEqual(['mcp'])
    expect(found.authorizationServer.metadata.issuer).toBe(ISSUER)
  })

  it("follows a 401's resource_metadata", async () => {
    const metaUrl = 'https://mcp.example.com/meta/prm.json'
    msw.server.use(
      http.get(metaUrl, () => HttpResponse.json(prm)),
      http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata())),
    )
    const challenge = new Response(null, {
      status: 401,
      headers: { 'www-authenticate': `Bearer realm="mcp", resource_metadata="${metaUrl}", scope="mcp"` },
    })
    expect(resourceMetadataUrl(challenge)).toBe(metaUrl)
    const found = await discoverFromResource(resource, { ...noCache, challenge })
    expect(found.resource.url).toBe(metaUrl)
  })

  it('refuses metadata for another resource', async () => {
    msw.server.use(
      http.get('https://mcp.example.com/.well-known/oauth-protected-resource/mcp', () =>
        HttpResponse.json({ ...prm, resource: 'https://evil.example.com/mcp' }),
      ),
    )
    const err = await failure(discoverResource(resource, noCache))
    expect(err.code).toBe('resource_mismatch')
  })

  it('refuses metadata naming no authorization server', async () => {
    msw.server.use(http.get('https://mcp.example.com/.well-known/oauth-protected-resource/mcp', () => HttpResponse.json({ resource })))
    const err = await failure(discoverFromResource(resource, noCache))
    expect(err.code).toBe('invalid_metadata')
  })

  it('a 401 without resource_metadata: the path-aware well-known URL, then the root one (MCP authorization)', async () => {
    const asDocument = http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata()))
    msw.server.use(
      http.get('https://mcp.example.com/.well-known/oauth-protected-resource/mcp', () => HttpResponse.json(prm)),
      asDocument,
    )
    const pathAware = await discoverFromResource(resource, { ...noCache, challenge: 'Bearer realm="x"' })
    expect(pathAware.resource.url).toBe('https://mcp.example.com/.well-known/oauth-protected-resource/mcp')

    msw.server.resetHandlers()
    msw.server.use(
      http.get('https://mcp.example.com/.well-known/oauth-protected-resource/mcp', () => new HttpResponse('not here', { status: 404 })),
      // The root document describes the origin (RFC 9728 §3.3: the identifier the URL was built from).
      http.get('https://mcp.example.com/.well-known/oauth-protected-resource', () =>
        HttpResponse.json({ ...prm, resource: 'https://mcp.example.com' }),
      ),
      asDocument,
    )
    const root = await discoverFromResource(resource, {
      ...noCache,
      challenge: new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer' } }),
    })
    expect(root.resource.url).toBe('https://mcp.example.com/.well-known/oauth-protected-resource')
    expect(root.authorizationServer.metadata.issuer).toBe(ISSUER)
    expect(msw.requests.slice(-3).map((r) => new URL(r.url).pathname)).toEqual([
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-authorization-server',
    ])
  })

  it('the root document must describe the origin, and neither document found is a typed error', async () => {
    msw.server.use(
      http.get('https://mcp.example.com/.well-known/oauth-protected-resource/mcp', () => new HttpResponse(null, { status: 404 })),
    )
    msw.server.use(
      http.get('https://mcp.example.com/.well-known/oauth-protected-resource', () =>
        HttpResponse.json({ ...prm, resource: 'https://other.example.com' }),
      ),
    )
    expect(await failure(discoverResource(resource, noCache))).toMatchObject({ code: 'resource_mismatch' })
    msw.server.use(http.get('https://mcp.example.com/.well-known/oauth-protected-resource', () => new HttpResponse(null, { status: 404 })))
    expect(await failure(discoverResource(resource, noCache))).toMatchObject({ code: 'unexpected_status', status: 404 })
  })

  it('trustedIssuers: the first trusted authorization server the resource names is used; none trusted is untrusted_issuer', async () => {
    const evil = 'https://evil.example.com'
    msw.server.use(
      http.get('https://mcp.example.com/.well-known/oauth-protected-resource/mcp', () =>
        HttpResponse.json({ ...prm, authorization_servers: [evil, ISSUER] }),
      ),
      http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata())),
    )
    const found = await discoverFromResource(resource, { ...noCache, trustedIssuers: [new URL(ISSUER)] })
    expect(found.authorizationServer.metadata.issuer).toBe(ISSUER)
    const err = await failure(discoverFromResource(resource, { ...noCache, trustedIssuers: ['https://mine.example.com'] }))
    expect(err).toMatchObject({ code: 'untrusted_issuer', recovery: 'fix-config' })
    expect(err.message).toContain(evil)
    // Nothing was asked of a server the application does not trust.
    expect(msw.requests.some((r) => r.url.startsWith(evil))).toBe(false)
  })
})
