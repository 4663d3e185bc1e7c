/**
 * Node backend: a client_credentials session and its authorized fetch. Many concurrent calls,
 * one token request; the token is renewed before it expires and sent to API_URL only.
 *
 *   npm run example session-fetch    # offline, against the local authorization server and API
 *   OAUTH_ISSUER=… OAUTH_CLIENT_ID=… OAUTH_CLIENT_SECRET=… API_URL=https://api.example.com/v1 \
 *   npx tsx --tsconfig examples/tsconfig.json examples/session-fetch.ts
 */
import { createOAuthClient } from 'oauthkit'

const { OAUTH_ISSUER, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, API_URL } = process.env
if (!OAUTH_ISSUER || !OAUTH_CLIENT_ID || !OAUTH_CLIENT_SECRET || !API_URL) {
  console.error('set OAUTH_ISSUER, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET and API_URL')
  process.exit(2)
}

const client = await createOAuthClient({ issuer: OAUTH_ISSUER, clientId: OAUTH_CLIENT_ID, clientSecret: OAUTH_CLIENT_SECRET })
const session = client.session({
  grant: 'client_credentials',
  scope: 'api:read',
  resource: API_URL,
  apiUrls: [API_URL], // the only place the token may go
  backgroundRefresh: true, // renew ahead of expiry; the timer never keeps the process alive
})
session.on('refresh-failed', (error) => console.error(`token renewal failed (${error.recovery}): ${error.message}`))

const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => session.fetch(`${API_URL}/things/${i}`)))
console.log(`${responses.filter((r) => r.ok).length} of ${responses.length} calls succeeded`)
session.close()
