/**
 * `npm run sandbox`: a local authorization server (oidc-provider) and a protected API, and an
 * MCP server behind its own authorization server, on 127.0.0.1 — something to point the CLI,
 * the examples and your own program at, without an account anywhere. Prints the addresses and
 * ready-to-use client credentials, then one line each time token requests arrive; runs until
 * Ctrl-C.
 *
 *   npm run sandbox                         # ephemeral ports
 *   npm run sandbox -- --port 9000          # the authorization server on 9000, the API on 9001
 *   npm run sandbox -- --ttl 30             # 30 s access tokens, to watch renewals
 */
import { parseArgs } from 'node:util'
import { CONFIDENTIAL, NATIVE, PUBLIC, USER, hushOidcProvider, startLocalServers } from '../test/support/authorization-server.js'
import { MACHINE_CLIENTS, startMcpWorld } from '../test/support/mcp-server.js'

const { values } = parseArgs({ options: { port: { type: 'string' }, ttl: { type: 'string' } } })
const port = values.port === undefined ? undefined : Number(values.port)
const ttl = values.ttl === undefined ? 300 : Number(values.ttl)
if ((port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65535)) || !(ttl > 0)) {
  console.error('usage: npm run sandbox [-- --port N] [--ttl SECONDS]')
  process.exit(2)
}

// oidc-provider announces its development defaults on the console; the sandbox says what matters.
hushOidcProvider()

const servers = await startLocalServers({ accessTokenTtl: ttl, ...(port ? { port } : {}) })
const mcp = await startMcpWorld()
const { issuer, api } = servers
const registration = ((await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { registration_endpoint: string })
  .registration_endpoint
const secret = CONFIDENTIAL.clientSecret
const cli = `--issuer ${issuer} --client-id ${CONFIDENTIAL.clientId} --client-secret-env OAUTH_CLIENT_SECRET --scope api:read`

console.log(`oauthkit sandbox: an authorization server (oidc-provider), an API and an MCP server on 127.0.0.1 — Ctrl-C stops them

  issuer        ${issuer}
  API           ${api}   (GET ${api}/me wants a token for api:read; its RFC 9728 metadata names the issuer)
  MCP server    ${mcp.url}   (its own authorization server, found from its 401; clients register there)

Clients (access tokens last ${ttl} s)
  confidential  client id ${CONFIDENTIAL.clientId}   secret ${secret}
                client_secret_basic; client_credentials, code, device, password, refresh, token exchange, JWT bearer
                scopes openid offline_access profile email api:read; redirect ${servers.redirectUri}
  public        client id ${PUBLIC.clientId}   (no secret: code + PKCE, device)
  native (CLI)  client id ${NATIVE.clientId}   (no secret: code + PKCE to a loopback redirect on any port, RFC 8252)
  registration  ${registration}   (RFC 7591, open — what an MCP client does)
  MCP machine   client id ${MACHINE_CLIENTS.service.clientId}   secret ${MACHINE_CLIENTS.service.clientSecret}   (client_credentials at the MCP server's authorization server)
  user          ${USER.login} / ${USER.password}   (the sign-in pages take any login)

For the examples and your own code (npm run example's variables):
  export OAUTH_ISSUER=${issuer} OAUTH_CLIENT_ID=${CONFIDENTIAL.clientId} OAUTH_CLIENT_SECRET=${secret} API_URL=${api} MCP_SERVER=${mcp.url}

With the CLI, after that export (npx oauthkit in a project that installed oauthkit; node dist/cli.js in this one):
  npx oauthkit token ${cli}
  npx oauthkit call ${api}/me ${cli} --api-url ${api}
  npx oauthkit token --issuer ${issuer} --client-id ${PUBLIC.clientId} --grant device --scope api:read --no-cache
`)

/** The token requests each authorization server saw, by grant type. */
function counts(): string {
  const all = new Map<string, number>()
  for (const map of [servers.tokenRequests, mcp.as1.seen.tokenRequests, mcp.as2.seen.tokenRequests])
    for (const [grant, n] of map) all.set(grant, (all.get(grant) ?? 0) + n)
  const total = [...all.values()].reduce((a, b) => a + b, 0)
  const grants = [...all].map(([grant, n]) => `${grant.replace(/^urn:ietf:params:oauth:grant-type:/, '')} ${n}`).join(', ')
  return `token requests: ${total}${grants ? ` (${grants})` : ''}; API calls: ${servers.apiCalls.ok} accepted, ${servers.apiCalls.unauthorized} refused`
}

let shown = counts()
console.log(shown)
const watch = setInterval(() => {
  const now = counts()
  if (now !== shown) console.log((shown = now))
}, 250)

await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve))
clearInterval(watch)
await Promise.all([servers.stop(), mcp.stop()])
console.log('sandbox stopped')
process.exit(0)
