/**
 * oauthkit/mcp on strict mocks: every requirement the MCP authorization spec (2025-03-26 to
 * 2026-07-28) puts on a client, one test or more each. Against an MCP server built with the
 * official SDK behind oidc-provider: test/e2e/mcp.test.ts.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { createDPoP, createMcpAuth, memoryKeyValueStore, type McpAuthOptions, type McpDeviceSignIn } from '../../src/entries/mcp.js'
import {
  AS,
  CIMD,
  DEVICE_CODE,
  ID_JAG,
  IDP,
  JWT_BEARER,
  LEGACY,
  MCP,
  OTHER_AS,
  REDIRECT,
  mcpWorld,
  type WorldOptions,
} from '../support/mcp-world.js'
import { fakeClock, useStrictMsw } from '../support/msw.js'
import { epismoServer } from '../../src/entries/testing.js'
import { defineDialect } from '../../src/entries/dialects.js'

const msw = useStrictMsw()
/** Every name of these worlds is on the public internet (TEST-NET-3): no DNS query leaves the test. */
const PUBLIC = () => ['203.0.113.10']

function setup(world: WorldOptions = {}, options: Partial<McpAuthOptions> = {}) {
  const w = mcpWorld(world)
  msw.server.use(...w.handlers)
  const signIn = vi.fn((request: { url: string }) => w.signIn(request))
  const mcp = createMcpAuth({ serverUrl: MCP, redirectUri: REDIRECT, signIn, discoveryCache: false, resolveHost: PUBLIC, ...options })
  return { ...w, mcp, signIn }
}

const json = async (response: Response) => ((await response.json()) as { result: Record<string, unknown> }).result

describe('oauthkit/mcp: from a 401 to a token', () => {
  it('follows the 401 through RFC 9728 to the authorization server, registers, signs in with PKCE and resource, and attaches the token', async () => {
    const w = setup()
    const response = await w.call(w.mcp.fetch)
    expect(response.status).toBe(200)
    expect(await json(response)).toMatchObject({ issuer: AS })

    expect(w.log.registrations).toHaveLength(1)
    expect(w.log.registrations[0]!.body).toMatchObject({
      redirect_uris: [REDIRECT],
      // Every scope the resource offers (a later step-up is then allowed), and offline_access.
      scope: 'mcp:read mcp:write offline_access',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    })
    const asked = w.log.authorizations[0]!
    expect(asked.get('resource')).toBe(MCP)
    expect(asked.get('code_challenge_method')).toBe('S256')
    // No scope in the challenge: the resource's scopes_supported, and offline_access (advertised).
    expect(asked.get('scope')).toBe('mcp:read mcp:write offline_access')
    expect(w.log.tokenRequests[0]!.params.get('resource')).toBe(MCP)
    // The first call went without a token; the retry with it.
    expect(w.log.mcpCalls.map((c) => c.authorization?.slice(0, 10) ?? null)).toEqual([null, 'Bearer at-'])

    // The next call uses the token: no second sign-in.
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(w.signIn).toHaveBeenCalledTimes(1)
    expect(w.mcp.server).toMatchObject({ resource: MCP, revision: 'rfc9728', metadata: { issuer: AS } })
  })

  it('asks for the scope of the challenge first, then the resource scopes, then none', async () => {
    const challenged = setup({ challengeScope: 'mcp:read' })
    await challenged.call(challenged.mcp.fetch)
    expect(challenged.log.authorizations[0]!.get('scope')).toBe('mcp:read offline_access')
    msw.server.resetHandlers()

    const none = setup({ resourceMetadata: { resource: MCP, authorization_servers: [AS] } })
    await none.call(none.mcp.fetch)
    expect(none.log.authorizations[0]!.has('scope')).toBe(false)
  })

  it('asks for offline_access only from an authorization server that advertises it', async () => {
    const w = setup({ challengeScope: 'mcp:read offline_access', asMetadata: { [AS]: { scopes_supported: ['mcp:read'] } } })
    await w.call(w.mcp.fetch)
    expect(w.log.authorizations[0]!.get('scope')).toBe('mcp:read')
  })

  it('authorize() before any request: discovery from the well-known URL (no challenge), the resource scopes', async () => {
    const w = setup()
    await w.mcp.authorize()
    expect(w.log.mcpCalls).toEqual([])
    expect(w.log.authorizations[0]!.get('scope')).toBe('mcp:read mcp:write offline_access')
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(w.log.mcpCalls).toHaveLength(1)
  })

  it('a sign-in the user cancels rejects the call with their error; the next call asks again', async () => {
    const w = setup()
    const granted = w.signIn.getMockImplementation()!
    w.signIn.mockImplementationOnce(async () => Promise.reject(new Error('the user closed the browser')))
    await expect(w.call(w.mcp.fetch)).rejects.toThrow('the user closed the browser')
    w.signIn.mockImplementation(granted)
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(w.signIn).toHaveBeenCalledTimes(2)
  })

  it('one sign-in for many concurrent calls', async () => {
    const w = setup()
    const responses = await Promise.all(Array.from({ length: 8 }, () => w.call(w.mcp.fetch)))
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200))
    expect(w.signIn).toHaveBeenCalledTimes(1)
    expect(w.log.registrations).toHaveLength(1)
  })

  it('the token goes to the MCP server only', async () => {
    const w = setup()
    await w.call(w.mcp.fetch)
    const seen: Array<string | null> = []
    const record = ({ request }: { request: Request }) => (seen.push(request.headers.get('authorization')), HttpResponse.json({}))
    msw.server.use(
      http.get('https://elsewhere.example/x', record),
      http.get('https://mcp.example/mcp-other/x', record),
      http.get('http://mcp.example/mcp', record),
    )
    await w.mcp.fetch('https://elsewhere.example/x')
    await w.mcp.fetch('https://mcp.example/mcp-other/x')
    await w.mcp.fetch('http://mcp.example/mcp')
    expect(seen).toEqual([null, null, null])
  })
})

