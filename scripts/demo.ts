/**
 * `npm run demo`: every flow of oauthkit against a real authorization server (oidc-provider)
 * and a small protected API, both started here on 127.0.0.1. No account anywhere needed.
 * One line per step; exits non-zero if any step fails.
 */
import { createDPoP, createOAuthClient, discover, discoverFromResource, type TokenSet } from '../src/index.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { createMcpAuth } from '../src/entries/mcp.js'
import { CONFIDENTIAL, USER, actAsUser, hushOidcProvider, signAssertion, startLocalServers } from '../test/support/authorization-server.js'
import { startMcpWorld } from '../test/support/mcp-server.js'

// oidc-provider announces its development defaults on the console; the demo is about oauthkit.
hushOidcProvider()

const servers = await startLocalServers({ accessTokenTtl: 30 })
let failed = false

async function step<T>(name: string, run: () => Promise<T>, describe: (value: T) => string): Promise<T | undefined> {
  const started = performance.now()
  try {
    const value = await run()
    console.log(`✔ ${name.padEnd(26)} ${describe(value)}  (${Math.round(performance.now() - started)} ms)`)
    return value
  } catch (err) {
    failed = true
    console.log(`✘ ${name.padEnd(26)} ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
    return undefined
  }
}

async function callApi(tokens: TokenSet | undefined): Promise<Record<string, unknown>> {
  if (!tokens) throw new Error('no token from the previous step')
  const res = await fetch(`${servers.api}/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } })
  if (!res.ok) throw new Error(`the API answered ${res.status}`)
  return (await res.json()) as Record<string, unknown>
}

// Tokens are never printed, not even in part: only whether there is one.
const short = (token: string | undefined) => (token ? `(${token.length} characters)` : 'none')

