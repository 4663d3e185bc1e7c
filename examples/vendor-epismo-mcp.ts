/**
 * Epismo as an MCP client: the MCP server's 401 → RFC 9728 metadata → the authorization
 * server → dynamic registration → authorization code + PKCE with `resource`. This prints the
 * URL to open; `complete(callbackUrl)` finishes once the browser comes back.
 *
 *   npm run example vendor-epismo-mcp    # offline, against the vendor's emulator
 *   EPISMO_MCP=https://mcp.epismo.example/mcp npx tsx --tsconfig examples/tsconfig.json examples/vendor-epismo-mcp.ts
 */
import { createOAuthClient, discoverFromResource, registerClient, type PendingAuthorization } from 'oauthkit'

const mcp = process.env.EPISMO_MCP ?? 'https://mcp.epismo.example/mcp'
const redirectUri = 'http://127.0.0.1:8765/callback'

const { authorizationServer } = await discoverFromResource(mcp, { challenge: await fetch(mcp) })
const registered = await registerClient(authorizationServer.metadata, {
  redirect_uris: [redirectUri],
  token_endpoint_auth_method: 'none',
  client_name: 'example MCP client',
})
const client = await createOAuthClient({ metadata: authorizationServer.metadata, clientId: registered.client_id, redirectUri })
const pending: PendingAuthorization = await client.buildAuthorizationUrl({ scope: 'mcp offline_access', resource: mcp })
console.log(`open ${pending.url}`)

export async function complete(callbackUrl: string) {
  const session = client.session({ tokens: await client.completeAuthorization(callbackUrl, pending), apiUrls: [mcp] })
  return session.fetch(mcp, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
  })
}