describe("oauthkit/mcp: a declared discovery deviation (Atlassian's shape: a tenant's authorization server naming its root as issuer)", () => {
  const tenantAs = defineDialect({ name: 'Tenant AS', discovery: { ancestorIssuer: AS } })

  it('undeclared: issuer_mismatch before anything is registered or sent to the authorization server', async () => {
    const w = setup({ tenant: 't1' })
    const err = await w.call(w.mcp.fetch).then(
      () => undefined,
      (e: unknown) => e as { code: string },
    )
    expect(err?.code).toBe('issuer_mismatch')
    expect([w.log.registrations, w.log.tokenRequests, w.signIn.mock.calls]).toEqual([[], [], []])
  })

  it('declared: signs in and calls the tool; iss and the tokens are the root issuer, and the deviation is reported', async () => {
    const seen: string[] = []
    const w = setup({ tenant: 't1' }, { dialect: tenantAs, onWarning: (x) => void seen.push(x.code) })
    const response = await w.call(w.mcp.fetch)
    expect(response.status).toBe(200)
    expect(await json(response)).toMatchObject({ issuer: AS })
    expect(w.log.authorizations[0]!.get('resource')).toBe(MCP)
    expect(w.mcp.server).toMatchObject({ metadata: { issuer: AS } })
    expect(seen).toContain('declared_issuer')
  })

  it('declared, but the callback names the tenant as iss: iss_mismatch (the declared issuer is the one checked)', async () => {
    const w = mcpWorld({ tenant: 't1' })
    msw.server.use(...w.handlers)
    const tenantIss = async (request: { url: string }) =>
      (await w.signIn(request)).replace(`iss=${encodeURIComponent(AS)}`, `iss=${encodeURIComponent(`${AS}/t1`)}`)
    const mcp = createMcpAuth({
      serverUrl: MCP,
      redirectUri: REDIRECT,
      signIn: tenantIss,
      discoveryCache: false,
      resolveHost: PUBLIC,
      dialect: tenantAs,
    })
    const err = await w.call(mcp.fetch).then(
      () => undefined,
      (e: unknown) => e as { code: string },
    )
    expect(err?.code).toBe('iss_mismatch')
    expect(w.log.tokenRequests).toEqual([])
  })
})

describe('oauthkit/mcp: a headless agent signs in with the device grant (RFC 8628)', () => {
  function headless(world: WorldOptions = {}, options: Partial<McpAuthOptions> = {}) {
    const w = mcpWorld({ device: true, ...world })
    msw.server.use(...w.handlers)
    const shown: McpDeviceSignIn[] = []
    const deviceSignIn = vi.fn((request: McpDeviceSignIn) => {
      shown.push(request)
      w.approveDevice(request.userCode)
    })
    const clock = fakeClock()
    const mcp = createMcpAuth({ serverUrl: MCP, deviceSignIn, clock, discoveryCache: false, resolveHost: PUBLIC, ...options })
    return { ...w, mcp, shown, deviceSignIn, clock }
  }

  it('registers for the device grant, shows the code and URL, polls with the resource indicator, and keeps the tokens for the server', async () => {
    const w = headless()
    const response = await w.call(w.mcp.fetch)
    expect(response.status).toBe(200)
    expect(w.log.registrations.map((r) => r.body)).toEqual([
      expect.objectContaining({
        grant_types: [DEVICE_CODE, 'refresh_token'],
        response_types: [],
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        scope: 'mcp:read mcp:write offline_access',
      }),
    ])
    expect(w.log.registrations[0]!.body).not.toHaveProperty('redirect_uris')
    expect(w.shown).toEqual([
      {
        verificationUri: `${AS}/activate`,
        userCode: expect.stringMatching(/^WDJB-/),
        expiresAt: expect.any(Number),
        issuer: AS,
        scope: 'mcp:read mcp:write offline_access',
      },
    ])
    const asked = w.log.deviceAuthorizations[0]!
    expect([asked.get('resource'), asked.get('scope')]).toEqual([MCP, 'mcp:read mcp:write offline_access'])
    const polls = w.log.tokenRequests.filter((r) => r.params.get('grant_type') === DEVICE_CODE)
    expect(polls.map((p) => p.params.get('resource'))).toEqual([MCP])
    // The next call uses the token: no second sign-in; the server's 5 s interval was waited on the clock given.
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(w.deviceSignIn).toHaveBeenCalledTimes(1)
    expect(w.clock.sleeps).toEqual([5000])
  })

  it('with both ways given, a server without the code grant gets the device grant; one with it, the browser', async () => {
    const deviceOnly = headless(
      { asMetadata: { [AS]: { grant_types_supported: [DEVICE_CODE, 'refresh_token'] } } },
      { redirectUri: REDIRECT, signIn: () => Promise.reject(new Error('no browser here')) },
    )
    expect((await deviceOnly.call(deviceOnly.mcp.fetch)).status).toBe(200)
    expect(deviceOnly.deviceSignIn).toHaveBeenCalledTimes(1)
    const browser = setup({ device: true }, { deviceSignIn: () => Promise.reject(new Error('not this way')) })
    expect((await browser.call(browser.mcp.fetch)).status).toBe(200)
    expect(browser.signIn).toHaveBeenCalledTimes(1)
  })

  it('a verification URL the rules refuse is never shown: a private address from a public server, a javascript: URL', async () => {
    for (const verificationUri of ['https://10.0.0.7/activate', 'javascript:alert(1)']) {
      const w = headless({ verificationUri })
      const err = await w.call(w.mcp.fetch).then(
        () => undefined,
        (e: unknown) => e as { code: string },
      )
      expect(err?.code).toBe('insecure_url')
      expect(w.deviceSignIn).not.toHaveBeenCalled()
    }
  })

  it('a server without a device authorization endpoint: a configuration error naming the grants, before anything is sent there', async () => {
    const w = headless({ device: false })
    const err = await w.call(w.mcp.fetch).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    )
    expect(err).toMatchObject({ code: 'invalid_config', message: expect.stringContaining('none of which this client is set up for') })
    expect(w.log.registrations).toEqual([])
  })

  it('deviceSignIn must be a function', () => {
    expect(() => createMcpAuth({ serverUrl: MCP, deviceSignIn: 'show it' as never })).toThrow(/deviceSignIn\(request\) shows the user/)
  })
})

