/**
 * Declared discovery deviations (#28 item 1): a dialect may declare that a server's metadata
 * names a path-ancestor of the issuer asked for (Atlassian's tenants), and nothing else is
 * relaxed — an undeclared mismatch is refused on every path (metadata, `iss`, ID token), a
 * declared one is accepted only for that server and that value, each time with a warning, and
 * the declared issuer is the one every later check uses.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { createOAuthClient, discover, discoverFromResource } from '../../src/index.js'
import { atlassianMcpPreset, defineDialect } from '../../src/entries/dialects.js'
import { fakeIdToken, metadata, tokenJson } from '../support/as-mock.js'
import { failure, useStrictMsw } from '../support/msw.js'

const msw = useStrictMsw()
const ROOT = 'https://auth.example.net'
const TENANT = `${ROOT}/tenant-1`
const redirectUri = 'https://app.example.com/callback'
const tenantAs = defineDialect({ name: 'Tenant AS', discovery: { ancestorIssuer: ROOT } })

/** The metadata a server publishes for `asked` (at its RFC 8414 path-insertion URL), naming `issuer`. */
function publishes(asked: string, issuer: string) {
  const url = new URL(asked)
  msw.server.use(
    http.get(`${url.origin}/.well-known/oauth-authorization-server${url.pathname === '/' ? '' : url.pathname}`, () =>
      HttpResponse.json(metadata(issuer, { authorization_response_iss_parameter_supported: true })),
    ),
  )
}

function warnings() {
  const seen: Array<{ code: string; message: string }> = []
  return { seen, onWarning: (w: { code: string; message: string }) => void seen.push(w) }
}

describe('a discovery deviation, declared', () => {
  it('undeclared, a path-ancestor issuer is issuer_mismatch (RFC 8414 §3.3)', async () => {
    publishes(TENANT, ROOT)
    const err = await failure(discover(TENANT, { discoveryCache: false }))
    expect(err).toMatchObject({ code: 'issuer_mismatch', recovery: 'fix-config' })
  })

  it('declared, the metadata is accepted with the declared issuer, and each use is a warning naming the server and the deviation', async () => {
    publishes(TENANT, ROOT)
    const w = warnings()
    for (const _ of [1, 2]) {
      const { metadata: found } = await discover(TENANT, { dialect: tenantAs, onWarning: w.onWarning, discoveryCache: false })
      expect(found.issuer).toBe(ROOT)
    }
    expect(w.seen.map((x) => x.code)).toEqual(['declared_issuer', 'declared_issuer'])
    expect(w.seen[0]!.message).toBe(
      `Tenant AS: the metadata for ${TENANT} names the issuer ${ROOT}, the deviation the dialect declares (discovery.ancestorIssuer); ${ROOT} is the issuer every later check holds the server to`,
    )
  })

  const refused: Array<[string, string, string]> = [
    ['another tenant of the same server', TENANT, `${ROOT}/tenant-2`],
    ['another origin', TENANT, 'https://evil.example'],
    ['a subdomain of the declared origin', TENANT, 'https://eu.auth.example.net'],
    ['another server under the same dialect, naming its own root', 'https://other.example.net/tenant-1', 'https://other.example.net'],
    ['a path that only starts with the same letters', `${ROOT}x/tenant-1`, ROOT],
  ]
  for (const [name, asked, named] of refused) {
    it(`only for that server and that value: ${name} is still issuer_mismatch`, async () => {
      publishes(asked, named)
      const w = warnings()
      const err = await failure(discover(asked, { dialect: tenantAs, onWarning: w.onWarning, discoveryCache: false }))
      expect(err.code).toBe('issuer_mismatch')
      expect(w.seen).toEqual([])
    })
  }

  it('a server that fixed its metadata (naming the tenant) passes without a warning; the root itself is plain discovery', async () => {
    publishes(TENANT, TENANT)
    publishes(ROOT, ROOT)
    const w = warnings()
    expect((await discover(TENANT, { dialect: tenantAs, onWarning: w.onWarning, discoveryCache: false })).metadata.issuer).toBe(TENANT)
    expect((await discover(ROOT, { dialect: tenantAs, onWarning: w.onWarning, discoveryCache: false })).metadata.issuer).toBe(ROOT)
    expect(w.seen).toEqual([])
  })

  it('there is no switch that turns the check off: anything else under discovery is refused, and the issuer must be a URL', () => {
    expect(() => defineDialect({ name: 'X', discovery: { skipIssuerValidation: true } } as never)).toThrow(
      /discovery\.skipIssuerValidation is not a dialect field; the fields of discovery are ancestorIssuer/,
    )
    expect(() => defineDialect({ name: 'X', discovery: { ancestorIssuer: 'auth.example.net' } })).toThrow(
      /discovery\.ancestorIssuer must be an absolute URL without a query or fragment/,
    )
  })
})

