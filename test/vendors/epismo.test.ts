import { describe, expect, it, vi } from 'vitest'
import { createOAuthClient, discover, discoverFromResource, registerClient } from '../../src/index.js'
import { epismoPreset } from '../../src/entries/dialects.js'
import { epismoServer } from '../../src/entries/testing.js'
import { useStrictMsw, useWarnings } from '../support/msw.js'

const msw = useStrictMsw()
// The vendors follow their documents: their flows raise no deviation warning.
const warnings = useWarnings()
const issuer = 'https://auth.epismo.example'
const mcp = 'https://mcp.epismo.example/mcp'
const redirectUri = 'http://127.0.0.1:8765/callback'

function setup() {
  const server = epismoServer({ issuer, mcp, users: { ann: 'pw' } })
  msw.server.use(...server.handlers)
  return server
}

describe('Epismo', () => {
  it('publishes both well-known documents; endpoints are read from them', async () => {
    setup()
    const oauth = await discover(issuer, { discoveryCache: false })
    expect(oauth.url).toBe(`${issuer}/.well-known/oauth-authorization-server`)
    expect(oauth.metadata.token_endpoint).toBe(`${issuer}/oauth/token`)
    const oidc = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()
    expect(oidc).toMatchObject({ issuer, userinfo_endpoint: `${issuer}/oauth/userinfo` })
  })

  it('dynamic registration, code + PKCE, userinfo (GET and POST), introspection, refresh, revocation', async () => {
    const server = setup()
    const { metadata } = await discover(issuer, { discoveryCache: false })
    const registered = await registerClient(metadata, {
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'none',
      client_name: 'cli',
    })
    expect(registered.grant_types).toEqual(['authorization_code', 'refresh_token'])
    const client = await createOAuthClient({
      onWarning: warnings.onWarning,
      ...epismoPreset({ issuer }),
      clientId: registered.client_id,
      redirectUri,
      discoveryCache: false,
    })
    const pending = await client.buildAuthorizationUrl({ scope: 'openid read write offline_access' })
    const tokens = await client.completeAuthorization(await server.approve(pending.url, { user: 'ann' }), pending)
    for (const method of ['GET', 'POST'] as const) expect(await client.fetchUserInfo(tokens, { method })).toMatchObject({ sub: 'ann' })
    expect(await client.introspectToken(tokens.accessToken)).toMatchObject({ active: true, scope: 'openid read write offline_access' })
    const refreshed = await client.refreshGrant(tokens)
    await client.revokeToken(refreshed.refreshToken!, { tokenTypeHint: 'refresh_token' })
    expect(server.stats.revoked).toEqual([refreshed.refreshToken])
  })

  it('a code exchange without PKCE is refused by the emulator', async () => {
    const server = setup()
    server.addClient({ clientId: 'legacy', redirectUris: [redirectUri] })
    const authorize = new URL(`${issuer}/oauth/authorize`)
    authorize.search = new URLSearchParams({ client_id: 'legacy', redirect_uri: redirectUri, response_type: 'code', state: 's' }).toString()
    await expect(server.approve(authorize.href, { user: 'ann' })).rejects.toThrow(/PKCE/)
  })

  it('a code obtained with PKCE but exchanged without the verifier is refused', async () => {
    const server = setup()
    const registered = await registerClient(server.metadata as never, { redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' })
    const client = await createOAuthClient({
      onWarning: warnings.onWarning,
      issuer,
      clientId: registered.client_id,
      redirectUri,
      discoveryCache: false,
    })
    const pending = await client.buildAuthorizationUrl({ scope: 'read' })
    const code = new URL(await server.approve(pending.url, { user: 'ann' })).searchParams.get('code')!
    const res = await fetch(`${issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: registered.client_id }),
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'invalid_grant', error_description: 'PKCE verification failed' })
  })

  it('MCP: the 401 leads to RFC 9728 metadata, the authorization server, registration, and code + PKCE with resource', async () => {
    const server = setup()
    const challenge = await fetch(mcp)
    expect(challenge.status).toBe(401)
    const found = await discoverFromResource(mcp, { challenge, discoveryCache: false })
    expect(found.resource.metadata.scopes_supported).toEqual(['mcp'])
    const registered = await registerClient(found.authorizationServer.metadata, {
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'none',
    })
    const client = await createOAuthClient({
      onWarning: warnings.onWarning,
      metadata: found.authorizationServer.metadata,
      clientId: registered.client_id,
      redirectUri,
    })
    const pending = await client.buildAuthorizationUrl({ scope: 'mcp', resource: mcp })
    expect(new URL(pending.url).searchParams.get('resource')).toBe(mcp)
    const tokens = await client.completeAuthorization(await server.approve(pending.url, { user: 'ann' }), pending)
    const session = client.session({ tokens, apiUrls: [mcp] })
    const res = await session.fetch(mcp)
    expect(await res.json()).toMatchObject({ sub: 'ann', resource: mcp })
  })

  it('without the mcp scope the MCP server answers insufficient_scope, as a typed error', async () => {
    const server = setup()
    const registered = await registerClient(server.metadata as never, { redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' })
    const client = await createOAuthClient({
      onWarning: warnings.onWarning,
      issuer,
      clientId: registered.client_id,
      redirectUri,
      discoveryCache: false,
    })
    const pending = await client.buildAuthorizationUrl({ scope: 'read' })
    const tokens = await client.completeAuthorization(await server.approve(pending.url, { user: 'ann' }), pending)
    const err = await client
      .session({ tokens, apiUrls: [mcp] })
      .fetch(mcp)
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ error: 'insufficient_scope', scope: 'mcp', recovery: 'insufficient-scope' })
  })
})

describe('examples/vendor-epismo-mcp.ts', () => {
  for (const mcpChallengeNamesMetadata of [true, false]) {
    it(`runs end to end ${mcpChallengeNamesMetadata ? 'with' : 'without'} resource_metadata in the 401`, async () => {
      const server = epismoServer({ issuer, mcp, users: { ann: 'pw' }, mcpChallengeNamesMetadata })
      msw.server.use(...server.handlers)
      const printed: string[] = []
      const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line))
      vi.resetModules()
      vi.stubEnv('EPISMO_MCP', mcp)
      try {
        const example = await import('../../examples/vendor-epismo-mcp.js')
        const url = /^open (\S+)$/.exec(printed[0] ?? '')?.[1]
        expect(url).toBeDefined()
        const res = await example.complete(await server.approve(url!, { user: 'ann' }))
        expect(await res.json()).toMatchObject({ sub: 'ann', resource: mcp })
      } finally {
        log.mockRestore()
        vi.unstubAllEnvs()
      }
      const paths = msw.requests.map((r) => new URL(r.url).pathname)
      expect(paths.filter((p) => p.startsWith('/.well-known/oauth-protected-resource'))).toEqual([
        '/.well-known/oauth-protected-resource/mcp',
      ])
    })
  }
})