describe('oauthkit/mcp: client identity per authorization server', () => {
  it('uses a client ID metadata document where the server takes one: no registration', async () => {
    const w = setup({ asMetadata: { [AS]: { client_id_metadata_document_supported: true } } }, { clientMetadataUrl: CIMD })
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(w.log.registrations).toEqual([])
    expect(w.log.authorizations[0]!.get('client_id')).toBe(CIMD)
    expect(w.log.tokenRequests[0]!.params.get('client_id')).toBe(CIMD)
  })

  it('registers dynamically where the server does not take metadata documents', async () => {
    const w = setup({}, { clientMetadataUrl: CIMD })
    await w.call(w.mcp.fetch)
    expect(w.log.registrations).toHaveLength(1)
    expect(w.log.authorizations[0]!.get('client_id')).toBe('client-1')
  })

  it('a client registered by hand is used with its own authorization server only', async () => {
    const w = setup({}, { clients: { [OTHER_AS]: { clientId: 'by-hand' } } })
    await w.call(w.mcp.fetch)
    expect(w.log.authorizations[0]!.get('client_id')).toBe('client-1')
    msw.server.resetHandlers()
    const mine = setup({}, { clients: { [AS]: { clientId: 'by-hand' } } })
    await mine.call(mine.mcp.fetch)
    expect(mine.log.registrations).toEqual([])
    expect(mine.log.authorizations[0]!.get('client_id')).toBe('by-hand')
  })

  it('a registration answer without client_secret_expires_at is taken (with a warning); a secret a public client never asked for is not kept', async () => {
    const storage = memoryKeyValueStore()
    const warnings: string[] = []
    const w = setup({ sloppyRegistration: true }, { storage, onWarning: (warning) => warnings.push(warning.code) })
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(w.log.registrations[0]!.body.token_endpoint_auth_method).toBe('none')
    expect(warnings).toEqual(['secret_expiry_missing', 'unrequested_secret_ignored'])
    const sent = w.log.tokenRequests[0]!
    expect([sent.authorization, sent.params.get('client_secret'), sent.params.get('client_id')]).toEqual([null, null, 'client-1'])
    expect(JSON.stringify(await storage.get(`oauthkit:mcp:client ${AS}`))).not.toMatch(/unasked|clientSecret/)
  })

  it('a secret registered at a server that allows only secrets: kept and used, the expiry missing or not', async () => {
    const storage = memoryKeyValueStore()
    const w = setup(
      { sloppyRegistration: true, asMetadata: { [AS]: { token_endpoint_auth_methods_supported: ['client_secret_basic'] } } },
      { storage },
    )
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(w.log.tokenRequests[0]!.authorization).toMatch(/^Basic /)
    expect(await storage.get(`oauthkit:mcp:client ${AS}`)).toMatch(/"clientSecret":"secret-/)
  })

  it('registers with the token endpoint authentication method the server allows, and authenticates with it', async () => {
    const w = setup({ asMetadata: { [AS]: { token_endpoint_auth_methods_supported: ['client_secret_post'] } } })
    await w.call(w.mcp.fetch)
    expect(w.log.registrations[0]!.body.token_endpoint_auth_method).toBe('client_secret_post')
    const sent = w.log.tokenRequests[0]!
    expect(sent.params.get('client_secret')).toMatch(/^secret-/)
    expect(sent.authorization).toBeNull()
  })

  it('re-registers when the MCP server moves to another authorization server, and never sends it the old tokens', async () => {
    const storage = memoryKeyValueStore()
    const w = setup({}, { storage })
    await w.call(w.mcp.fetch)
    const firstToken = [...w.tokens.keys()][0]
    // The resource now names another authorization server, and refuses the old tokens.
    w.options.resourceMetadata = { resource: MCP, authorization_servers: [OTHER_AS], scopes_supported: ['mcp:read'] }
    w.tokens.delete(firstToken!)
    const response = await w.call(w.mcp.fetch)
    expect(await json(response)).toMatchObject({ issuer: OTHER_AS })
    expect(w.log.registrations.map((r) => r.issuer)).toEqual([AS, OTHER_AS])
    // The refresh token of AS went to AS only.
    expect(w.log.tokenRequests.filter((r) => r.issuer === OTHER_AS).map((r) => r.params.get('grant_type'))).toEqual(['authorization_code'])
    expect(w.signIn).toHaveBeenCalledTimes(2)
    // Both registrations are kept, each under its issuer.
    expect(JSON.parse((await storage.get(`oauthkit:mcp:client ${AS}`))!)).toMatchObject({ clientId: 'client-1' })
    expect(JSON.parse((await storage.get(`oauthkit:mcp:client ${OTHER_AS}`))!)).toMatchObject({ clientId: 'client-2' })
  })

  it('a server that offers neither metadata documents nor registration, and no client for it: a typed error naming the issuer', async () => {
    const w = setup({ asMetadata: { [AS]: { registration_endpoint: undefined } } })
    await expect(w.call(w.mcp.fetch)).rejects.toMatchObject({
      code: 'invalid_config',
      recovery: 'fix-config',
      message: expect.stringContaining(`clients: { '${AS}/': { clientId } }`),
    })
    expect(w.signIn).not.toHaveBeenCalled()
  })
})

describe('oauthkit/mcp: grants without a user (SEP-1046, SEP-1933, SEP-990)', () => {
  /** An MCP client with no way for a user to sign in: no signIn, no redirectUri. */
  function machine(world: WorldOptions, options: Partial<McpAuthOptions>) {
    const w = mcpWorld(world)
    msw.server.use(...w.handlers)
    const mcp = createMcpAuth({ serverUrl: MCP, discoveryCache: false, resolveHost: PUBLIC, ...options })
    return { ...w, mcp }
  }
  const offering = (...grants: string[]) => ({ asMetadata: { [AS]: { grant_types_supported: grants } } })
  const basic = (authorization: string | null) => Buffer.from((authorization ?? '').replace(/^Basic /, ''), 'base64').toString()
  const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>

  it('client_credentials with a secret, where the server offers it: Basic, the resource and its scopes, no offline_access, no registration', async () => {
    const w = machine(offering('client_credentials'), { client: { clientId: 'svc-1', clientSecret: 's3cret' } })
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    const sent = w.log.tokenRequests[0]!
    expect([sent.params.get('grant_type'), sent.params.get('resource'), sent.params.get('scope')]).toEqual([
      'client_credentials',
      MCP,
      'mcp:read mcp:write',
    ])
    expect(basic(sent.authorization)).toBe('svc-1:s3cret')
    expect(w.log.registrations).toEqual([])
  })

  it('client_credentials with a private key: a client assertion (RFC 7523 §2.2) for the authorization server', async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const w = machine(offering('client_credentials'), { client: { clientId: 'svc-2', privateKey: keys.privateKey } })
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    const sent = w.log.tokenRequests[0]!.params
    expect(sent.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    expect(claims(sent.get('client_assertion')!)).toMatchObject({ iss: 'svc-2', sub: 'svc-2', aud: AS })
  })

  it('a machine token the MCP server refuses (expired, revoked) is obtained again by the grant: no sign-in', async () => {
    const w = machine(offering('client_credentials'), { client: { clientId: 'svc-1', clientSecret: 's3cret' } })
    await w.call(w.mcp.fetch)
    w.tokens.clear()
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(w.log.tokenRequests.map((r) => r.params.get('grant_type'))).toEqual(['client_credentials', 'client_credentials'])
  })

  it("grant: 'client_credentials' where the server offers the code flow too: no sign-in", async () => {
    const w = setup({}, { client: { clientId: 'svc-1', clientSecret: 's3cret' }, grant: 'client_credentials' })
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(w.signIn).not.toHaveBeenCalled()
    expect(w.log.tokenRequests.map((r) => r.params.get('grant_type'))).toEqual(['client_credentials'])
  })

  it('a client given without its issuer is kept to the first authorization server: after a move, the other never gets its secret', async () => {
    const storage = memoryKeyValueStore()
    const w = setup({}, { storage, client: { clientId: 'by-hand', clientSecret: 'hand-secret' } })
    await w.call(w.mcp.fetch)
    expect(w.log.registrations).toEqual([])
    expect(w.log.authorizations[0]!.get('client_id')).toBe('by-hand')
    expect(basic(w.log.tokenRequests[0]!.authorization)).toBe('by-hand:hand-secret')
    w.options.resourceMetadata = { resource: MCP, authorization_servers: [OTHER_AS], scopes_supported: ['mcp:read'] }
    w.tokens.clear()
    expect(await json(await w.call(w.mcp.fetch))).toMatchObject({ issuer: OTHER_AS })
    expect(w.log.registrations.map((r) => r.issuer)).toEqual([OTHER_AS])
    const toOther = msw.requests.filter((r) => r.url.startsWith(OTHER_AS))
    for (const request of toOther)
      expect(JSON.stringify([...request.headers]) + (await request.clone().text())).not.toMatch(/by-hand|hand-secret|aGFuZC1zZWNyZXQ/)
  })

  it('workload identity: the platform JWT is the jwt-bearer assertion, read again for each token request', async () => {
    let issued = 0
    const workloadToken = vi.fn(() => `workload-jwt-${++issued}`)
    const w = machine(offering(JWT_BEARER), { client: { clientId: 'agent-7' }, workloadToken })
    await w.call(w.mcp.fetch)
    w.tokens.clear()
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    const sent = w.log.tokenRequests.map((r) => r.params)
    expect(sent.map((p) => [p.get('grant_type'), p.get('assertion'), p.get('client_id'), p.get('resource')])).toEqual([
      [JWT_BEARER, 'workload-jwt-1', 'agent-7', MCP],
      [JWT_BEARER, 'workload-jwt-2', 'agent-7', MCP],
    ])
  })

  it('enterprise-managed authorization: the ID token exchanged at the identity provider for an ID-JAG, taken by the authorization server as a jwt-bearer assertion', async () => {
    const w = machine(offering(JWT_BEARER), {
      client: { clientId: 'mcp-app', clientSecret: 'app-secret' },
      enterprise: { issuer: IDP, clientId: 'idp-app', idToken: async () => 'user-id-token' },
    })
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    const [exchange, bearer] = w.log.tokenRequests
    expect(exchange!.issuer).toBe(IDP)
    expect(Object.fromEntries(exchange!.params)).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: 'user-id-token',
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      requested_token_type: ID_JAG,
      audience: AS,
      resource: MCP,
      client_id: 'idp-app',
    })
    expect(bearer!.issuer).toBe(AS)
    expect([bearer!.params.get('grant_type'), bearer!.params.get('assertion')?.slice(0, 4), basic(bearer!.authorization)]).toEqual([
      JWT_BEARER,
      'jag-',
      'mcp-app:app-secret',
    ])
  })

  it('an identity provider that issues another token type: invalid_response, nothing sent to the authorization server', async () => {
    const w = machine(
      { ...offering(JWT_BEARER), issuedTokenType: 'urn:ietf:params:oauth:token-type:access_token' },
      {
        client: { clientId: 'mcp-app', clientSecret: 'app-secret' },
        enterprise: { issuer: IDP, clientId: 'idp-app', idToken: 'user-id-token' },
      },
    )
    await expect(w.call(w.mcp.fetch)).rejects.toMatchObject({ code: 'invalid_response', message: expect.stringContaining('ID-JAG') })
    expect(w.log.tokenRequests.map((r) => r.issuer)).toEqual([IDP])
  })

  it('a server offering none of the grants this client can do: invalid_config naming both, no token request', async () => {
    const w = machine(offering('client_credentials'), { client: { clientId: 'agent-7' }, workloadToken: 'jwt' })
    await expect(w.call(w.mcp.fetch)).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringMatching(/offers the grants client_credentials, none of which .*\(workload\)/),
    })
    expect(w.log.tokenRequests).toEqual([])
  })

  it('options that cannot get a token, or a grant without what it needs: invalid_config at once', () => {
    for (const options of [
      { serverUrl: MCP },
      { serverUrl: MCP, grant: 'client_credentials', client: { clientId: 'public-only' } },
      { serverUrl: MCP, grant: 'password', client: { clientId: 'a', clientSecret: 'b' } },
      { serverUrl: MCP, signIn: async () => '' },
      { serverUrl: MCP, enterprise: { issuer: IDP, clientId: 'x' } },
    ])
      expect(() => createMcpAuth(options as McpAuthOptions), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'invalid_config' }),
      )
  })
})

