/**
 * An MCP server built with the official SDK (`@modelcontextprotocol/sdk`'s McpServer over
 * Streamable HTTP, stateless), protected as the MCP authorization spec has it, behind real
 * authorization servers (oidc-provider 8), all on 127.0.0.1 with ephemeral ports. Used by
 * test/e2e/mcp.test.ts and `npm run demo`.
 *
 * - The MCP server publishes RFC 9728 metadata naming one of the authorization servers (which
 *   one can change: `moveTo`), answers 401 with `resource_metadata` and a 403
 *   `insufficient_scope` challenge for the `write` tool without `mcp:write`, and accepts only
 *   tokens of the authorization server it names today, issued for its URL (the audience).
 * - Each authorization server takes dynamic registration (open), requires PKCE, sends `iss` in
 *   its answers, knows the MCP server as a resource (RFC 8707) with scopes `mcp:read` and
 *   `mcp:write`, and issues rotating refresh tokens.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import Provider, { errors } from 'oidc-provider'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { quietExpectedNotices } from './authorization-server.js'
import { checkDpopProof } from './dpop-proof.js'
import { AS_CLIENT, JWT_BEARER, startIdentityProvider, trustedAssertion, workloadJwt, type IdentityProvider } from './mcp-trust.js'

export { workloadJwt }

/** Clients registered by hand at each authorization server, for the grants without a user. */
export const MACHINE_CLIENTS = {
  /** client_credentials with a secret (SEP-1046). */
  service: { clientId: 'mcp-svc', clientSecret: 'mcp-svc-secret' },
  /** jwt-bearer with a workload's JWT, a public client (SEP-1933). */
  workload: { clientId: 'mcp-agent' },
  /** jwt-bearer with an ID-JAG of the identity provider (SEP-990). */
  enterprise: { clientId: AS_CLIENT, clientSecret: 'mcp-app-secret' },
}

export interface McpAuthServer {
  issuer: string
  provider: Provider
  /** Requests seen, by kind. */
  seen: { registrations: number; tokenRequests: Map<string, number> }
}

