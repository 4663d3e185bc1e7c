/**
 * The same session through ky: `createAuthorizedKy` for a new instance, or an instance you
 * already have extended with the session's fetch (`mine.extend({ fetch: session.fetch })`).
 *
 *   npm run example session-ky    # offline, against the local authorization server and API
 *   OAUTH_ISSUER=… OAUTH_CLIENT_ID=… OAUTH_CLIENT_SECRET=… API_URL=https://api.example.com/v1 \
 *   npx tsx --tsconfig examples/tsconfig.json examples/session-ky.ts
 */
import { createOAuthClient } from 'oauthkit'
import { createAuthorizedKy } from 'oauthkit/ky'

const { OAUTH_ISSUER, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, API_URL } = process.env
if (!OAUTH_ISSUER || !OAUTH_CLIENT_ID || !OAUTH_CLIENT_SECRET || !API_URL) {
  console.error('set OAUTH_ISSUER, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET and API_URL')
  process.exit(2)
}

const client = await createOAuthClient({ issuer: OAUTH_ISSUER, clientId: OAUTH_CLIENT_ID, clientSecret: OAUTH_CLIENT_SECRET })
const session = client.session({ grant: 'client_credentials', scope: 'api:read', resource: API_URL })
const api = createAuthorizedKy(session, { apiUrls: [API_URL], prefixUrl: API_URL, timeout: 10_000 })

const me = await api.get('me').json<{ client: string; scope: string }>()
console.log(`called the API as ${me.client} with scope ${me.scope}`)