describe('oauthkit/mcp: DPoP (SEP-1932)', () => {
  const claims = (jwt: string | null | undefined) =>
    JSON.parse(Buffer.from((jwt ?? '').split('.')[1] ?? '', 'base64url').toString() || '{}') as Record<string, unknown>

  it('an authorization server that binds tokens: proofs at the token endpoint, then the token as DPoP with a fresh proof per request', async () => {
    const w = setup({ dpop: {} }, { dpop: await createDPoP() })
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect((await w.call(w.mcp.fetch, 'read')).status).toBe(200)
    expect(claims(w.log.tokenRequests[0]!.dpop)).toMatchObject({ htm: 'POST', htu: `${AS}/token` })
    const sent = w.log.mcpCalls.filter((c) => c.authorization?.startsWith('DPoP '))
    expect(sent).toHaveLength(2)
    expect(new Set(sent.map((c) => claims(c.dpop).jti)).size).toBe(2)
    expect(w.log.mcpCalls.some((c) => c.authorization?.startsWith('Bearer '))).toBe(false)
  })

  it("nonces at both servers: the token request and the MCP request are sent once more with each server's own", async () => {
    const w = setup({ dpop: { nonce: true } }, { dpop: await createDPoP() })
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(w.log.tokenRequests.map((r) => claims(r.dpop).nonce)).toEqual([undefined, 'as-nonce-1'])
    expect(w.log.mcpCalls.map((c) => [c.authorization?.split(' ')[0] ?? null, claims(c.dpop).nonce ?? null])).toEqual([
      [null, null],
      ['DPoP', null],
      ['DPoP', 'rs-nonce-1'],
    ])
    expect(w.signIn).toHaveBeenCalledTimes(1)
  })

  it('a DPoP key and an authorization server that does not bind tokens: Bearer, no proofs', async () => {
    const w = setup({}, { dpop: await createDPoP() })
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(w.log.tokenRequests[0]!.dpop).toBeNull()
    expect(w.log.mcpCalls.at(-1)!.authorization).toMatch(/^Bearer /)
    expect(w.log.mcpCalls.at(-1)!.dpop).toBeNull()
  })

  it('client_credentials with a DPoP key: a bound machine token', async () => {
    const w = mcpWorld({ dpop: {}, asMetadata: { [AS]: { grant_types_supported: ['client_credentials'] } } })
    msw.server.use(...w.handlers)
    const mcp = createMcpAuth({
      serverUrl: MCP,
      discoveryCache: false,
      resolveHost: PUBLIC,
      client: { clientId: 'svc-1', clientSecret: 's3cret' },
      dpop: await createDPoP(),
    })
    expect((await w.call(mcp.fetch)).status).toBe(200)
    expect(w.log.tokenRequests[0]!.dpop).toBeTruthy()
    expect(w.log.mcpCalls.at(-1)!.authorization).toMatch(/^DPoP /)
  })
})