export interface McpWorld {
  /** The MCP server's Streamable HTTP endpoint (its resource identifier). */
  url: string
  as1: McpAuthServer
  as2: McpAuthServer
  /** The enterprise identity provider both authorization servers trust (SEP-990). */
  idp: IdentityProvider
  /** The authorization server the MCP server names from now on (and whose tokens it accepts). */
  moveTo(server: McpAuthServer): void
  calls: { ok: number; unauthorized: number; forbidden: number; dpop: number }
  stop(): Promise<void>
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/**
 * oidc-provider's own memory adapter keeps one store for every instance in the process: two
 * authorization servers would find each other's tokens. This one is per instance.
 */
function ownMemoryAdapter() {
  const store = new Map<string, Record<string, unknown>>()
  const index = new Map<string, string>()
  return class {
    constructor(private readonly model: string) {}
    key = (id: string) => `${this.model}:${id}`
    async upsert(id: string, payload: Record<string, unknown>) {
      store.set(this.key(id), payload)
      if (this.model === 'Session') index.set(`uid:${String(payload.uid)}`, id)
      if (typeof payload.userCode === 'string') index.set(`userCode:${payload.userCode}`, id)
    }
    find = async (id: string) => store.get(this.key(id))
    findByUid = async (uid: string) => store.get(this.key(index.get(`uid:${uid}`) ?? ''))
    findByUserCode = async (code: string) => store.get(this.key(index.get(`userCode:${code}`) ?? ''))
    async consume(id: string) {
      const payload = store.get(this.key(id))
      if (payload) payload.consumed = Math.floor(Date.now() / 1000)
    }
    destroy = async (id: string) => void store.delete(this.key(id))
    async revokeByGrantId(grantId: string) {
      for (const [key, payload] of store) if (payload.grantId === grantId) store.delete(key)
    }
  }
}

async function startAuthServer(resource: string, idp: IdentityProvider): Promise<McpAuthServer & { server: Server }> {
  const server = createServer()
  const issuer = await listen(server)
  quietExpectedNotices()
  const machine = (grant: string, client: { clientId: string; clientSecret?: string }) => ({
    client_id: client.clientId,
    ...(client.clientSecret ? { client_secret: client.clientSecret } : { token_endpoint_auth_method: 'none' as const }),
    grant_types: [grant],
    redirect_uris: [],
    response_types: [],
  })
  const provider = new Provider(issuer, {
    adapter: ownMemoryAdapter(),
    clients: [
      machine('client_credentials', MACHINE_CLIENTS.service),
      machine(JWT_BEARER, MACHINE_CLIENTS.workload),
      machine(JWT_BEARER, MACHINE_CLIENTS.enterprise),
    ],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    scopes: ['openid', 'offline_access', 'mcp:read', 'mcp:write'],
    ttl: {
      AccessToken: 60,
      ClientCredentials: 60,
      AuthorizationCode: 300,
      DeviceCode: 600,
      RefreshToken: 3600,
      Grant: 3600,
      Interaction: 3600,
      Session: 3600,
      IdToken: 3600,
    },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
      clientCredentials: { enabled: true },
      // A headless agent's sign-in on another device (RFC 8628).
      deviceFlow: { enabled: true },
      // DPoP-bound tokens for clients that send proofs (RFC 9449), each with a nonce of this server first (§8).
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== resource) throw new Error(`unknown resource ${indicator}`)
          return { scope: 'mcp:read mcp:write', audience: resource, accessTokenTTL: 60, accessTokenFormat: 'opaque' }
        },
      },
    },
    discovery: { authorization_response_iss_parameter_supported: true },
  })
  registerJwtBearer(provider, issuer, resource, idp)
  const seen = { registrations: 0, tokenRequests: new Map<string, number>() }
  provider.use(async (ctx, next) => {
    await next()
    if (ctx.path === '/reg' && ctx.method === 'POST' && ctx.status === 201) seen.registrations++
    if (ctx.path === '/token' && ctx.method === 'POST') {
      const gty = String((ctx.oidc?.params as Record<string, unknown> | undefined)?.grant_type ?? 'unknown')
      seen.tokenRequests.set(gty, (seen.tokenRequests.get(gty) ?? 0) + 1)
    }
  })
  server.on('request', provider.callback())
  return { issuer, provider, seen, server }
}

/**
 * The jwt-bearer grant (RFC 7523 §2.1) for a workload's JWT (SEP-1933) or the identity
 * provider's ID-JAG (SEP-990): an access token for the MCP server, of the scopes asked for that
 * it has, for the assertion's subject.
 */
function registerJwtBearer(provider: Provider, issuer: string, resource: string, idp: IdentityProvider) {
  provider.registerGrantType(
    JWT_BEARER,
    async (ctx, next) => {
      const params = ctx.oidc.params as Record<string, string | undefined>
      const trusted = trustedAssertion(params.assertion ?? '', issuer, resource, idp)
      if (!trusted) throw new errors.InvalidGrant('the assertion is not a trusted workload JWT or ID-JAG for this server')
      const scope = (params.scope ?? '')
        .split(' ')
        .filter((s) => s === 'mcp:read' || s === 'mcp:write')
        .join(' ')
      const client = ctx.oidc.client!
      const grant = new provider.Grant({ accountId: trusted.sub, clientId: client.clientId })
      grant.addResourceScope(resource, scope)
      const token = new provider.AccessToken({ accountId: trusted.sub, client, grantId: await grant.save(), gty: trusted.via, scope })
      ;(token as unknown as { setAudience(aud: string): void }).setAudience(resource)
      ctx.body = { access_token: await token.save(), token_type: 'Bearer', expires_in: token.expiration, scope }
      await next()
    },
    ['assertion', 'scope'],
  )
}

