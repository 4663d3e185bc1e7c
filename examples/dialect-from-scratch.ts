/**
 * A dialect written from scratch for a made-up vendor, "Acme Cloud", whose token endpoint:
 * - wants a JSON body with camelCase names (`grantType`, `clientId`, `clientSecret`, `refreshToken`);
 * - answers `expires_in` as a string of milliseconds, and no `token_type`;
 * - sits at a path no discovery document announces.
 * Everything else is standard, so the dialect says only this. docs/dialects.md walks through it;
 * test/vendors/custom-dialect.test.ts runs it.
 */
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