describe('oauthkit/mcp: what is checked before anything is sent', () => {
  it("the resource metadata's resource must be the MCP server: nothing goes to the authorization server otherwise", async () => {
    const w = setup({ resourceMetadata: { resource: 'https://evil.example/mcp', authorization_servers: [AS] } })
    await expect(w.call(w.mcp.fetch)).rejects.toMatchObject({ code: 'resource_mismatch' })
    expect(msw.requests.some((r) => r.url.startsWith(AS))).toBe(false)
  })

  it('an answer whose iss is another server is refused before the code is redeemed', async () => {
    const w = setup()
    w.signIn.mockImplementation(
      async ({ url }) => `${REDIRECT}?code=stolen&state=${new URL(url).searchParams.get('state')}&iss=${encodeURIComponent(OTHER_AS)}`,
    )
    await expect(w.call(w.mcp.fetch)).rejects.toMatchObject({ code: 'iss_mismatch' })
    expect(w.log.tokenRequests).toEqual([])
  })

  it('metadata without S256 PKCE is refused', async () => {
    const w = setup({ asMetadata: { [AS]: { code_challenge_methods_supported: ['plain'] } } })
    await expect(w.call(w.mcp.fetch)).rejects.toMatchObject({ code: 'invalid_config', message: expect.stringContaining('S256') })
    expect(w.signIn).not.toHaveBeenCalled()
  })

  it('trustedIssuers: a server naming another authorization server is refused', async () => {
    const w = setup({}, { trustedIssuers: [OTHER_AS] })
    await expect(w.call(w.mcp.fetch)).rejects.toMatchObject({ code: 'untrusted_issuer' })
    expect(msw.requests.some((r) => r.url.startsWith(AS))).toBe(false)
  })

  it('a bad configuration is a typed error at once', () => {
    expect(() => createMcpAuth({ serverUrl: 'nope', redirectUri: REDIRECT, signIn: async () => '' })).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    )
    expect(() => createMcpAuth({ serverUrl: MCP, redirectUri: REDIRECT } as McpAuthOptions)).toThrow(/signIn/)
    expect(() =>
      createMcpAuth({ serverUrl: MCP, redirectUri: REDIRECT, signIn: async () => '', clientMetadataUrl: 'http://client.example/c.json' }),
    ).toThrow(expect.objectContaining({ code: 'insecure_url' }))
    expect(() =>
      createMcpAuth({ serverUrl: MCP, redirectUri: REDIRECT, signIn: async () => '', clientMetadataUrl: 'https://client.example/' }),
    ).toThrow(/needs a path/)
  })
})

