import { describe, expect, it } from 'vitest'
import { createOAuthClient, isOAuthKitError } from '../../src/index.js'
import { organizationApiPreset } from '../../src/entries/dialects.js'
import { organizationApiServer } from '../../src/entries/testing.js'
import { fakeClock, useStrictMsw, useWarnings } from '../support/msw.js'

const msw = useStrictMsw()
// The vendors follow their documents: their flows raise no deviation warning.
const warnings = useWarnings()
const server = 'org.example.com'
const api = `https://${server}/api`
const credentials = { clientId: 'org-client', clientSecret: 'org-secret' }

for (const mode of ['basic', 'query'] as const) {
  describe(`Organization API, credentials in ${mode === 'basic' ? 'an Authorization: Basic header' : 'query parameters'}`, () => {
    it('client_credentials answered with a refresh token; the session uses it when the token expires; the API accepts both', async () => {
      const emulator = organizationApiServer({ server, clients: [credentials], credentials: mode })
      msw.server.use(...emulator.handlers)
      const clock = fakeClock(Date.now())
      const client = await createOAuthClient({
        onWarning: warnings.onWarning,
        ...organizationApiPreset({ server, credentials: mode }),
        ...credentials,
        clock,
      })
      const session = client.session({ grant: 'client_credentials', apiUrls: [api] })
      const first = await session.getTokens()
      expect(first.refreshToken).toBeTruthy()
      expect((await session.fetch(`${api}/organizations`)).status).toBe(200)
      clock.advance(3_600_000)
      expect((await session.fetch(`${api}/organizations`)).status).toBe(200)
      expect(emulator.stats.grants).toEqual(['client_credentials', 'refresh_token'])
      const [issue, refresh] = msw.requests.filter((r) => r.url.includes('/oauth2/token'))
      for (const request of [issue!, refresh!]) {
        const url = new URL(request.url)
        if (mode === 'basic') {
          expect(request.headers.get('authorization')).toMatch(/^Basic /)
          expect(url.search).toBe('')
        } else {
          expect(request.headers.has('authorization')).toBe(false)
          expect(url.searchParams.get('client_id')).toBe(credentials.clientId)
          expect(url.searchParams.get('client_secret')).toBe(credentials.clientSecret)
          expect(await request.text()).toBe('')
        }
      }
      expect(
        new URL(refresh!.url).searchParams.get('refresh_token') ?? new URLSearchParams(await refresh!.clone().text()).get('refresh_token'),
      ).toBe(first.refreshToken)
    })

    it('the emulator is strict: the other placement is refused', async () => {
      const emulator = organizationApiServer({ server, clients: [credentials], credentials: mode })
      msw.server.use(...emulator.handlers)
      const other =
        mode === 'basic'
          ? await createOAuthClient({
              onWarning: warnings.onWarning,
              ...organizationApiPreset({ server }),
              ...credentials,
              tokenEndpointAuthMethod: 'client_secret_post',
            })
          : await createOAuthClient({
              onWarning: warnings.onWarning,
              ...organizationApiPreset({ server, credentials: 'basic' }),
              ...credentials,
            })
      const err = await other.clientCredentialsGrant().catch((e: unknown) => e)
      expect(isOAuthKitError(err) && err.error).toMatch(/invalid_request|invalid_client/)
    })
  })
}

it('an error in the query-parameter mode never shows the secret', async () => {
  msw.server.use(
    ...organizationApiServer({ server, clients: [{ clientId: 'org-client', clientSecret: 'right' }], credentials: 'query' }).handlers,
  )
  const client = await createOAuthClient({
    onWarning: warnings.onWarning,
    ...organizationApiPreset({ server, credentials: 'query' }),
    clientId: 'org-client',
    clientSecret: 'wrong-secret-value',
  })
  const err = await client.clientCredentialsGrant().catch((e: unknown) => e)
  expect(isOAuthKitError(err) && err.error).toBe('invalid_client')
  expect(JSON.stringify({ ...(err as object), message: (err as Error).message })).not.toContain('wrong-secret-value')
})
