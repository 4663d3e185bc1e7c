/**
 * Node backend, machine to machine, in one call (`oauthkit/m2m`): discovery, a client_credentials
 * session, and an authorized fetch that sends the token to API_URL only. Bundles that start here
 * carry no sign-in code.
 *
 *   npm run example m2m-session    # offline, against the local authorization server and API
 *   OAUTH_ISSUER=… OAUTH_CLIENT_ID=… OAUTH_CLIENT_SECRET=… API_URL=https://api.example.com/v1 \
 *   npx tsx --tsconfig examples/tsconfig.json examples/m2m-session.ts
 */
import { createClientCredentialsSession, isOAuthKitError } from 'oauthkit/m2m'

const { OAUTH_ISSUER, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, API_URL } = process.env
if (!OAUTH_ISSUER || !OAUTH_CLIENT_ID || !OAUTH_CLIENT_SECRET || !API_URL) {
  console.error('set OAUTH_ISSUER, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET and API_URL')
  process.exit(2)
}

try {
  const session = await createClientCredentialsSession({
    issuer: OAUTH_ISSUER,
    clientId: OAUTH_CLIENT_ID,
    clientSecret: OAUTH_CLIENT_SECRET,
    scope: 'api:read',
    resource: API_URL,
    apiUrls: [API_URL], // the only place the token may go
  })
  const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => session.fetch(`${API_URL}/things/${i}`)))
  console.log(`${responses.filter((r) => r.ok).length} of ${responses.length} calls succeeded`)
  session.close()
} catch (err) {
  // A typed error says what to do: retry, sign in again, or fix the configuration.
  if (!isOAuthKitError(err)) throw err
  console.error(`${err.code} (${err.recovery}): ${err.message}`)
  process.exit(1)
}
