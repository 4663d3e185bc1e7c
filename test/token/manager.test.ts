/**
 * TokenManager: renewal ahead of expiry, single flight, rotation, the store re-read on
 * invalid_grant, events, the background timer, and the coordinator (TokenControl) under the one
 * lock.
 */
import { delay } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { createOAuthClient, memoryStore, TokenManager, type TokenControl, type TokenSet, type TokenStore } from '../../src/index.js'
import { metadata } from '../support/as-mock.js'
import { fakeClock, form, useStrictMsw, failure } from '../support/msw.js'
import { expired, makeSession, world as sessionWorld } from '../support/session-world.js'

const msw = useStrictMsw()

const world = (options?: Parameters<typeof sessionWorld>[1]) => sessionWorld(msw, options)

describe('a coordinator (the browser tabs) and the one lock', () => {
  const set = (accessToken: string, clock: { now(): number }): TokenSet => ({
    accessToken,
    tokenType: 'bearer',
    refreshToken: `r-${accessToken}`,
    expiresAt: clock.now() + 300_000,
    extra: {},
  })

  it('adopting what another holder announced waits for the lock, and loses to a sign-out that came meanwhile', async () => {
    const clock = fakeClock()
    let release!: () => void
    let control!: TokenControl
    const manager = new TokenManager({
      clock,
      coordinator: (c) => (control = c),
      obtain: () => new Promise((resolve) => (release = () => resolve(set('mine', clock)))),
    })
    const renewing = manager.getAccessToken()
    await delay(5)
    // Another tab's renewal is announced while this one renews: it is taken after this renewal, under the lock.
    const adopted = control.adopt(set('theirs', clock))
    release()
    expect(await renewing).toBe('mine')
    await adopted
    expect(manager.validToken()).toBe('theirs')

    // An announcement that arrives before a sign-out but waits for the lock meanwhile is dropped.
    const renewingAgain = (manager.invalidate('theirs'), manager.getAccessToken())
    await delay(5)
    const late = control.adopt(set('late', clock))
    const signedOut = manager.clear()
    release()
    await Promise.allSettled([renewingAgain, late, signedOut])
    expect(manager.validToken()).toBeUndefined()
    expect(await control.peek()).toBeUndefined()
  })

  it('forgetting a dead grant runs under the lock: a renewal under way finishes first, and a newer sign-in stays', async () => {
    const clock = fakeClock()
    let control!: TokenControl
    const store = memoryStore()
    const manager = new TokenManager({ clock, store, coordinator: (c) => (control = c) })
    await manager.setTokens(set('one', clock))
    await control.forget((t) => t.accessToken === 'other')
    expect(manager.validToken()).toBe('one')
    await control.forget((t) => t.accessToken === 'one')
    expect(manager.validToken()).toBeUndefined()
    expect(await store.load()).toBeUndefined()
  })

  it("TokenManager's public methods are a caller's: peeking, adopting and forgetting are the coordinator's only", () => {
    const methods = Object.getOwnPropertyNames(TokenManager.prototype).filter((name) => name !== 'constructor')
    expect(methods.sort()).toEqual(['clear', 'close', 'getAccessToken', 'getTokens', 'invalidate', 'on', 'setTokens', 'validToken'])
  })
})

