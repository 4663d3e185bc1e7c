// The MCP client the official conformance suite runs: written as docs/mcp.md teaches (the SDK's
// v2 client with version negotiation, oauthkit/mcp as its fetch and auth provider). The suite
// appends the MCP server's URL; the values it hands out (credentials, keys) come from
// MCP_CONFORMANCE_CONTEXT. Its authorization servers answer a sign-in with a redirect at once,
// so signIn follows the sign-in URL itself where a person would open it.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { createMcpAuth } from 'oauthkit/mcp'

const serverUrl = process.argv[2]!
const redirectUri = 'http://localhost:3000/callback'

const mcp = createMcpAuth({
  serverUrl,
  redirectUri,
  clientName: 'oauthkit conformance client',
  clientMetadataUrl: 'https://conformance-test.local/client-metadata.json',
  async signIn({ url }) {
    const answer = await fetch(url, { redirect: 'manual' })
    return new URL(answer.headers.get('location')!, url).href
  },
})

const client = new Client({ name: 'oauthkit-conformance', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } })
const transport = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: mcp, fetch: mcp.fetch })
await client.connect(transport)
const { tools } = await client.listTools()
if (tools[0]) await client.callTool({ name: tools[0].name, arguments: {} })
await transport.close()
