/**
 * oauthkit/mcp end to end: the official MCP SDK's client over Streamable HTTP, with oauthkit's
 * fetch, against an MCP server built with the official SDK, behind two oidc-provider
 * authorization servers, on loopback. A user signs in through oidc-provider's own pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2, type AuthProvider } from '@modelcontextprotocol/client'
import { createMcpAuth, memoryKeyValueStore, type McpAuthOptions } from '../../src/entries/mcp.js'
import { actAsUser } from '../support/authorization-server.js'
import { startMcpWorld, type McpWorld } from '../support/mcp-server.js'

let world: McpWorld
beforeAll(async () => {
  world = await startMcpWorld()
}, 30_000)
afterAll(() => world?.stop())

const REDIRECT = 'http://127.0.0.1:8976/callback'

function setup(options: Partial<McpAuthOptions> = {}) {
  const signIns: URL[] = []
  const mcp = createMcpAuth({
    serverUrl: world.url,
    redirectUri: REDIRECT,
    clientName: 'oauthkit e2e',
    discoveryCache: false,
    // The user signs in through oidc-provider's pages; the browser ends at the redirect URI.
    signIn: async ({ url }) => {
      signIns.push(new URL(url))
      return actAsUser(url, { until: REDIRECT })
    },
    ...options,
  })
  return { mcp, signIns }
}

async function connect(fetcher: typeof fetch) {
  const client = new Client({ name: 'oauthkit-e2e', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(world.url), { fetch: fetcher }))
  return client
}

const text = (result: unknown) => (result as { content: Array<{ text: string }> }).content[0]!.text

describe('oauthkit/mcp against an MCP server built with the official SDK, behind oidc-provider', () => {
  it('one line in the SDK transport: the 401 leads through RFC 9728 to registration, sign-in with PKCE and resource, and every request carries the token', async () => {
    world.moveTo(world.as1)
    const registrations = world.as1.seen.registrations
    const { mcp, signIns } = setup()
    const client = await connect(mcp.fetch)
    const tools = await client.listTools()
    expect(tools.tools.map((t) => t.name).sort()).toEqual(['whoami', 'write'])
    const me = JSON.parse(text(await client.callTool({ name: 'whoami' })))
    expect(me).toMatchObject({ resource: world.url })
    expect(me.scopes).toContain('mcp:read')
    expect(signIns).toHaveLength(1)
    expect(world.as1.seen.registrations).toBe(registrations + 1)
    const asked = signIns[0]!.searchParams
    expect(asked.get('resource')).toBe(world.url)
    expect(asked.get('code_challenge_method')).toBe('S256')
    // The 401's scope, and offline_access, which oidc-provider advertises.
    expect(asked.get('scope')).toBe('mcp:read offline_access')
    expect(mcp.server?.metadata.issuer).toBe(world.as1.issuer)
    await client.close()
  })

  it('steps up on 403 insufficient_scope: a second sign-in for the union of the scopes, then the call succeeds', async () => {
    world.moveTo(world.as1)
    const { mcp, signIns } = setup()
    const client = await connect(mcp.fetch)
    await client.callTool({ name: 'whoami' })
    expect(text(await client.callTool({ name: 'write' }))).toBe('written')
    expect(signIns.map((u) => u.searchParams.get('scope'))).toEqual(['mcp:read offline_access', 'mcp:read offline_access mcp:write'])
    await client.close()
  })

  it('refreshes when the server refuses an expired token, without a sign-in; the new token is for the same resource', async () => {
    world.moveTo(world.as1)
    const { mcp, signIns } = setup()
    const client = await connect(mcp.fetch)
    await client.callTool({ name: 'whoami' })
    // The server forgets the access token (as if it expired): a 401, then a refresh.
    const token = (await mcp.token())!
    await (await world.as1.provider.AccessToken.find(token))!.destroy()
    const refreshes = world.as1.seen.tokenRequests.get('refresh_token') ?? 0
    expect(JSON.parse(text(await client.callTool({ name: 'whoami' })))).toMatchObject({ resource: world.url })
    expect(world.as1.seen.tokenRequests.get('refresh_token')).toBe(refreshes + 1)
    expect(signIns).toHaveLength(1)
    expect(await mcp.token()).not.toBe(token)
    await client.close()
  })

  it('when the MCP server moves to another authorization server: registers there, signs in there, never sends it the first one’s tokens', async () => {
    world.moveTo(world.as1)
    const storage = memoryKeyValueStore()
    const { mcp, signIns } = setup({ storage })
    const client = await connect(mcp.fetch)
    await client.callTool({ name: 'whoami' })
    world.moveTo(world.as2)
    const before = { registrations: world.as2.seen.registrations, refreshes: world.as2.seen.tokenRequests.get('refresh_token') ?? 0 }
    const me = JSON.parse(text(await client.callTool({ name: 'whoami' })))
    expect(me.scopes).toContain('mcp:read')
    expect(signIns.map((u) => u.origin)).toEqual([world.as1.issuer, world.as2.issuer])
    expect(world.as2.seen.registrations).toBe(before.registrations + 1)
    expect(world.as2.seen.tokenRequests.get('refresh_token') ?? 0).toBe(before.refreshes)
    expect(mcp.server?.metadata.issuer).toBe(world.as2.issuer)
    // A registration kept per issuer.
    expect(await storage.get(`oauthkit:mcp:client ${world.as1.issuer}`)).toBeTruthy()
    expect(await storage.get(`oauthkit:mcp:client ${world.as2.issuer}`)).toBeTruthy()
    await client.close()
  })

  it('a new process with the stored registration and tokens connects without a sign-in', async () => {
    world.moveTo(world.as1)
    const storage = memoryKeyValueStore()
    const first = setup({ storage })
    await (await connect(first.mcp.fetch)).callTool({ name: 'whoami' })
    const again = setup({ storage, signIn: async () => Promise.reject(new Error('no sign-in expected')) })
    const client = await connect(again.mcp.fetch)
    expect(JSON.parse(text(await client.callTool({ name: 'whoami' }))).scopes).toContain('mcp:read')
    await client.close()
  })

  it('an authorization answer from the wrong authorization server is refused before the code is redeemed', async () => {
    world.moveTo(world.as1)
    const codes = world.as1.seen.tokenRequests.get('authorization_code') ?? 0
    const { mcp } = setup({
      signIn: async ({ url }) => {
        const callback = new URL(await actAsUser(url, { until: REDIRECT }))
        callback.searchParams.set('iss', world.as2.issuer)
        return callback
      },
    })
    await expect(connect(mcp.fetch)).rejects.toMatchObject({ code: 'iss_mismatch' })
    expect(world.as1.seen.tokenRequests.get('authorization_code') ?? 0).toBe(codes)
  })

  it('SDK v2 (@modelcontextprotocol/client): oauthkit is the transport’s authProvider (token, onUnauthorized)', async () => {
    world.moveTo(world.as1)
    const { mcp, signIns } = setup()
    const authProvider: AuthProvider = mcp
    const client = new ClientV2({ name: 'oauthkit-e2e', version: '1.0.0' })
    await client.connect(new TransportV2(new URL(world.url), { authProvider }))
    const me = JSON.parse(text(await client.callTool({ name: 'whoami', arguments: {} })))
    expect(me).toMatchObject({ resource: world.url })
    expect(signIns).toHaveLength(1)
    // With the fetch as well, a 403 insufficient_scope is stepped up under the transport.
    await client.close()
    const both = new ClientV2({ name: 'oauthkit-e2e', version: '1.0.0' })
    await both.connect(new TransportV2(new URL(world.url), { authProvider, fetch: mcp.fetch }))
    expect(text(await both.callTool({ name: 'write', arguments: {} }))).toBe('written')
    expect(signIns).toHaveLength(2)
    await both.close()
  })
})
