/**
 * A CLI that signs in once with the device flow and keeps its tokens in a 0600 file, so the
 * next run starts signed in; the session refreshes (and rotates) them as needed.
 *
 *   npm run example cli-file-store    # offline, against the local authorization server and API
 *   OAUTH_ISSUER=… OAUTH_CLIENT_ID=… API_URL=… npx tsx --tsconfig examples/tsconfig.json examples/cli-file-store.ts
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { createOAuthClient, isOAuthKitError } from 'oauthkit'
import { fileStore } from 'oauthkit/node'

const { OAUTH_ISSUER, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, API_URL, TOKEN_FILE } = process.env
if (!OAUTH_ISSUER || !OAUTH_CLIENT_ID || !API_URL) {
  console.error('set OAUTH_ISSUER, OAUTH_CLIENT_ID and API_URL')
  process.exit(2)
}

const client = await createOAuthClient({
  issuer: OAUTH_ISSUER,
  clientId: OAUTH_CLIENT_ID,
  ...(OAUTH_CLIENT_SECRET ? { clientSecret: OAUTH_CLIENT_SECRET } : {}),
})
const store = fileStore(TOKEN_FILE ?? join(homedir(), '.config', 'example-cli', 'tokens.json'))
const session = client.session({ store, apiUrls: [API_URL] })

async function signIn() {
  const flow = await client.startDeviceAuthorization({ scope: 'openid offline_access' })
  console.log(`Open ${flow.verificationUriComplete ?? flow.verificationUri} and enter ${flow.userCode}`)
  await session.setTokens(await flow.wait())
}

try {
  await session.getAccessToken()
} catch (err) {
  // Nothing stored yet, or the stored grant is gone: sign in.
  if (!isOAuthKitError(err) || err.recovery !== 'reauthenticate') throw err
  await signIn()
}
const res = await session.fetch(`${API_URL}/me`)
console.log(`GET /me → ${res.status}`, await res.json())