try {
  console.log(`authorization server ${servers.issuer}, API ${servers.api}\n`)
  await step(
    'discovery',
    () => discover(servers.issuer),
    (d) => `issuer ${d.metadata.issuer} from ${new URL(d.url).pathname}`,
  )
  await step(
    'discovery from a 401',
    async () => discoverFromResource(servers.api, { challenge: await fetch(`${servers.api}/me`) }),
    (d) => `resource ${d.resource.metadata.resource} → ${d.authorizationServer.metadata.issuer}`,
  )
  const client = await createOAuthClient({ issuer: servers.issuer, ...CONFIDENTIAL, redirectUri: servers.redirectUri })

  const session = client.session({ grant: 'client_credentials', scope: 'api:read', resource: servers.api, apiUrls: [servers.api] })
  await step(
    'client_credentials',
    () => session.getTokens(),
    (t) => `access token ${short(t.accessToken)} expires in ${Math.round(((t.expiresAt ?? 0) - Date.now()) / 1000)} s`,
  )
  await step(
    'authorized API call',
    async () => {
      const responses = await Promise.all(Array.from({ length: 20 }, () => session.fetch(`${servers.api}/me`)))
      return { body: (await responses[0]!.json()) as Record<string, unknown>, ok: responses.filter((r) => r.ok).length }
    },
    ({ body, ok }) =>
      `session.fetch ×20 → ${ok} × 200 (client ${body.client}, scope ${body.scope}), ${servers.tokenRequests.get('client_credentials')} token request`,
  )

  const code = await step(
    'authorization code + PKCE',
    async () => {
      const pending = await client.buildAuthorizationUrl({ scope: 'openid offline_access profile', extraParams: { prompt: 'consent' } })
      const callback = await actAsUser(pending.url, { until: servers.redirectUri })
      return client.completeAuthorization(callback, pending)
    },
    (t) => `signed in as ${t.idTokenClaims?.sub}; refresh token ${short(t.refreshToken)}`,
  )
  await step(
    'API call as the user',
    () => callApi(code),
    (body) => `GET /me → sub ${body.sub}`,
  )
  await step(
    'DPoP',
    async () => {
      const dpop = await createDPoP()
      const bound = await createOAuthClient({ issuer: servers.issuer, ...CONFIDENTIAL, dpop })
      const session = bound.session({ grant: 'client_credentials', scope: 'api:read', resource: servers.api, apiUrls: [servers.api] })
      const res = await session.fetch(`${servers.api}/things`)
      return { type: (await session.getTokens()).tokenType, status: res.status, thumbprint: await dpop.thumbprint() }
    },
    (r) => `token_type ${r.type} bound to key ${r.thumbprint.slice(0, 8)}…; the API checked the proof: ${r.status}`,
  )
  await step(
    'pushed authorization (PAR)',
    async () => {
      const pending = await client.buildAuthorizationUrl({ scope: 'openid', par: true })
      const tokens = await client.completeAuthorization(await actAsUser(pending.url, { until: servers.redirectUri }), pending)
      return { query: [...new URL(pending.url).searchParams.keys()].join(' & '), sub: tokens.idTokenClaims?.sub }
    },
    (r) => `the browser carried only ${r.query}; signed in as ${r.sub}`,
  )

  const device = await step(
    'device authorization',
    async () => {
      const flow = await client.startDeviceAuthorization({ scope: 'openid' })
      console.log(`  … visit ${flow.verificationUri} and enter ${flow.userCode} (the demo approves it itself)`)
      const waiting = flow.wait({ timeout: 60_000 })
      await actAsUser(flow.verificationUriComplete ?? flow.verificationUri)
      return waiting
    },
    (t) => `device got access token ${short(t.accessToken)}`,
  )
  await step(
    'API call from the device',
    () => callApi(device),
    (body) => `GET /me → sub ${body.sub}`,
  )

  const refreshed = await step(
    'refresh (rotation)',
    () => client.refreshGrant(code as TokenSet),
    (t) => `rotated: the new refresh token differs from the old one: ${t.refreshToken !== code?.refreshToken}`,
  )
  await step(
    'introspection',
    () => client.introspectToken((refreshed as TokenSet).accessToken),
    (r) => `active ${r.active}, sub ${r.sub}, scope ${r.scope}`,
  )
  await step(
    'userinfo',
    // The token set: the answer is held to its ID token's sub (kept through the refresh), OpenID Connect Core §5.3.2.
    () => client.fetchUserInfo(refreshed as TokenSet),
    (u) => `${u.name} (sub ${u.sub}, the ID token's)`,
  )
  const password = await step(
    'password grant (legacy)',
    () => client.passwordGrant({ username: USER.login, password: USER.password, scope: 'openid' }),
    (t) => `access token ${short(t.accessToken)}`,
  )
  await step(
    'token exchange',
    () => client.tokenExchangeGrant({ subjectToken: (password as TokenSet).accessToken, scope: 'openid' }),
    (t) => `the user's token traded for ${short(t.accessToken)} (${String(t.extra.issued_token_type).split(':').at(-1)})`,
  )
  await step(
    'JWT bearer',
    () => client.jwtBearerGrant({ assertion: signAssertion({ sub: 'grace', aud: servers.issuer }), scope: 'openid' }),
    (t) => `an identity provider's assertion for grace → ${short(t.accessToken)}`,
  )
  await step(
    'MCP client',
    mcpClient,
    (r) =>
      `401 → RFC 9728 → registered at ${r.issuer} → signed in (PKCE, resource); ${r.tools} tools; write → 403, stepped up to "${r.scope}" → ${r.written}`,
  )
  await step(
    'revocation',
    async () => {
      await client.revokeToken((refreshed as TokenSet).refreshToken as string, { tokenTypeHint: 'refresh_token' })
      return client.introspectToken((refreshed as TokenSet).refreshToken as string)
    },
    (r) => `refresh token revoked; introspection says active ${r.active}`,
  )
} finally {
  await servers.stop()
}

/** The official MCP SDK's client, with oauthkit/mcp's fetch, against an MCP server (built with the SDK) behind oidc-provider. */
async function mcpClient() {
  const world = await startMcpWorld()
  const redirectUri = 'http://127.0.0.1:8976/callback'
  const scopes: string[] = []
  try {
    const mcp = createMcpAuth({
      serverUrl: world.url,
      redirectUri,
      signIn: ({ url, scope }) => (scopes.push(scope ?? ''), actAsUser(url, { until: redirectUri })),
    })
    const client = new Client({ name: 'oauthkit-demo', version: '1.0.0' })
    await client.connect(new StreamableHTTPClientTransport(new URL(world.url), { fetch: mcp.fetch }))
    const { tools } = await client.listTools()
    const written = (await client.callTool({ name: 'write' })) as { content: Array<{ text: string }> }
    await client.close()
    return {
      issuer: new URL(mcp.server!.metadata.issuer).host,
      tools: tools.length,
      scope: scopes.at(-1),
      written: written.content[0]!.text,
    }
  } finally {
    await world.stop()
  }
}

console.log(failed ? '\nsome steps failed' : '\nevery step worked')
process.exit(failed ? 1 : 0)
