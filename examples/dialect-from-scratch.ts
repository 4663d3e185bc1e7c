/**
 * A dialect written from scratch for a made-up vendor, "Acme Cloud", whose token endpoint:
 * - wants a JSON body with camelCase names (`grantType`, `clientId`, `clientSecret`, `refreshToken`);
 * - answers `expires_in` as a string of milliseconds, and no `token_type`;
 * - sits at a path no discovery document announces.
 * Everything else is standard, so the dialect says only this. docs/dialects.md walks through it;
 * test/vendors/custom-dialect.test.ts tests it. Run as a program, it gets a token and refreshes it:
 *
 *   npm run example dialect-from-scratch    # offline, against the vendor's emulator
 *   ACME_CLIENT_ID=… ACME_CLIENT_SECRET=… npx tsx --tsconfig examples/tsconfig.json examples/dialect-from-scratch.ts
 */
import { pathToFileURL } from 'node:url'
import { createOAuthClient, defineDialect } from 'oauthkit'

export const acmeCloud = defineDialect({
  name: 'Acme Cloud',
  token: {
    placement: 'json',
    credentials: 'parameters',
    names: { grant_type: 'grantType', client_id: 'clientId', client_secret: 'clientSecret', refresh_token: 'refreshToken' },
  },
  expiresIn: { unit: 'milliseconds' },
  defaultTokenType: 'bearer',
})

export function acmeCloudClient(options: { clientId: string; clientSecret: string }) {
  return createOAuthClient({
    ...options,
    dialect: acmeCloud,
    endpoints: { token: 'https://login.acme-cloud.example/api/v2/token' },
  })
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const client = await acmeCloudClient({ clientId: process.env.ACME_CLIENT_ID ?? '', clientSecret: process.env.ACME_CLIENT_SECRET ?? '' })
  const tokens = await client.clientCredentialsGrant({ scope: 'read' })
  console.log(`token for ${Math.round((tokens.expiresAt! - Date.now()) / 1000)} s (Acme Cloud counts expires_in in milliseconds)`)
  const refreshed = await client.refreshGrant(tokens)
  console.log(`refreshed: ${refreshed.accessToken === tokens.accessToken ? 'same token' : 'a new access token'}`)
}
