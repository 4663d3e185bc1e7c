/**
 * DPoP (RFC 9449) end to end: oidc-provider with DPoP on, and an API that checks every proof
 * as a resource server must (test/support/dpop-proof.ts: checkDpopProof) — the key
 * the token is bound to, htm, htu, iat, a jti never seen before, ath, and, when it asks, its
 * nonce.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOAuthClient, createDPoP, type DPoP } from '../../src/index.js'
import { createAuthorizedKy } from '../../src/entries/ky.js'
import { CONFIDENTIAL, NATIVE, USER, actAsUser, startLocalServers, type LocalServers } from '../support/authorization-server.js'
import { failure } from '../support/msw.js'

let servers: LocalServers
let nonces: LocalServers

beforeAll(async () => {
  servers = await startLocalServers()
  nonces = await startLocalServers({ dpopNonces: { authorizationServer: true, api: true } })
})
afterAll(async () => {
  await servers?.stop()
  await nonces?.stop()
})

/** A client with a DPoP key whose requests to the API are recorded (the proofs they carried). */
async function dpopClient(s: LocalServers, dpop?: DPoP) {
  const sent: Array<{ url: string; headers: Headers }> = []
  const key = dpop ?? (await createDPoP())
  const recording: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    if (url.startsWith(s.api)) sent.push({ url, headers: new Headers(init?.headers) })
    return fetch(input, init)
  }
  const client = await createOAuthClient({ issuer: s.issuer, ...CONFIDENTIAL, dpop: key, fetch: recording, retry: false })
  return { client, key, sent }
}

const claimsOf = (proof: string | null) => JSON.parse(Buffer.from(proof!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>

describe('DPoP against oidc-provider and an API that checks proofs', () => {
  it('client_credentials: the token is DPoP-bound; session.fetch sends it with a proof the API accepts', async () => {
    const { client, sent } = await dpopClient(servers)
    const session = client.session({ grant: 'client_credentials', scope: 'api:read', resource: servers.api, apiUrls: [servers.api] })
    expect((await session.getTokens()).tokenType).toBe('dpop')
    const res = await session.fetch(`${servers.api}/things?page=2`, { method: 'POST', body: 'x' })
    expect(res.status).toBe(200)
    expect(sent[0]!.headers.get('authorization')).toMatch(/^DPoP /)
    expect(claimsOf(sent[0]!.headers.get('dpop'))).toMatchObject({ htm: 'POST', htu: `${servers.api}/things` })
  })

  it('the API refuses the bound token as a bearer token, a replayed proof, a proof for another token (ath), and another key', async () => {
    const { client, key, sent } = await dpopClient(servers)
    const session = client.session({ grant: 'client_credentials', scope: 'api:read', resource: servers.api, apiUrls: [servers.api] })
    expect((await session.fetch(`${servers.api}/me`)).status).toBe(200)
    const token = await session.getAccessToken()
    const asBearer = await fetch(`${servers.api}/me`, { headers: { authorization: `Bearer ${token}` } })
    expect(asBearer.status).toBe(401)
    const replay = await fetch(`${servers.api}/me`, { headers: { authorization: `DPoP ${token}`, dpop: sent[0]!.headers.get('dpop')! } })
    expect(replay.headers.get('www-authenticate')).toBe('DPoP error="invalid_dpop_proof"')
    const wrongAth = await fetch(`${servers.api}/me`, {
      headers: { authorization: `DPoP ${token}`, dpop: await key.proof('GET', `${servers.api}/me`, 'another-token') },
    })
    expect(wrongAth.headers.get('www-authenticate')).toBe('DPoP error="invalid_dpop_proof"')
    const otherKey = await createDPoP()
    const stolen = await fetch(`${servers.api}/me`, {
      headers: { authorization: `DPoP ${token}`, dpop: await otherKey.proof('GET', `${servers.api}/me`, token) },
    })
    expect(stolen.headers.get('www-authenticate')).toBe('DPoP error="invalid_dpop_proof"')
  })

  it('nonces: the token endpoint and the API each ask once, and the request is sent once more with the nonce', async () => {
    const { client, sent } = await dpopClient(nonces)
    const before = nonces.tokenRequests.get('client_credentials') ?? 0
    const session = client.session({ grant: 'client_credentials', scope: 'api:read', resource: nonces.api, apiUrls: [nonces.api] })
    expect((await session.fetch(`${nonces.api}/me`)).status).toBe(200)
    expect((nonces.tokenRequests.get('client_credentials') ?? 0) - before).toBe(2)
    expect(sent).toHaveLength(2)
    expect(claimsOf(sent[0]!.headers.get('dpop')).nonce).toBeUndefined()
    expect(claimsOf(sent[1]!.headers.get('dpop')).nonce).toBeTruthy()
    // The nonce is kept for the origin: the next call needs no second try.
    expect((await session.fetch(`${nonces.api}/me`)).status).toBe(200)
    expect(sent).toHaveLength(3)
  })

  it('ky sends DPoP too, nonce round included', async () => {
    const { client } = await dpopClient(nonces)
    const session = client.session({ grant: 'client_credentials', scope: 'api:read', resource: nonces.api, apiUrls: [nonces.api] })
    const api = createAuthorizedKy(session, { apiUrls: [nonces.api], prefixUrl: nonces.api })
    expect(await api.get('me').json()).toMatchObject({ client: CONFIDENTIAL.clientId })
  })

  it('a public client: sign-in, a DPoP-bound refresh token that refreshes with its key only; userinfo with a proof', async () => {
    const dpop = await createDPoP()
    const client = await createOAuthClient({ issuer: servers.issuer, ...NATIVE, dpop })
    const pending = await client.buildAuthorizationUrl({
      redirectUri: 'http://127.0.0.1:4000/callback',
      scope: 'openid profile offline_access',
      extraParams: { prompt: 'consent' },
    })
    const tokens = await client.completeAuthorization(await actAsUser(pending.url, { until: 'http://127.0.0.1:4000/callback' }), pending)
    expect(tokens).toMatchObject({ tokenType: 'dpop', refreshToken: expect.any(String) })
    expect(await client.fetchUserInfo(tokens)).toMatchObject({ sub: USER.login })
    const thief = await createOAuthClient({ issuer: servers.issuer, ...NATIVE, dpop: await createDPoP() })
    expect(await failure(thief.refreshGrant(tokens))).toMatchObject({ error: 'invalid_grant' })
    const renewed = await client.refreshGrant(tokens)
    expect(renewed.tokenType).toBe('dpop')
  })

  it('a DPoP-bound token given to a session without its key: refused at once, never sent as a bearer token (a server issuing one to such a client: test/dpop/create-dpop.test.ts)', async () => {
    const { client } = await dpopClient(servers)
    const tokens = await client.clientCredentialsGrant({ scope: 'api:read', resource: servers.api })
    const plain = await createOAuthClient({ issuer: servers.issuer, ...CONFIDENTIAL })
    const before = { ...servers.apiCalls }
    expect(() => plain.session({ tokens, apiUrls: [servers.api] })).toThrow(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining('DPoP') }),
    )
    expect(servers.apiCalls).toEqual(before)
  })
})
