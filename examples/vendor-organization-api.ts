/**
 * Organization API: client_credentials with Basic credentials; the answer's refresh token is
 * used when the access token expires (the session does it). `credentials: 'query'` switches to
 * the document's query-parameter variant.
 *
 *   npm run example vendor-organization-api    # offline, against the vendor's emulator
 *   ORG_SERVER=org.example.com ORG_CLIENT_ID=… ORG_CLIENT_SECRET=… npx tsx --tsconfig examples/tsconfig.json examples/vendor-organization-api.ts
 */
import { createOAuthClient } from 'oauthkit'
import { organizationApiPreset } from 'oauthkit/dialects'

const { ORG_SERVER = '', ORG_CLIENT_ID = '', ORG_CLIENT_SECRET = '' } = process.env
const client = await createOAuthClient({
  ...organizationApiPreset({ server: ORG_SERVER }),
  clientId: ORG_CLIENT_ID,
  clientSecret: ORG_CLIENT_SECRET,
})
const session = client.session({ grant: 'client_credentials', apiUrls: [`https://${ORG_SERVER}/api`] })
console.log((await session.fetch(`https://${ORG_SERVER}/api/organizations`)).status)