describe('token manager', () => {
  it('refreshes ahead of expiry by the skew, but never more than half a short lifetime', async () => {
    const clock = fakeClock()
    const w = world({ lifetime: 30 })
    const session = await makeSession(clock, { grant: 'client_credentials' })
    await session.getAccessToken()
    clock.advance(14_000)
    await session.getAccessToken()
    expect(w.tokenCalls()).toBe(1)
    clock.advance(1_001) // 15 s before expiry: half the 30 s lifetime
    await session.getAccessToken()
    expect(w.tokenCalls()).toBe(2)
  })

  it('uses the default 60 s skew for long-lived tokens', async () => {
    const clock = fakeClock()
    const w = world({ lifetime: 3600 })
    const session = await makeSession(clock, { grant: 'client_credentials' })
    await session.getAccessToken()
    clock.advance(3539_000)
    await session.getAccessToken()
    expect(w.tokenCalls()).toBe(1)
    clock.advance(2_000)
    await session.getAccessToken()
    expect(w.tokenCalls()).toBe(2)
  })

  it('client_credentials runs the grant again with the same parameters, or refreshes when it got a refresh token', async () => {
    const clock = fakeClock()
    const w = world({ lifetime: 10 })
    const session = await makeSession(clock, {
      grant: 'client_credentials',
      scope: 'read',
      audience: 'https://api',
      resource: 'https://api.example.com',
    })
    await session.getAccessToken()
    clock.advance(20_000)
    await session.getAccessToken()
    expect(w.grants).toEqual(['client_credentials', 'refresh_token'])
    const sent = await form(msw.requests[1]!)
    expect([sent.get('scope'), sent.get('audience'), sent.get('resource')]).toEqual(['read', 'https://api', 'https://api.example.com'])
  })

  it('a rotated-out refresh token is never sent again, even when the store failed', async () => {
    const clock = fakeClock()
    const w = world()
    let failSave = false
    const inner = memoryStore()
    const flaky: TokenStore = {
      load: () => inner.load(),
      save: async (t, v) => {
        if (failSave) {
          failSave = false
          throw new Error('disk full')
        }
        return inner.save(t, v)
      },
      clear: () => inner.clear(),
    }
    const manager = await makeSession(clock, { store: flaky })
    await manager.setTokens(expired(clock))
    failSave = true
    const err = await failure(manager.getAccessToken())
    expect(err.code).toBe('persist_failed')
    expect(w.grants).toEqual(['refresh_token'])
    const token = await manager.getAccessToken()
    expect(token).toBe('at-1')
    expect(w.grants).toEqual(['refresh_token'])
    expect((await inner.load())?.tokens.refreshToken).toBe('rt-1')
  })

  it('on invalid_grant re-reads the store once (another process rotated it) before asking for sign-in', async () => {
    const clock = fakeClock()
    const w = world()
    const shared = memoryStore()
    // Another process already refreshed rt-0 → rt-1 and stored it; our first read was older.
    await shared.save(expired(clock), undefined)
    let firstLoad = true
    const racy: TokenStore = {
      load: async () => {
        if (firstLoad) {
          firstLoad = false
          const other = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), clock })
          const rotated = await other.refreshGrant('rt-0')
          const before = await shared.load()
          await shared.save(rotated, before!.version)
          return before
        }
        return shared.load()
      },
      save: (t, v) => shared.save(t, v),
      clear: () => shared.clear(),
    }
    const manager = new TokenManager({
      store: racy,
      clock,
      refresh: async (rt) =>
        (await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), clock })).refreshGrant(rt),
    })
    const signIn = vi.fn()
    manager.on('sign-in-required', signIn)
    expect(await manager.getAccessToken()).toBe('at-1')
    expect(signIn).not.toHaveBeenCalled()
    expect(w.grants).toEqual(['refresh_token', 'refresh_token']) // the other process's, then our refused one
  })

  it('reports sign-in required when the refresh token is gone and nothing newer is stored', async () => {
    const clock = fakeClock()
    world()
    const session = await makeSession(clock, { tokens: { ...expired(clock), refreshToken: 'rt-unknown' } })
    const events: string[] = []
    session.on('sign-in-required', (e) => events.push(e.code))
    const err = await failure(session.getAccessToken())
    expect(err).toMatchObject({ code: 'sign_in_required', recovery: 'reauthenticate' })
    expect(events).toEqual(['sign_in_required'])
  })

  it('emits tokens changed, and a failing listener surfaces as an error', async () => {
    const clock = fakeClock()
    world()
    const session = await makeSession(clock, { grant: 'client_credentials' })
    const seen: string[] = []
    const off = session.on('tokens', (t) => void seen.push(t.accessToken))
    await session.getAccessToken()
    expect(seen).toEqual(['at-1'])
    off()
    session.on('tokens', () => {
      throw new Error('could not persist')
    })
    session.invalidate('at-1')
    expect((await failure(session.getAccessToken())).code).toBe('persist_failed')
  })

  it('refresh-failed is emitted for a failure that is not a lost grant, once the retries are spent', async () => {
    const clock = fakeClock()
    world({ failTokenRequests: 5 })
    const session = await makeSession(clock, { grant: 'client_credentials' })
    const failed = vi.fn()
    session.on('refresh-failed', failed)
    await session.getAccessToken().catch(() => {})
    expect(failed).toHaveBeenCalledOnce()
  })

  it('invalidate marks a token bad only if it is still the current one', async () => {
    world()
    const session = await makeSession(fakeClock(), { grant: 'client_credentials' })
    const token = await session.getAccessToken()
    expect(session.invalidate('some-old-token')).toBe(false)
    expect(session.invalidate(token)).toBe(true)
    expect(await session.getAccessToken()).not.toBe(token)
  })

  it('the background timer never overflows setTimeout and never keeps the process alive', async () => {
    const clock = fakeClock()
    const timers: Array<{ delay: number; unref: boolean }> = []
    const realSetTimeout = globalThis.setTimeout
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const handle = realSetTimeout(fn, 0x7fffffff)
      const entry = { delay: ms ?? 0, unref: false }
      timers.push(entry)
      const original = handle.unref.bind(handle)
      handle.unref = () => ((entry.unref = true), original())
      return handle
    }) as typeof setTimeout)
    try {
      const manager = new TokenManager({ clock, backgroundRefresh: true })
      await manager.setTokens({ accessToken: 'a', tokenType: 'bearer', expiresAt: clock.now() + 365 * 24 * 3600 * 1000, extra: {} })
      manager.close()
    } finally {
      spy.mockRestore()
    }
    expect(timers).toHaveLength(1)
    expect(timers[0]!.delay).toBeLessThanOrEqual(2_147_483_647)
    expect(timers[0]!.unref).toBe(true)
  })

  it('the background timer renews a token ahead of expiry without any caller (real timers)', async () => {
    const w = world({ lifetime: 1 })
    const client = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata() })
    const session = client.session({ grant: 'client_credentials', backgroundRefresh: true })
    const first = await session.getAccessToken()
    // 1 s lifetime: renewal is due after half of it; nobody calls meanwhile.
    await expect.poll(() => w.tokenCalls(), { timeout: 15_000, interval: 50 }).toBe(2)
    expect(session.validToken()).not.toBe(first)
    session.close()
  })

  it('the request path reads the cached token without a token request or a store read', async () => {
    world()
    const inner = memoryStore()
    let loads = 0
    const counting: TokenStore = {
      ...inner,
      load: () => (loads++, inner.load()),
      save: (t, v) => inner.save(t, v),
      clear: () => inner.clear(),
    }
    const session = await makeSession(fakeClock(), { grant: 'client_credentials', store: counting })
    await session.getAccessToken()
    const before = loads
    for (let i = 0; i < 100; i++) await session.getAccessToken()
    expect(loads).toBe(before)
    expect(msw.count('/token')).toBe(1)
  })
})
