/**
 * EPISHIP: hand-configured endpoints (no discovery), the legacy password grant for a trusted
 * first-party login, then the user's personal access tokens listed and one revoked.
 *
 *   npm run example vendor-epiship    # offline, against the vendor's emulator
 *   EPISHIP_API=https://api.epiship.example EPISHIP_CLIENT_ID=… EPISHIP_CLIENT_SECRET=… EPISHIP_USER=… EPISHIP_PASSWORD=… npx tsx --tsconfig examples/tsconfig.json examples/vendor-epiship.ts
 */
import { createOAuthClient } from 'oauthkit'
import { epishipPreset, personalAccessTokens } from 'oauthkit/dialects'

const { EPISHIP_API = '', EPISHIP_CLIENT_ID = '', EPISHIP_CLIENT_SECRET = '', EPISHIP_USER = '', EPISHIP_PASSWORD = '' } = process.env
const client = await createOAuthClient({
  ...epishipPreset({ baseUrl: EPISHIP_API }),
  clientId: EPISHIP_CLIENT_ID,
  clientSecret: EPISHIP_CLIENT_SECRET,
})
const tokens = await client.passwordGrant({ username: EPISHIP_USER, password: EPISHIP_PASSWORD, scope: 'all billing' })
const session = client.session({ tokens, apiUrls: [EPISHIP_API] })
const pats = personalAccessTokens({ baseUrl: EPISHIP_API, fetch: session.fetch })
const list = await pats.list()
console.log(list.map((t) => `${t.id} ${t.name ?? ''}`).join('\n'))
if (process.argv[2]) await pats.revoke(process.argv[2])
