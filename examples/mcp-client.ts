/**
 * An MCP client (the official SDK) calling an OAuth-protected MCP server: oauthkit/mcp answers
 * the server's 401 (RFC 9728 discovery, registration, sign-in in the browser with PKCE and
 * `resource`) and its 403 `insufficient_scope` (a step-up), and keeps the token fresh. One line
 * goes into the SDK: `fetch: mcp.fetch`.
 *
 *   npm run example mcp-client    # offline: an MCP server built with the SDK, behind oidc-provider, on 127.0.0.1
 *   MCP_SERVER=https://mcp.example.com/mcp npx tsx --tsconfig examples/tsconfig.json examples/mcp-client.ts
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { createMcpAuth } from 'oauthkit/mcp'
import { listenForCallback } from 'oauthkit/node'

const serverUrl = process.env.MCP_SERVER
if (!serverUrl) {
  console.error('set MCP_SERVER to the MCP server URL (its Streamable HTTP endpoint)')
  process.exit(2)
}
// One fixed loopback port: the redirect URI registered with the authorization server.
const port = Number(process.env.REDIRECT_PORT ?? 8976)

const mcp = createMcpAuth({
  serverUrl,
  redirectUri: `http://127.0.0.1:${port}/callback`,
  clientName: 'oauthkit example MCP client',
  // The user signs in in the browser; the authorization server sends it back to this listener.
  async signIn({ url, issuer, scope }) {
    const listener = await listenForCallback({ port })
    console.log(`Open ${url} to sign in at ${issuer}${scope ? ` for ${scope}` : ''}`)
    return listener.callback
  },
})

const client = new Client({ name: 'oauthkit-example', version: '1.0.0' })
await client.connect(new StreamableHTTPClientTransport(new URL(serverUrl), { fetch: mcp.fetch }))
const { tools } = await client.listTools()
console.log(`tools: ${tools.map((tool) => tool.name).join(', ')}`)
for (const tool of tools) {
  const result = (await client.callTool({ name: tool.name })) as { content: Array<{ type: string; text?: string }> }
  console.log(`${tool.name} → ${result.content.map((part) => part.text ?? part.type).join(' ')}`)
}
await client.close()
