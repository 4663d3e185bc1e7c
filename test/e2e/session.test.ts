/**
 * A session against oidc-provider with refresh-token rotation and a 3 s access-token
 * lifetime: 5 s of API calls (about three renewals) through session.fetch and through ky must
 * all succeed, with no invalid_grant anywhere. The longer runs beside the peers are `npm run bench`'s.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOAuthClient, memoryStore, type OAuthClient } from '../../src/index.js'
import { fileStore } from '../../src/entries/node.js'
import { failure } from '../support/msw.js'
import { createAuthorizedKy } from '../../src/entries/ky.js'
import { CONFIDENTIAL, actAsUser, startLocalServers, type LocalServers } from '../support/authorization-server.js'

let servers: LocalServers
let client: OAuthClient

beforeAll(async () => {
  servers = await startLocalServers({ accessTokenTtl: 3 })
  client = await createOAuthClient({ issuer: servers.issuer, ...CONFIDENTIAL, redirectUri: servers.redirectUri, discoveryCache: false })
})
afterAll(() => servers?.stop())

describe('a session over 5 s of 3 s tokens', () => {
  it('never fails a call and never sees invalid_grant', async () => {
    const pending = await client.buildAuthorizationUrl({ scope: 'openid offline_access', extraParams: { prompt: 'consent' } })
    const tokens = await client.completeAuthorization(await actAsUser(pending.url, { until: servers.redirectUri }), pending)
    const user = client.session({ tokens, apiUrls: [servers.api] })
    const m2m = client.session({ grant: 'client_credentials', scope: 'api:read', resource: servers.api, apiUrls: [servers.api] })
    const api = createAuthorizedKy(user, { apiUrls: [servers.api], throwHttpErrors: false })
    const problems: string[] = []
    user.on('sign-in-required', (e) => problems.push(`sign-in-required: ${e.message}`))
    user.on('refresh-failed', (e) => problems.push(`refresh-failed: ${e.message}`))
    m2m.on('refresh-failed', (e) => problems.push(`m2m refresh-failed: ${e.message}`))

    const statuses = new Map<number, number>()
    const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1)
    const end = Date.now() + 5_000
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
    // 5 s of 3 s tokens renewed at half-life (1.5 s): about 3.
    expect(refreshes).toBeGreaterThanOrEqual(2)
    expect(refreshes).toBeLessThanOrEqual(6)
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

/** Signs a user in (code + PKCE with offline_access), as the start of every fleet below. */
async function signedIn() {
  const pending = await client.buildAuthorizationUrl({ scope: 'openid offline_access', extraParams: { prompt: 'consent' } })
  return client.completeAuthorization(await actAsUser(pending.url, { until: servers.redirectUri }), pending)
}

describe('holders sharing one store, with the defaults (#15): rotation and reuse detection on, 3 s tokens', () => {
  it('two sessions in one process on one store, each with its default lock: no failed call, no invalid_grant', async () => {
    const store = memoryStore()
    await store.save(await signedIn(), undefined)
    const sessions = [client.session({ store, apiUrls: [servers.api] }), client.session({ store, apiUrls: [servers.api] })]
    const before = servers.tokenRequests.get('refresh_token') ?? 0
    const failures: string[] = []
    const end = Date.now() + 5_000
    let calls = 0
    await Promise.all(
      sessions.flatMap((session) =>
        Array.from({ length: 5 }, async () => {
          while (Date.now() < end) {
            calls++
            const res = await session
              .fetch(`${servers.api}/me`)
              .catch((e: { code?: string; error?: string }) => ({ status: `${e.code} ${e.error ?? ''}` }))
            if (res.status !== 200) failures.push(String(res.status))
            await new Promise((r) => setTimeout(r, 20))
          }
        }),
      ),
    )
    expect(failures).toEqual([])
    expect(calls).toBeGreaterThan(200)
    // About one refresh per token lifetime for both sessions together (5 s of 3 s tokens renewed at half-life: about 3).
    const refreshes = (servers.tokenRequests.get('refresh_token') ?? 0) - before
    expect(refreshes).toBeGreaterThanOrEqual(2)
    expect(refreshes).toBeLessThanOrEqual(5)
  }, 30_000)

  it('two processes on one oauthkit/node file store, as docs/sessions.md shows it: no failed call, no invalid_grant', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'oauthkit-fleet-')), 'tokens.json')
    await fileStore(file).save(await signedIn(), undefined)
    const before = servers.tokenRequests.get('refresh_token') ?? 0
    const root = resolve(import.meta.dirname, '..', '..')
    const env = {
      ...process.env,
      TOKEN_FILE: file,
      ISSUER: servers.issuer,
      CLIENT_ID: CONFIDENTIAL.clientId,
      CLIENT_SECRET: CONFIDENTIAL.clientSecret,
      API: servers.api,
      SECONDS: '5',
      CALLERS: '5',
    }
    const run = () =>
      new Promise<{ calls: number; failed: number; errors: Record<string, number> }>((done, fail) => {
        const child = spawn(resolve(root, 'node_modules/.bin/tsx'), ['test/support/fleet-worker.ts'], {
          cwd: root,
          env,
          stdio: ['ignore', 'pipe', 'inherit'],
        })
        let out = ''
        child.stdout.on('data', (chunk: Buffer) => (out += chunk))
        child.on('close', (code) =>
          code === 0 ? done(JSON.parse(out.trim().split('\n').at(-1)!)) : fail(new Error(`worker exited ${code}: ${out}`)),
        )
      })
    const results = await Promise.all([run(), run()])
    for (const r of results) {
      expect(r.errors).toEqual({})
      expect(r.calls).toBeGreaterThan(100)
    }
    const refreshes = (servers.tokenRequests.get('refresh_token') ?? 0) - before
    expect(refreshes).toBeGreaterThanOrEqual(2)
    expect(refreshes).toBeLessThanOrEqual(5)
  }, 60_000)
})
