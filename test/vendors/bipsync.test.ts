import { describe, expect, it } from 'vitest'
import { createOAuthClient, isOAuthKitError } from '../../src/index.js'
import { bipsyncPreset } from '../../src/entries/dialects.js'
import { bipsyncServer } from '../../src/entries/testing.js'
import { fakeClock, useStrictMsw, useWarnings } from '../support/msw.js'

const msw = useStrictMsw()
// The vendors follow their documents: their flows raise no deviation warning.
const warnings = useWarnings()
const redirectUri = 'https://partner.example.com/cb'
const api = 'https://acme-api.bipsync.com/v1'

function setup() {
  const server = bipsyncServer({
    client: 'acme',
    clients: [
      { clientId: 'confidential', clientSecret: 'c-secret', redirectUris: [redirectUri] },
      { clientId: 'native', redirectUris: [redirectUri] },
    ],
    users: { ann: 'pw', 'svc-integration': 'svc-pw' },
  })
  msw.server.use(...server.handlers)
  return server
}

const confidential = () =>
  createOAuthClient({
    onWarning: warnings.onWarning,
    ...bipsyncPreset({ client: 'acme' }),
    clientId: 'confidential',
    clientSecret: 'c-secret',
    redirectUri,
    discoveryCache: false,
  })

describe('Bipsync', () => {
  it('discovers RFC 8414 metadata at {client}-api.bipsync.com', async () => {
    setup()
    const c = await confidential()
    expect(c.metadata.issuer).toBe('https://acme-api.bipsync.com')
    expect(msw.requests[0]!.url).toBe('https://acme-api.bipsync.com/.well-known/oauth-authorization-server')
  })

  for (const user of ['ann', 'svc-integration']) {
    it(`authorization code for ${user === 'ann' ? 'a named user' : 'a service account'} (confidential application), refresh, API call`, async () => {
      const server = setup()
      const c = await confidential()
      const pending = await c.buildAuthorizationUrl({ scope: 'read' })
      const tokens = await c.completeAuthorization(await server.approve(pending.url, { user }), pending)
      const session = c.session({ tokens: await c.refreshGrant(tokens), apiUrls: [api] })
      const res = await session.fetch(`${api}/research`)
      expect(await res.json()).toMatchObject({ sub: user })
      const sent = msw.requests.find((r) => r.url.startsWith(api))!
      expect(sent.headers.get('authorization')).toBe(`Bearer ${(await session.getTokens()).accessToken}`)
    })
  }

  it('public application: PKCE and no secret; without PKCE it is refused', async () => {
    const server = setup()
    const c = await createOAuthClient({
      onWarning: warnings.onWarning,
      ...bipsyncPreset({ client: 'acme' }),
      clientId: 'native',
      redirectUri,
      discoveryCache: false,
    })
    expect(c.context.authMethod).toBe('none')
    const pending = await c.buildAuthorizationUrl({ scope: 'read' })
    const tokens = await c.completeAuthorization(await server.approve(pending.url, { user: 'ann' }), pending)
    expect(tokens.accessToken).toBeTruthy()
    const bare = new URL(pending.url)
    bare.searchParams.delete('code_challenge')
    bare.searchParams.delete('code_challenge_method')
    await expect(server.approve(bare.href, { user: 'ann' })).rejects.toThrow(/PKCE/)
  })

  it('client_credentials: a team-scoped token for machine to machine calls', async () => {
    setup()
    const session = (await confidential()).session({ grant: 'client_credentials', scope: 'team', apiUrls: [api] })
    expect(await (await session.fetch(`${api}/team`)).json()).toMatchObject({ client: 'confidential', sub: null })
  })

  it('device authorization: the user approves on another device', async () => {
    const server = setup()
    const c = await createOAuthClient({
      onWarning: warnings.onWarning,
      ...bipsyncPreset({ client: 'acme' }),
      clientId: 'confidential',
      clientSecret: 'c-secret',
      clock: fakeClock(Date.now()),
      discoveryCache: false,
    })
    const flow = await c.startDeviceAuthorization({ scope: 'read' })
    server.approveDevice(flow.userCode, { user: 'ann' })
    const tokens = await flow.wait()
    // No openid scope, no ID token: the caller says whose answer it expects.
    expect(await c.fetchUserInfo(tokens.accessToken, { expectedSubject: 'ann' })).toMatchObject({ sub: 'ann' })
  })

  it('errors follow RFC 6749 §5.2 and arrive typed', async () => {
    setup()
    const c = await createOAuthClient({
      onWarning: warnings.onWarning,
      ...bipsyncPreset({ client: 'acme' }),
      clientId: 'confidential',
      clientSecret: 'wrong',
      discoveryCache: false,
    })
    const err = await c.clientCredentialsGrant().catch((e: unknown) => e)
    expect(isOAuthKitError(err) && { error: err.error, status: err.status, recovery: err.recovery }).toEqual({
      error: 'invalid_client',
      status: 401,
      recovery: 'fix-config',
    })
  })
})
