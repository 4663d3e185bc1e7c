/**
 * Node backend, machine to machine: a client_credentials token, then an API call with it.
 *
 *   OAUTH_ISSUER=https://as.example.com OAUTH_CLIENT_ID=… OAUTH_CLIENT_SECRET=… \
 *   npm run example client-credentials    # offline, against the local authorization server and API
 *   API_URL=https://api.example.com/v1/things npx tsx --tsconfig examples/tsconfig.json examples/client-credentials.ts
 */
import { createOAuthClient, isOAuthKitError } from 'oauthkit'

const { OAUTH_ISSUER, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, OAUTH_SCOPE, API_URL } = process.env
if (!OAUTH_ISSUER || !OAUTH_CLIENT_ID || !OAUTH_CLIENT_SECRET || !API_URL) {
  console.error('set OAUTH_ISSUER, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET and API_URL')
  process.exit(2)
}

try {
  const client = await createOAuthClient({ issuer: OAUTH_ISSUER, clientId: OAUTH_CLIENT_ID, clientSecret: OAUTH_CLIENT_SECRET })
  const tokens = await client.clientCredentialsGrant({ scope: OAUTH_SCOPE ?? 'api:read', resource: new URL(API_URL).origin })
  const res = await fetch(API_URL, { headers: { authorization: `Bearer ${tokens.accessToken}` } })
  console.log(`GET ${API_URL} → ${res.status}`, await res.json())
} catch (err) {
  // Branch on the recovery class, not on the message.
  if (isOAuthKitError(err)) console.error(`${err.code} (${err.recovery}): ${err.message}`)
  else throw err
  process.exit(1)
}
