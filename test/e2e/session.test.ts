/**
 * A session against oidc-provider with refresh-token rotation and a 5 s access-token
 * lifetime: 30 s of API calls through session.fetch and through ky must all succeed, with no
 * invalid_grant anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOAuthClient, memoryStore, type OAuthClient } from '../../src/index.js'
import { failure } from '../support/msw.js'
import { createAuthorizedKy } from '../../src/entries/ky.js'
import { CONFIDENTIAL, actAsUser, startLocalServers, type LocalServers } from '../support/authorization-server.js'

let servers: LocalServers
let client: OAuthClient

beforeAll(async () => {
  servers = await startLocalServers({ accessTokenTtl: 5 })
  client = await createOAuthClient({ issuer: servers.issuer, ...CONFIDENTIAL, redirectUri: servers.redirectUri, discoveryCache: false })
})
afterAll(() => servers?.stop())

describe('a session over 30 s of 5 s tokens', () => {
  it('never fails a call and never sees invalid_grant', async () => {
    const pending = await client.authorizationUrl({ scope: 'openid offline_access', extraParams: { prompt: 'consent' } })
    const tokens = await client.completeAuthorization(await actAsUser(pending.url, { until: servers.redirectUri }), pending)
    const user = client.session({ tokens, apiUrls: [servers.api] })
    const m2m = client.session({ grant: 'client_credentials', scope: 'api:read', resource: servers.api, apiUrls: [servers.api] })
    const api = createAuthorizedKy(user, { allowedUrls: [servers.api], throwHttpErrors: false })
    const problems: string[] = []
    user.on('sign-in-required', (e) => problems.push(`sign-in-required: ${e.message}`))
    user.on('refresh-failed', (e) => problems.push(`refresh-failed: ${e.message}`))
    m2m.on('refresh-failed', (e) => problems.push(`m2m refresh-failed: ${e.message}`))

    const statuses = new Map<number, number>()
    const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1)
    const end = Date.now() + 30_000
    let calls = 0
    while (Date.now() < end) {
      const batch = await Promise.all([
        user.fetch(`${servers.api}/me`),
        user.fetch(`${servers.api}/me`),
        api.get(`${servers.api}/me`),
        m2m.fetch(`${servers.api}/things`),
      ])
      for (const res of batch) count(res.status)
      calls += batch.length
      await new Promise((r) => setTimeout(r, 100))
    }
    user.close()
    m2m.close()
    expect(problems).toEqual([])
    expect(Object.fromEntries(statuses)).toEqual({ 200: calls })
    // Rotation really happened: about one refresh per token lifetime, never a storm.
    const refreshes = servers.tokenRequests.get('refresh_token') ?? 0
    expect(refreshes).toBeGreaterThanOrEqual(5)
    expect(refreshes).toBeLessThanOrEqual(15)
    expect(servers.apiCalls.unauthorized).toBe(0)
  }, 60_000)
})

describe('a refresh token the server refused (#12: refused tokens are gone)', () => {
  it('is removed from the store and never sent again', async () => {
    const pending = await client.buildAuthorizationUrl({ scope: 'openid offline_access', extraParams: { prompt: 'consent' } })
    const tokens = await client.completeAuthorization(await actAsUser(pending.url, { until: servers.redirectUri }), pending)
    const store = memoryStore()
    const session = client.session({ tokens, store, apiUrls: [servers.api] })
    await session.getAccessToken()
    // The grant ends at the server (a revocation, an administrator, a reuse detection).
    await client.revokeToken(tokens.refreshToken!, { tokenTypeHint: 'refresh_token' })
    const before = servers.tokenRequests.get('refresh_token') ?? 0
    const signInRequired: string[] = []
    session.on('sign-in-required', (e) => signInRequired.push(e.code))
    for (let i = 0; i < 3; i++) {
      session.invalidate((await store.load())?.tokens.accessToken ?? '')
      expect((await failure(session.getAccessToken())).code).toBe('sign_in_required')
    }
    expect((servers.tokenRequests.get('refresh_token') ?? 0) - before).toBe(1)
    expect((await store.load())?.tokens.refreshToken).toBeUndefined()
    // Said once, when the grant was lost; the later calls only reject.
    expect(signInRequired).toEqual(['sign_in_required'])
    session.close()
  }, 30_000)
})
