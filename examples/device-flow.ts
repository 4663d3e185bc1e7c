/**
 * A CLI signing in with the device authorization grant (RFC 8628): show a code, wait.
 *
 *   npm run example device-flow    # offline, against the local authorization server and API
 *   OAUTH_ISSUER=https://as.example.com OAUTH_CLIENT_ID=… npx tsx --tsconfig examples/tsconfig.json examples/device-flow.ts
 */
import { createOAuthClient, isOAuthKitError } from 'oauthkit'

const { OAUTH_ISSUER, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET } = process.env
if (!OAUTH_ISSUER || !OAUTH_CLIENT_ID) {
  console.error('set OAUTH_ISSUER and OAUTH_CLIENT_ID (and OAUTH_CLIENT_SECRET for a confidential client)')
  process.exit(2)
}

const client = await createOAuthClient({
  issuer: OAUTH_ISSUER,
  clientId: OAUTH_CLIENT_ID,
  ...(OAUTH_CLIENT_SECRET ? { clientSecret: OAUTH_CLIENT_SECRET } : {}),
})
const flow = await client.startDeviceAuthorization({ scope: 'openid offline_access' })
console.log(`Open ${flow.verificationUriComplete ?? flow.verificationUri} and enter ${flow.userCode}`)

// Ctrl-C cancels the wait cleanly.
const controller = new AbortController()
process.once('SIGINT', () => controller.abort())
try {
  const tokens = await flow.wait({ signal: controller.signal })
  console.log(`signed in; access token expires ${tokens.expiresAt ? new Date(tokens.expiresAt).toISOString() : 'never (not stated)'}`)
} catch (err) {
  if (isOAuthKitError(err) && (err.error === 'access_denied' || err.code === 'device_flow_expired')) {
    console.error(`not signed in: ${err.message}`)
    process.exit(1)
  }
  throw err
}
