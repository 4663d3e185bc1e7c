/**
 * createSession: a session's own behaviour over its token manager — a refused refresh token's
 * fallback to the grant it runs, and a sign-out that wins over a renewal under way.
 */
import { delay, http } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { memoryStore, TokenManager, type TokenSet, type TokenStore } from '../src/index.js'
import { ISSUER, tokenJson } from './support/as-mock.js'
import { fakeClock, form, useStrictMsw, failure } from './support/msw.js'
import { makeSession, world as sessionWorld } from './support/session-world.js'

const msw = useStrictMsw()

const world = (options?: Parameters<typeof sessionWorld>[1]) => sessionWorld(msw, options)

/** A refresh step whose server refused the refresh token (invalid_grant), as an error from another copy of oauthkit would look. */
const refusedGrant = async (): Promise<TokenSet> =>
  Promise.reject(
    Object.assign(new Error('refused'), {
      name: 'OAuthServerError',
      code: 'oauth_error',
      recovery: 'reauthenticate',
      error: 'invalid_grant',
    }),
  )

describe('a refresh token the server refused', () => {
  const set = (rt: string, expiresAt: number): TokenSet => ({
    accessToken: `at-for-${rt}`,
    tokenType: 'bearer',
    refreshToken: rt,
    expiresAt,
    extra: {},
  })

  it('leaves the store (compare-and-delete) and is never sent again', async () => {
    const clock = fakeClock()
    const store = memoryStore()
    const refresh = vi.fn(refusedGrant)
    const manager = new TokenManager({ store, clock, refresh })
    await manager.setTokens(set('rt-dead', clock.now() - 1))
    for (let i = 0; i < 3; i++) expect((await failure(manager.getAccessToken())).code).toBe('sign_in_required')
    expect(refresh).toHaveBeenCalledTimes(1)
    expect(await store.load()).toBeUndefined()
  })

  it('is not removed when another holder stored a newer set meanwhile (compare-and-delete)', async () => {
    const clock = fakeClock()
    const inner = memoryStore()
    const newer = set('rt-newer', clock.now() + 600_000)
    let loads = 0
    // The third load (the one before removal) finds what another holder saved in between.
    const store: TokenStore = {
      ...inner,
      load: async () => {
        if (++loads === 3) await inner.save(newer, (await inner.load())?.version)
        return inner.load()
      },
    }
    const refresh = vi.fn(refusedGrant)
    const manager = new TokenManager({ store, clock, refresh })
    await inner.save(set('rt-dead', clock.now() - 1), undefined)
    await failure(manager.getAccessToken())
    expect((await inner.load())!.tokens).toEqual(newer)
  })

  it('on a client_credentials session (a server that also issues refresh tokens) falls back to the grant, and the new tokens are stored', async () => {
    const clock = fakeClock()
    const w = world({ lifetime: 60 })
    const store = memoryStore()
    const session = await makeSession(clock, { grant: 'client_credentials', store })
    expect(await session.getAccessToken()).toBe('at-1')
    w.valid.clear()
    clock.advance(61_000)
    // The refresh token is refused (the world forgets rt-1), so the session runs client_credentials again.
    msw.server.use(
      http.post(
        `${ISSUER}/token`,
        async ({ request }) =>
          (await form(request)).get('grant_type') === 'refresh_token' ? tokenJson({ error: 'invalid_grant' }, { status: 400 }) : undefined,
        { once: true },
      ),
    )
    expect(await session.getAccessToken()).toBe('at-2')
    expect((await store.load())?.tokens.accessToken).toBe('at-2')
  })
})

describe('a sign-out', () => {
  it('wins over a renewal that was on its way: the new tokens are dropped, nothing is stored, and no later call brings them back', async () => {
    const clock = fakeClock()
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    msw.server.use(
      http.post(
        `${ISSUER}/token`,
        async () => (await held, tokenJson({ access_token: 'at-late', token_type: 'Bearer', expires_in: 300, refresh_token: 'rt-late' })),
      ),
    )
    const store = memoryStore()
    const session = await makeSession(clock, {
      store,
      tokens: { accessToken: 'at-0', tokenType: 'bearer', refreshToken: 'rt-0', expiresAt: clock.now() - 1, extra: {} },
    })
    const renewing = session.getAccessToken()
    await delay(10)
    await session.clear() // the user signs out while the refresh is at the server
    release()
    expect((await failure(renewing)).code).toBe('sign_in_required')
    expect(await store.load()).toBeUndefined()
    expect(session.validToken()).toBeUndefined()
    expect((await failure(session.getAccessToken())).code).toBe('sign_in_required')
    expect(msw.count('/token')).toBe(1)
  })

  it('wins when it lands while the new tokens are being saved: they are not taken', async () => {
    const clock = fakeClock()
    const inner = memoryStore()
    // The user signs out while the renewal's save is under way (the sign-out's own store clear waits for the lock).
    let signedOut: Promise<void> | undefined
    const store: TokenStore = {
      ...inner,
      save: async (tokens, version, owner) => {
        const saved = await inner.save(tokens, version, owner)
        if (tokens.accessToken === 'at-new') signedOut = manager.clear()
        return saved
      },
    }
    const manager: TokenManager = new TokenManager({
      store,
      clock,
      refresh: async () => ({
        accessToken: 'at-new',
        tokenType: 'bearer',
        refreshToken: 'rt-new',
        expiresAt: clock.now() + 300_000,
        extra: {},
      }),
    })
    await inner.save({ accessToken: 'at-0', tokenType: 'bearer', refreshToken: 'rt-0', expiresAt: clock.now() - 1, extra: {} }, undefined)
    expect((await failure(manager.getAccessToken())).code).toBe('sign_in_required')
    await signedOut
    expect(manager.validToken()).toBeUndefined()
    expect(await inner.load()).toBeUndefined()
  })
})
