/**
 * oauthkit/mcp end to end: the official MCP SDK's client over Streamable HTTP, with oauthkit's
 * fetch, against an MCP server built with the official SDK, behind two oidc-provider
 * authorization servers, on loopback. A user signs in through oidc-provider's own pages; the
 * grants without a user (client credentials, a workload's JWT, an enterprise identity
 * provider's ID-JAG), DPoP with both servers' nonces, and two processes on one storage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2, type AuthProvider } from '@modelcontextprotocol/client'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDPoP, createMcpAuth, memoryKeyValueStore, type McpAuthOptions } from '../../src/entries/mcp.js'
import { fileKeyValueStore } from '../../src/entries/node.js'
import { actAsUser } from '../support/authorization-server.js'
import { MACHINE_CLIENTS, startMcpWorld, workloadJwt, type McpWorld } from '../support/mcp-server.js'
import { IDP_CLIENT } from '../support/mcp-trust.js'

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

describe('oauthkit/mcp without a user, with DPoP, and on a shared storage, against oidc-provider', () => {
  const machine = (options: Partial<McpAuthOptions>) => createMcpAuth({ serverUrl: world.url, discoveryCache: false, ...options })
  const whoami = async (fetcher: typeof fetch) => JSON.parse(text(await (await connect(fetcher)).callTool({ name: 'whoami' })))

  it('the device grant (RFC 8628) for a headless agent: the code shown, the user approves on oidc-provider’s page, the SDK transport carries the token for the MCP server', async () => {
    world.moveTo(world.as1)
    let approving: Promise<string> | undefined
    const shown: string[] = []
    const mcp = createMcpAuth({
      serverUrl: world.url,
      clientName: 'oauthkit e2e device',
      discoveryCache: false,
      // The server's 5 s polling interval, waited a tenth as long: the clock is the configured one.
      clock: { now: () => Date.now(), sleep: (ms, signal) => new Promise((done) => setTimeout(done, ms / 10, signal)) },
      deviceSignIn: ({ verificationUri, verificationUriComplete, userCode }) => {
        shown.push(`${verificationUri} ${userCode}`)
        approving = actAsUser(verificationUriComplete ?? verificationUri)
      },
    })
    const client = await connect(mcp.fetch)
    const me = JSON.parse(text(await client.callTool({ name: 'whoami' })))
    expect(me).toMatchObject({ resource: world.url })
    expect(await approving).toBeDefined()
    expect(shown).toEqual([expect.stringMatching(new RegExp(`^${world.as1.issuer}/device \\S+$`))])
    expect(world.as1.seen.tokenRequests.get('urn:ietf:params:oauth:grant-type:device_code')).toBeGreaterThanOrEqual(1)
    expect(mcp.server?.metadata.issuer).toBe(world.as1.issuer)
    await client.close()
  })

  it('client_credentials (SEP-1046): a client with a secret, chosen from the grants the server lists; a token for the MCP server', async () => {
    world.moveTo(world.as1)
    const before = world.as1.seen.tokenRequests.get('client_credentials') ?? 0
    const me = await whoami(machine({ client: MACHINE_CLIENTS.service }).fetch)
    // The scope of the 401's challenge (mcp:read), as for a user's sign-in.
    expect(me).toMatchObject({ client: 'mcp-svc', resource: world.url, scopes: ['mcp:read'] })
    expect(world.as1.seen.tokenRequests.get('client_credentials')).toBe(before + 1)
  })

  it('DPoP (SEP-1932): a bound token, proofs with each server’s nonce at the token endpoint and at the MCP server', async () => {
    world.moveTo(world.as1)
    const proofs = world.calls.dpop
    const mcp = machine({ client: MACHINE_CLIENTS.service, dpop: await createDPoP() })
    const client = await connect(mcp.fetch)
    expect(JSON.parse(text(await client.callTool({ name: 'whoami' })))).toMatchObject({ client: 'mcp-svc' })
    expect(world.calls.dpop).toBeGreaterThan(proofs)
    // The token the server holds is bound to the key (its jkt), and was never accepted as Bearer.
    const token = await mcp.token()
    expect(((await world.as1.provider.ClientCredentials.find(token!)) as { jkt?: string } | undefined)?.jkt).toBeTruthy()
  })

  it('workload identity (SEP-1933): the platform’s JWT as the jwt-bearer assertion', async () => {
    world.moveTo(world.as1)
    const me = await whoami(
      machine({ client: MACHINE_CLIENTS.workload, workloadToken: () => workloadJwt(world.as1.issuer, 'workload-7') }).fetch,
    )
    expect(me).toMatchObject({ client: 'mcp-agent', resource: world.url })
    expect(world.as1.seen.tokenRequests.get('urn:ietf:params:oauth:grant-type:jwt-bearer')).toBeGreaterThan(0)
  })

  it('enterprise-managed authorization (SEP-990): the ID token exchanged at the identity provider, the ID-JAG taken by oidc-provider', async () => {
    world.moveTo(world.as1)
    const exchanges = world.idp.seen.exchanges
    const mcp = machine({
      client: MACHINE_CLIENTS.enterprise,
      enterprise: { issuer: world.idp.issuer, clientId: IDP_CLIENT, idToken: world.idp.idToken('alice') },
      allowInsecureHttp: true,
    })
    expect(await whoami(mcp.fetch)).toMatchObject({ client: 'mcp-app', resource: world.url })
    expect(world.idp.seen.exchanges).toBe(exchanges + 1)
  })

  it('two processes on one storage (files) signing in at once: one registration, both connected; a third starts signed in', async () => {
    world.moveTo(world.as1)
    const folder = mkdtempSync(join(tmpdir(), 'oauthkit-mcp-storage-'))
    try {
      const registrations = world.as1.seen.registrations
      // Each its own handle on the folder: nothing shared but the files, as two processes.
      const [one, two] = [setup({ storage: fileKeyValueStore(folder) }), setup({ storage: fileKeyValueStore(folder) })]
      const [a, b] = await Promise.all([whoami(one.mcp.fetch), whoami(two.mcp.fetch)])
      expect(world.as1.seen.registrations).toBe(registrations + 1)
      expect(a.client).toBe(b.client)
      const three = setup({ storage: fileKeyValueStore(folder) })
      expect(await whoami(three.mcp.fetch)).toMatchObject({ client: a.client })
      expect(three.signIns).toHaveLength(0)
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })
})
