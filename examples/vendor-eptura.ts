/**
 * Eptura Workplace without a browser: the x-auth-* code request, the header-only token
 * exchange, then `users/me` through the session, its answer validated with zod.
 *
 *   npm run example vendor-eptura    # offline, against the vendor's emulator
 *   EPTURA_SITE=acme.eptura.example EPTURA_CLIENT_ID=… EPTURA_USER=… EPTURA_PASSWORD=… npx tsx --tsconfig examples/tsconfig.json examples/vendor-eptura.ts
 */
import { createOAuthClient } from 'oauthkit'
import { epturaPreset, requestEpturaCode } from 'oauthkit/dialects'
import * as z from 'zod'

const { EPTURA_SITE = '', EPTURA_CLIENT_ID = '', EPTURA_USER = '', EPTURA_PASSWORD = '' } = process.env
const redirectUri = 'https://app.example.com/eptura/callback'
const scope = 'email'

const client = await createOAuthClient({ ...epturaPreset({ site: EPTURA_SITE, redirectUri, scope }), clientId: EPTURA_CLIENT_ID })
const code = await requestEpturaCode({
  site: EPTURA_SITE,
  username: EPTURA_USER,
  password: EPTURA_PASSWORD,
  clientId: EPTURA_CLIENT_ID,
  redirectUri,
  scope,
})
const session = client.session({ tokens: await client.exchangeCode({ code }), apiUrls: [`https://${EPTURA_SITE}/external/api/rest/v2`] })

// The vendor API, wrapped: a typed function whose answer is checked, not trusted.
const Me = z.looseObject({ id: z.number(), userName: z.string(), email: z.optional(z.string()) })
async function me() {
  const res = await session.fetch(`https://${EPTURA_SITE}/external/api/rest/v2/users/me`)
  if (!res.ok) throw new Error(`users/me answered ${res.status}`)
  return Me.parse(await res.json())
}
console.log(`signed in as ${(await me()).userName}`)