describe('oauthkit/mcp: 2025-03-26 servers', () => {
  it('no resource metadata: the MCP server origin is the authorization server', async () => {
    const w = setup({ resourceMetadata: 404, legacyAs: true })
    expect(await json(await w.call(w.mcp.fetch))).toMatchObject({ issuer: LEGACY })
    expect(w.mcp.server).toMatchObject({
      revision: '2025-03-26',
      resource: MCP,
      metadata: { issuer: LEGACY, token_endpoint: `${LEGACY}/token` },
    })
    expect(w.log.registrations.map((r) => r.issuer)).toEqual([LEGACY])
    expect(w.log.authorizations[0]!.get('resource')).toBe(MCP)
  })

  it('no metadata at all: the default endpoints of the server origin', async () => {
    const w = setup({ resourceMetadata: 404, legacyAs: true, asMetadata: { [LEGACY]: 404 } })
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(w.mcp.server?.metadata).toEqual({
      issuer: LEGACY,
      authorization_endpoint: `${LEGACY}/authorize`,
      token_endpoint: `${LEGACY}/token`,
      registration_endpoint: `${LEGACY}/register`,
      code_challenge_methods_supported: ['S256'],
    })
    expect(w.log.registrations.map((r) => r.issuer)).toEqual([LEGACY])
  })
})