describe('the declared issuer is the one every later check uses', () => {
  async function signingIn(idTokenIssuer: string) {
    publishes(TENANT, ROOT)
    const w = warnings()
    const client = await createOAuthClient({
      issuer: TENANT,
      dialect: tenantAs,
      clientId: 'app',
      redirectUri,
      onWarning: w.onWarning,
      discoveryCache: false,
    })
    const pending = await client.buildAuthorizationUrl({ scope: 'openid' })
    const now = Math.floor(Date.now() / 1000)
    const claims = { iss: idTokenIssuer, aud: 'app', sub: 'u1', iat: now, exp: now + 60, nonce: pending.nonce }
    msw.server.use(http.post(`${ROOT}/token`, () => tokenJson({ access_token: 'at', token_type: 'bearer', id_token: fakeIdToken(claims) })))
    const back = (iss: string) =>
      client.completeAuthorization(`${redirectUri}?code=c&state=${pending.state}&iss=${encodeURIComponent(iss)}`, pending)
    return { back, w }
  }

  it('the authorization response must carry iss = the declared issuer: the tenant URL is iss_mismatch', async () => {
    const { back } = await signingIn(ROOT)
    expect((await failure(back(TENANT))).code).toBe('iss_mismatch')
  })

  it('the ID token must name the declared issuer: the tenant URL is invalid_id_token; the declared one signs in', async () => {
    const wrong = await signingIn(TENANT)
    expect((await failure(wrong.back(ROOT))).code).toBe('invalid_id_token')
    const right = await signingIn(ROOT)
    expect((await right.back(ROOT)).idTokenClaims).toMatchObject({ iss: ROOT, sub: 'u1' })
  })

  it('a private_key_jwt assertion is for the declared issuer (its aud), as every later use of the issuer is', async () => {
    publishes(TENANT, ROOT)
    const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const client = await createOAuthClient({
      issuer: TENANT,
      dialect: tenantAs,
      clientId: 'app',
      privateKey: { key: privateKey, kid: 'k1' },
      discoveryCache: false,
    })
    const sent: URLSearchParams[] = []
    msw.server.use(
      http.post(`${ROOT}/token`, async ({ request }) => {
        sent.push(new URLSearchParams(await request.text()))
        return tokenJson({ access_token: 'at', token_type: 'bearer' })
      }),
    )
    await client.clientCredentialsGrant()
    const claims = JSON.parse(Buffer.from(sent[0]!.get('client_assertion')!.split('.')[1]!, 'base64url').toString()) as { aud: unknown }
    expect([claims.aud].flat()).toContain(ROOT)
    expect([claims.aud].flat()).not.toContain(TENANT)
  })

  it('undeclared, every path refuses the ancestor: metadata given by hand for the tenant, then iss and ID token naming the root', async () => {
    const client = await createOAuthClient({
      metadata: metadata(TENANT, { authorization_response_iss_parameter_supported: true }),
      clientId: 'app',
      redirectUri,
    })
    const pending = await client.buildAuthorizationUrl({ scope: 'openid' })
    expect(
      (await failure(client.completeAuthorization(`${redirectUri}?code=c&state=${pending.state}&iss=${encodeURIComponent(ROOT)}`, pending)))
        .code,
    ).toBe('iss_mismatch')
    const now = Math.floor(Date.now() / 1000)
    const claims = { iss: ROOT, aud: 'app', sub: 'u1', iat: now, exp: now + 60, nonce: pending.nonce }
    msw.server.use(
      http.post(`${TENANT}/token`, () => tokenJson({ access_token: 'at', token_type: 'bearer', id_token: fakeIdToken(claims) })),
    )
    const again = await client.buildAuthorizationUrl({ scope: 'openid' })
    const idToken = fakeIdToken({ ...claims, nonce: again.nonce })
    msw.server.use(http.post(`${TENANT}/token`, () => tokenJson({ access_token: 'at', token_type: 'bearer', id_token: idToken })))
    expect(
      (await failure(client.completeAuthorization(`${redirectUri}?code=c&state=${again.state}&iss=${encodeURIComponent(TENANT)}`, again)))
        .code,
    ).toBe('invalid_id_token')
  })
})

describe("atlassianMcpPreset, against Atlassian's metadata as published", () => {
  const SERVER = 'https://mcp.atlassian.com/v1/mcp/authv2'
  const TENANT_AS = 'https://auth.atlassian.com/VCeDsk8ZHncYF1g234fKtc4lNipbBhu3'
  function atlassian() {
    msw.server.use(
      http.get('https://mcp.atlassian.com/.well-known/oauth-protected-resource/v1/mcp/authv2', () =>
        HttpResponse.json({ resource: SERVER, authorization_servers: [TENANT_AS] }),
      ),
      // Both the RFC 8414 path-insertion URL and the appended one answer, naming the root.
      http.get('https://auth.atlassian.com/.well-known/oauth-authorization-server/VCeDsk8ZHncYF1g234fKtc4lNipbBhu3', () =>
        HttpResponse.json(metadata('https://auth.atlassian.com')),
      ),
    )
  }

  it('without the preset: issuer_mismatch, as the strict SDKs say; with it: the metadata, its issuer the root, and a warning', async () => {
    atlassian()
    expect((await failure(discoverFromResource(SERVER, { discoveryCache: false }))).code).toBe('issuer_mismatch')
    const w = warnings()
    const found = await discoverFromResource(SERVER, { ...atlassianMcpPreset(), onWarning: w.onWarning, discoveryCache: false })
    expect(found.authorizationServer.metadata).toMatchObject({
      issuer: 'https://auth.atlassian.com',
      token_endpoint: 'https://auth.atlassian.com/token',
    })
    expect(w.seen.map((x) => `${x.code}: ${x.message.split(':')[0]}`)).toEqual(["declared_issuer: Atlassian's MCP server"])
  })
})
