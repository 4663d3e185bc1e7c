/**
 * The one resolution of a client (`resolveClient`, discovery/resolve.ts): every constructor —
 * createOAuthClient, createClientCredentialsSession, createBrowserClient and createMcpAuth —
 * reads the same flat options the same way: where the server is, the transport and runtime
 * policy, and a signal that cancels its own discovery only.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { createClientCredentialsSession, createOAuthClient, defineDialect, memoryStore, type HttpOptions } from '../../src/index.js'
import { createBrowserClient } from '../../src/entries/browser.js'
import { createMcpAuth } from '../../src/entries/mcp.js'
import { ISSUER, metadata, tokenJson } from '../support/as-mock.js'
import { MCP, REDIRECT, mcpWorld } from '../support/mcp-world.js'
import { failure, useStrictMsw } from '../support/msw.js'

const msw = useStrictMsw()
const ok = { access_token: 'at', token_type: 'Bearer', expires_in: 300, refresh_token: 'rt-2' }
const held = { accessToken: 'old', tokenType: 'bearer', expiresAt: Date.now() - 1000, refreshToken: 'rt-1', extra: {} }

/** The same transport and policy options, given to each constructor. */
const policy = (): HttpOptions => ({
  headers: { 'user-agent': 'resolve-test/1.0' },
  timeout: 5_000,
  retry: false,
  dialect: defineDialect({ name: 'tagged', token: { addParameters: { tenant: 't1' } } }),
})

/** Each constructor, made with `source`; what it gives back makes one token request. */
const constructors: Record<string, (source: Record<string, unknown>) => Promise<() => Promise<unknown>>> = {
  createOAuthClient: async (source) => {
    const client = await createOAuthClient({ clientId: 'svc', clientSecret: 'secret', ...source })
    return () => client.clientCredentialsGrant()
  },
  createClientCredentialsSession: async (source) => {
    const session = await createClientCredentialsSession({ clientId: 'svc', clientSecret: 'secret', ...source })
    return () => session.getAccessToken()
  },
  createBrowserClient: async (source) => {
    const store = memoryStore()
    await store.save(held, undefined, 'oauthkit:spa')
    const app = createBrowserClient({ clientId: 'spa', redirectUri: 'https://app.example/', store, ...source })
    return () => app.getAccessToken()
  },
}

describe('resolveClient: every constructor reads the options one way', () => {
  for (const [name, make] of Object.entries(constructors)) {
    it(`${name}: discovery, endpoints by hand over it, and the headers, timeout, retry and dialect of every request`, async () => {
      const moved = 'https://tokens.example.com/oauth/token'
      msw.server.use(
        http.get(`${ISSUER}/.well-known/*`, () => HttpResponse.json(metadata())),
        http.post(moved, () => tokenJson(ok)),
        // The discovered token endpoint is never asked: the one given by hand wins.
      )
      await (
        await make({ issuer: ISSUER, endpoints: { token: moved }, discoveryCache: false, ...policy() })
      )()
      const token = msw.requests.filter((r) => r.url === moved)
      expect(token).toHaveLength(1)
      expect(token[0]!.headers.get('user-agent')).toBe('resolve-test/1.0')
      expect(new URLSearchParams(await token[0]!.clone().text()).get('tenant')).toBe('t1')
      for (const request of msw.requests) expect(request.headers.get('user-agent')).toBe('resolve-test/1.0')
    })

    it(`${name}: a signal aborted after construction cancels nothing later`, async () => {
      msw.server.use(
        http.get(`${ISSUER}/.well-known/*`, () => HttpResponse.json(metadata())),
        http.post(`${ISSUER}/token`, () => tokenJson(ok)),
      )
      const effect = new AbortController()
      const call = await make({ issuer: ISSUER, discoveryCache: false, signal: effect.signal })
      // A React effect's controller, aborted on unmount: the client made under it still works.
      effect.abort()
      await expect(call()).resolves.toBeDefined()
    })

    it(`${name}: a plain object as the dialect is refused the same way`, async () => {
      const error = await failure(make({ metadata: metadata(), dialect: { name: 'plain' } }).then((call) => call()))
      expect(error).toMatchObject({ code: 'invalid_config' })
      expect(error.message).toMatch(/defineDialect/)
    })
  }

  it('createOAuthClient, createClientCredentialsSession: options that are not an object name the constructor', async () => {
    expect((await failure(createOAuthClient(undefined as never))).message).toMatch(/^createOAuthClient needs an options object/)
    expect((await failure(createClientCredentialsSession(null as never))).message).toMatch(/^createClientCredentialsSession needs/)
  })

  it('createMcpAuth: the same headers, retry and dialect reach its authorization server', async () => {
    const w = mcpWorld()
    msw.server.use(...w.handlers)
    const mcp = createMcpAuth({
      serverUrl: MCP,
      redirectUri: REDIRECT,
      signIn: (request) => w.signIn(request),
      discoveryCache: false,
      resolveHost: () => ['203.0.113.10'],
      ...policy(),
    })
    expect((await w.call(mcp.fetch)).status).toBe(200)
    const toAuthorizationServer = msw.requests.filter((r) => !r.url.startsWith(MCP))
    expect(toAuthorizationServer.length).toBeGreaterThan(2)
    for (const request of toAuthorizationServer) expect(request.headers.get('user-agent')).toBe('resolve-test/1.0')
    expect(w.log.tokenRequests[0]!.params.get('tenant')).toBe('t1')
  })
})
