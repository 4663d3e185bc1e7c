import { describe, expect, it } from 'vitest'
import { createOAuthClient, isOAuthKitError } from '../../src/index.js'
import { epishipPreset, personalAccessTokens } from '../../src/entries/dialects.js'
import { epishipServer } from '../../src/entries/testing.js'
import { useStrictMsw, useWarnings } from '../support/msw.js'

const msw = useStrictMsw()
// The vendors follow their documents: their flows raise no deviation warning.
const warnings = useWarnings()
const baseUrl = 'https://api.epiship.example'
const redirectUri = 'https://app.example.com/cb'

function setup() {
  const server = epishipServer({
    baseUrl,
    clients: [{ clientId: 'first-party', clientSecret: 'fp-secret', redirectUris: [redirectUri] }],
    users: { ann: 'pw-ann' },
  })
  msw.server.use(...server.handlers)
  return server
}

const client = () =>
  createOAuthClient({
    onWarning: warnings.onWarning,
    ...epishipPreset({ baseUrl }),
    clientId: 'first-party',
    clientSecret: 'fp-secret',
    redirectUri,
  })

describe('EPISHIP', () => {
  it('has no discovery: hand-configured endpoints, no well-known request', async () => {
    setup()
    const c = await client()
    expect(c.metadata.token_endpoint).toBe(`${baseUrl}/oauth/token`)
    expect(msw.requests).toHaveLength(0)
  })

  it('password grant with space-separated scopes; an unknown scope is refused', async () => {
    setup()
    const c = await client()
    const tokens = await c.passwordGrant({ username: 'ann', password: 'pw-ann', scope: 'all billing' })
    expect(tokens).toMatchObject({ scope: 'all billing', tokenType: 'bearer' })
    expect(tokens.refreshToken).toBeTruthy()
    const err = await c.passwordGrant({ username: 'ann', password: 'pw-ann', scope: 'all admin' }).catch((e: unknown) => e)
    expect(isOAuthKitError(err) && err.error).toBe('invalid_scope')
  })

  it('authorization code (with PKCE), refresh, and revocation', async () => {
    const server = setup()
    const c = await client()
    const pending = await c.buildAuthorizationUrl({ scope: 'general' })
    const tokens = await c.completeAuthorization(await server.approve(pending.url, { user: 'ann' }), pending)
    const refreshed = await c.refreshGrant(tokens)
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken)
    await c.revokeToken(refreshed.accessToken)
    expect(server.stats.revoked).toEqual([refreshed.accessToken])
  })

  it("lists and revokes the user's personal access tokens through the authorized fetch", async () => {
    setup()
    const c = await client()
    const session = c.session({ tokens: await c.passwordGrant({ username: 'ann', password: 'pw-ann', scope: 'all' }), apiUrls: [baseUrl] })
    const pats = personalAccessTokens({ baseUrl, fetch: session.fetch })
    expect((await pats.list()).map((t) => t.id)).toEqual(['pat-1', 'pat-2'])
    await pats.revoke('pat-1')
    expect((await pats.list()).map((t) => t.name)).toEqual(['billing export'])
    expect((await session.fetch(`${baseUrl}/api/orders`)).status).toBe(200)
  })
})