/** An McpServer with two tools: `whoami` (mcp:read) and `write` (mcp:write). */
function mcpServer(): McpServer {
  const server = new McpServer({ name: 'oauthkit-test-mcp', version: '1.0.0' })
  server.registerTool('whoami', { description: 'Who the token is for' }, async (extra) => ({
    content: [
      {
        type: 'text',
        text: JSON.stringify({
          client: extra.authInfo?.clientId,
          scopes: extra.authInfo?.scopes,
          resource: extra.authInfo?.resource?.href,
        }),
      },
    ],
  }))
  server.registerTool('write', { description: 'Needs mcp:write' }, async () => ({ content: [{ type: 'text', text: 'written' }] }))
  return server
}

export async function startMcpWorld(): Promise<McpWorld> {
  const http = createServer()
  const base = await listen(http)
  const url = `${base}/mcp`
  const idp = await startIdentityProvider()
  const as1 = await startAuthServer(url, idp)
  const as2 = await startAuthServer(url, idp)
  let current: McpAuthServer = as1
  const calls = { ok: 0, unauthorized: 0, forbidden: 0, dpop: 0 }
  const rsNonce = `rs-${randomBytes(6).toString('hex')}`
  const metadataUrl = `${base}/.well-known/oauth-protected-resource/mcp`

  function refuse(res: ServerResponse, status: 401 | 403, params: string) {
    calls[status === 401 ? 'unauthorized' : 'forbidden']++
    res.writeHead(status, { 'www-authenticate': `Bearer resource_metadata="${metadataUrl}"${params}`, 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: status === 401 ? 'unauthorized' : 'insufficient_scope' }))
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', base).pathname
    if (path === '/.well-known/oauth-protected-resource/mcp') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          resource: url,
          authorization_servers: [current.issuer],
          scopes_supported: ['mcp:read', 'mcp:write'],
          bearer_methods_supported: ['header'],
        }),
      )
      return
    }
    if (path !== '/mcp') {
      res.writeHead(404).end()
      return
    }
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = chunks.length
      ? (JSON.parse(Buffer.concat(chunks).toString()) as { method?: string; params?: { name?: string } })
      : undefined
    const [, scheme, value] = /^(Bearer|DPoP) (\S+)$/.exec(req.headers.authorization ?? '') ?? []
    const token = value
      ? ((await current.provider.AccessToken.find(value)) ?? (await current.provider.ClientCredentials.find(value)))
      : undefined
    // RFC 8707 / MCP: a token of the authorization server named today, for this server.
    if (!token || token.isExpired || token.aud !== url) return refuse(res, 401, value ? ', error="invalid_token"' : ', scope="mcp:read"')
    // A DPoP-bound token only as DPoP, with a proof of its key for this request, this server's nonce in it (RFC 9449 §7.1, §9).
    const jkt = (token as { jkt?: string }).jkt
    if (jkt || scheme === 'DPoP') {
      const proof = jkt && scheme === 'DPoP' && checkDpopProof(String(req.headers.dpop ?? ''), { method: 'POST', url, token: value!, jkt })
      if (!proof) return refuse(res, 401, ', error="invalid_token"')
      if (proof.nonce !== rsNonce) {
        res.writeHead(401, { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': rsNonce }).end()
        return
      }
      calls.dpop++
    }
    const scopes = (token.scope ?? '').split(' ').filter(Boolean)
    if (body?.method === 'tools/call' && body.params?.name === 'write' && !scopes.includes('mcp:write'))
      return refuse(res, 403, ', error="insufficient_scope", scope="mcp:write"')
    calls.ok++
    Object.assign(req, { auth: { token: value, clientId: token.clientId, scopes, resource: new URL(url) } })
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
    const server = mcpServer()
    res.on('close', () => void transport.close().then(() => server.close()))
    await server.connect(transport)
    await transport.handleRequest(req, res, body)
  }
  http.on(
    'request',
    (req, res) => void handle(req, res).catch((err: unknown) => (res.headersSent ? res.end() : res.writeHead(500).end(String(err)))),
  )

  return {
    url,
    as1,
    as2,
    idp,
    moveTo: (server) => void (current = server),
    calls,
    async stop() {
      for (const server of [http, as1.server, as2.server, idp.server]) {
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
      }
    },
  }
}