describe('oauthkit/mcp: renewal, step-up and bounds', () => {
  it('refreshes an expired token, with the resource, without a sign-in', async () => {
    const w = setup({ accessTokenTtl: 1 })
    await w.call(w.mcp.fetch)
    for (const token of w.tokens.values()) token.expiresAt = 0
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    const refresh = w.log.tokenRequests.find((r) => r.params.get('grant_type') === 'refresh_token')
    expect(refresh?.params.get('resource')).toBe(MCP)
    expect(w.signIn).toHaveBeenCalledTimes(1)
  })

  it('steps up on 403 insufficient_scope with the union of the scopes held and challenged', async () => {
    const w = setup({ challengeScope: 'mcp:read', writeScope: 'mcp:write' })
    await w.call(w.mcp.fetch)
    const response = await w.call(w.mcp.fetch, 'write')
    expect(response.status).toBe(200)
    expect(w.log.authorizations.map((a) => a.get('scope'))).toEqual(['mcp:read offline_access', 'mcp:read offline_access mcp:write'])
    expect(await json(response)).toMatchObject({ tool: 'write' })
  })

  it('a 403 asking for nothing new, or again and again, ends with insufficient_scope: no loop', async () => {
    const w = setup({ writeScope: 'mcp:admin' }, { maxStepUps: 1 })
    await w.call(w.mcp.fetch)
    // The server never grants mcp:admin: one step-up, then the error.
    const granted = w.signIn.getMockImplementation()!
    w.signIn.mockImplementation((request) => granted({ url: request.url.replace(/mcp%3Aadmin\+?/, '') }))
    await expect(w.call(w.mcp.fetch, 'write')).rejects.toMatchObject({
      code: 'oauth_error',
      error: 'insufficient_scope',
      recovery: 'insufficient-scope',
      scope: 'mcp:admin',
    })
    expect(w.signIn).toHaveBeenCalledTimes(2)
  })

  it('a server that refuses the token it was just signed in for: one sign-in, then sign_in_required', async () => {
    const w = setup({ refuseAll: true })
    await expect(w.call(w.mcp.fetch)).rejects.toMatchObject({ code: 'sign_in_required', recovery: 'reauthenticate' })
    expect(w.signIn).toHaveBeenCalledTimes(1)
  })
})

