/**
 * Bipsync: RFC 8414 discovery from the client's API host; a team-scoped client_credentials
 * session for machine-to-machine calls, or the device flow for a user on a device without a
 * browser (pass --device).
 *
 *   npm run example vendor-bipsync    # offline, against the vendor's emulator
 *   BIPSYNC_CLIENT=acme BIPSYNC_CLIENT_ID=… BIPSYNC_CLIENT_SECRET=… npx tsx --tsconfig examples/tsconfig.json examples/vendor-bipsync.ts [--device]
 */
import { createOAuthClient } from 'oauthkit'
import { bipsyncPreset } from 'oauthkit/dialects'

const { BIPSYNC_CLIENT = 'acme', BIPSYNC_CLIENT_ID = '', BIPSYNC_CLIENT_SECRET = '' } = process.env
const api = `https://${BIPSYNC_CLIENT}-api.bipsync.com/v1`
const client = await createOAuthClient({
  ...bipsyncPreset({ client: BIPSYNC_CLIENT }),
  clientId: BIPSYNC_CLIENT_ID,
  clientSecret: BIPSYNC_CLIENT_SECRET,
})

if (process.argv.includes('--device')) {
  const flow = await client.startDeviceAuthorization({ scope: 'read' })
  console.log(`Open ${flow.verificationUriComplete ?? flow.verificationUri} and enter ${flow.userCode}`)
  const session = client.session({ tokens: await flow.wait(), apiUrls: [api] })
  console.log((await session.fetch(`${api}/research`)).status)
} else {
  const session = client.session({ grant: 'client_credentials', apiUrls: [api] })
  console.log((await session.fetch(`${api}/research`)).status)
}
