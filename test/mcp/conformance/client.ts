// The MCP client the official conformance suite runs (test/mcp/conformance.test.ts): written as
// docs/mcp.md teaches — the SDK's v2 client with version negotiation, oauthkit/mcp as its auth
// provider and fetch. The suite appends the MCP server's URL, and hands out the values a user
// would be given (credentials, a key, a workload JWT, an identity provider) in
// MCP_CONFORMANCE_CONTEXT; nothing else depends on the scenario. Its authorization servers answer
// a sign-in with a redirect at once, so signIn follows the sign-in URL where a person would open it.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { createDPoP, createMcpAuth, type McpPreregisteredClient } from 'oauthkit/mcp'

interface Given {
  client_id?: string
  client_secret?: string
  private_key_pem?: string
  signing_algorithm?: string
  valid_jwt?: string
  idp_issuer?: string
  idp_client_id?: string
  idp_id_token?: string
}

const serverUrl = process.argv[2]!
const given = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as Given

/** A PKCS #8 PEM private key as a CryptoKey (ES256 or RS256, as the key's issuer says). */
async function privateKey(pem: string, alg = 'ES256'): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')
  const algorithm = alg.startsWith('ES') ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  return crypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign'])
}

// A client registered by hand with the server's authorization server, when one was given.
const client: McpPreregisteredClient | undefined = given.client_id
  ? {
      clientId: given.client_id,
      ...(given.client_secret ? { clientSecret: given.client_secret } : {}),
      ...(given.private_key_pem ? { privateKey: await privateKey(given.private_key_pem, given.signing_algorithm) } : {}),
    }
  : undefined

const mcp = createMcpAuth({
  serverUrl,
  redirectUri: 'http://localhost:3000/callback',
  clientName: 'oauthkit conformance client',
  clientMetadataUrl: 'https://conformance-test.local/client-metadata.json',
  // DPoP-bound tokens wherever the authorization server binds them.
  dpop: await createDPoP(),
  async signIn({ url }) {
    const answer = await fetch(url, { redirect: 'manual' })
    return new URL(answer.headers.get('location')!, url).href
  },
  ...(client ? { client } : {}),
  ...(given.valid_jwt ? { workloadToken: given.valid_jwt } : {}),
  ...(given.idp_issuer && given.idp_client_id && given.idp_id_token
    ? { enterprise: { issuer: given.idp_issuer, clientId: given.idp_client_id, idToken: given.idp_id_token } }
    : {}),
})

const mcpClient = new Client({ name: 'oauthkit-conformance', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } })
const transport = new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: mcp, fetch: mcp.fetch })
await mcpClient.connect(transport)
const { tools } = await mcpClient.listTools()
if (tools[0]) await mcpClient.callTool({ name: tools[0].name, arguments: {} })
await transport.close()