describe('oauthkit/mcp: storage and the SDK interface', () => {
  it('a new process with the same storage reuses the registration and the tokens', async () => {
    const storage = memoryKeyValueStore()
    const first = setup({}, { storage })
    await first.call(first.mcp.fetch)
    const signIn = vi.fn(async () => '')
    const again = createMcpAuth({ serverUrl: MCP, redirectUri: REDIRECT, signIn, storage, discoveryCache: false, resolveHost: PUBLIC })
    expect(await again.token()).toMatch(/^at-/)
    expect((await first.call(again.fetch)).status).toBe(200)
    expect(signIn).not.toHaveBeenCalled()
    expect(first.log.registrations).toHaveLength(1)
  })

  it("keeps each token set once, in the storage, as the session's store: a refresh is one write", async () => {
    const inner = memoryKeyValueStore()
    const writes: string[] = []
    const storage = { get: inner.get, set: (key: string, value: string | undefined) => (writes.push(key), inner.set(key, value)) }
    const w = setup({ accessTokenTtl: 1 }, { storage })
    await w.call(w.mcp.fetch)
    const key = `oauthkit:mcp:tokens ${MCP}`
    expect(writes.filter((k) => k === key)).toHaveLength(1)
    const stored = JSON.parse((await storage.get(key))!)
    expect(stored).toMatchObject({ version: 1, tokens: { accessToken: await w.mcp.token() } })
    expect(stored.owner).toContain(AS)
    for (const token of w.tokens.values()) token.expiresAt = 0
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(writes.filter((k) => k === key)).toHaveLength(2)
    expect(JSON.parse((await storage.get(key))!)).toMatchObject({ version: 2, tokens: { accessToken: await w.mcp.token() } })
  })

  it('two clients on one storage signing in at once: one registration, both connected, neither losing its tokens', async () => {
    const storage = memoryKeyValueStore()
    const w = mcpWorld()
    msw.server.use(...w.handlers)
    const make = () =>
      createMcpAuth({
        serverUrl: MCP,
        redirectUri: REDIRECT,
        signIn: (r) => w.signIn(r),
        discoveryCache: false,
        resolveHost: PUBLIC,
        storage,
      })
    const [one, two] = [make(), make()]
    const answers = await Promise.all([w.call(one.fetch), w.call(two.fetch)])
    expect(answers.map((r) => r.status)).toEqual([200, 200])
    expect(w.log.registrations).toHaveLength(1)
    expect(new Set(w.log.tokenRequests.map((r) => r.params.get('client_id')))).toEqual(new Set(['client-1']))
    // A third, started later on the same storage: the tokens kept are for the client kept.
    const three = make()
    expect((await w.call(three.fetch)).status).toBe(200)
    expect(w.log.authorizations).toHaveLength(2)
  })

  it('a registration the authorization server forgot (invalid_client at the code exchange): registered once more, the user asked once more', async () => {
    const storage = memoryKeyValueStore()
    const w = setup({ strictClients: true }, { storage })
    w.signIn.mockImplementationOnce(async (request) => {
      const back = await w.signIn.getMockImplementation()!(request)
      w.clients.delete('client-1')
      return back
    })
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(w.log.registrations).toHaveLength(2)
    expect(w.signIn).toHaveBeenCalledTimes(2)
    expect(JSON.parse((await storage.get(`oauthkit:mcp:client ${AS}`))!)).toMatchObject({ clientId: 'client-2' })
  })

  it('a registration forgotten by the time of a refresh: registered once more, then a sign-in; refused again at once, the error', async () => {
    const storage = memoryKeyValueStore()
    const w = setup({ strictClients: true }, { storage })
    await w.call(w.mcp.fetch)
    w.clients.delete('client-1')
    w.tokens.clear()
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(w.log.tokenRequests.map((r) => r.params.get('grant_type'))).toEqual([
      'authorization_code',
      'refresh_token',
      'authorization_code',
    ])
    expect(w.log.registrations).toHaveLength(2)
    expect(w.signIn).toHaveBeenCalledTimes(2)
    // A server that forgets every client at once: one more registration and sign-in, then invalid_client, no loop.
    const play = w.signIn.getMockImplementation()!
    w.signIn.mockImplementation(async (request) => {
      const back = await play(request)
      w.clients.clear()
      return back
    })
    w.clients.clear()
    w.tokens.clear()
    await expect(w.call(w.mcp.fetch)).rejects.toMatchObject({ error: 'invalid_client' })
    expect(w.signIn).toHaveBeenCalledTimes(4)
    expect(w.log.registrations).toHaveLength(4)
  })

  it('signOut forgets the tokens, keeps the registration', async () => {
    const storage = memoryKeyValueStore()
    const w = setup({}, { storage })
    await w.call(w.mcp.fetch)
    await w.mcp.signOut()
    expect(await w.mcp.token()).toBeUndefined()
    expect(await storage.get(`oauthkit:mcp:tokens ${MCP}`)).toBeUndefined()
    await w.call(w.mcp.fetch)
    expect(w.log.registrations).toHaveLength(1)
    expect(w.signIn).toHaveBeenCalledTimes(2)
  })

  it('token() and onUnauthorized(): the auth provider of the SDK transports', async () => {
    const w = setup()
    expect(await w.mcp.token()).toBeUndefined()
    const first = await w.call(fetch)
    expect(first.status).toBe(401)
    await w.mcp.onUnauthorized({ response: first })
    const token = await w.mcp.token()
    expect(token).toMatch(/^at-/)
    const ok = await fetch(MCP, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    })
    expect(ok.status).toBe(200)
  })

  it('a signal given to createMcpAuth is not kept: aborted, the client still signs in', async () => {
    const effect = new AbortController()
    const w = setup({}, { signal: effect.signal })
    effect.abort()
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
  })

  it('onUnauthorized for a token past its refresh point refreshes it: no interactive sign-in', async () => {
    const clock = fakeClock(Date.now())
    const w = setup({}, { clock })
    await w.mcp.authorize()
    const sent = await w.mcp.token()
    // The transport's token is past its refresh point here, and the server no longer takes it.
    clock.advance(3_590_000)
    w.tokens.delete(sent!)
    const refused = await fetch(MCP, {
      method: 'POST',
      headers: { authorization: `Bearer ${sent}` },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    })
    expect(refused.status).toBe(401)
    await w.mcp.onUnauthorized({ response: refused })
    expect(w.log.tokenRequests.map((r) => r.params.get('grant_type'))).toEqual(['authorization_code', 'refresh_token'])
    expect(w.signIn).toHaveBeenCalledTimes(1)
    expect(await w.mcp.token()).not.toBe(sent)
  })
})

describe('oauthkit/mcp against a shipped emulator', () => {
  it("Epismo's MCP server (oauthkit/testing): its 401, RFC 9728, registration at /oauth/register, sign-in, tools/list", async () => {
    const epismo = epismoServer({ issuer: 'https://auth.epismo.test', mcp: 'https://mcp.epismo.test/mcp' })
    msw.server.use(...epismo.handlers)
    const mcp = createMcpAuth({
      serverUrl: 'https://mcp.epismo.test/mcp',
      redirectUri: REDIRECT,
      discoveryCache: false,
      resolveHost: PUBLIC,
      signIn: async ({ url }) => epismo.approve(url, { user: 'ann' }),
    })
    const response = await mcp.fetch('https://mcp.epismo.test/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    })
    expect(response.status).toBe(200)
    expect(mcp.server).toMatchObject({ resource: 'https://mcp.epismo.test/mcp', metadata: { issuer: 'https://auth.epismo.test' } })
    expect(msw.count('/oauth/register', 'POST')).toBe(1)
    const asked = new URL(msw.requests.find((r) => r.url.endsWith('/oauth/register'))!.url)
    expect(asked.host).toBe('auth.epismo.test')
  })
})
