import { http } from 'msw'
import { describe, expect, it } from 'vitest'
import { TokenManager, inProcessLock, isOAuthKitError, memoryStore, webStorageStore, type TokenSet } from '../../src/index.js'
import { ISSUER, tokenJson } from '../support/as-mock.js'
import { fakeClock, useStrictMsw } from '../support/msw.js'
import { MemoryStorage } from '../support/storage.js'

const msw = useStrictMsw()
const set = (n: number, expiresAt?: number): TokenSet => ({
  accessToken: `at-${n}`,
  tokenType: 'bearer',
  refreshToken: `rt-${n}`,
  extra: {},
  ...(expiresAt ? { expiresAt } : {}),
})

describe('webStorageStore', () => {
  it('round-trips under its key with compare-and-swap, and clears', async () => {
    const storage = new MemoryStorage()
    const store = webStorageStore(storage, 'my.tokens')
    expect(await store.load()).toBeUndefined()
    expect(await store.save(set(1), undefined)).toBe(1)
    expect(JSON.parse(storage.getItem('my.tokens')!)).toEqual({ tokens: set(1), version: 1 })
    const conflict = await store.save(set(2), 0).catch((e: unknown) => e)
    expect(isOAuthKitError(conflict) && conflict.code).toBe('store_conflict')
    await store.clear()
    expect(storage.length).toBe(0)
  })

  it('ignores a value that is not a stored token set', async () => {
    const storage = new MemoryStorage()
    storage.setItem('oauthkit.tokens', '{"hello":1}')
    expect(await webStorageStore(storage).load()).toBeUndefined()
    storage.setItem('oauthkit.tokens', 'not json')
    expect(await webStorageStore(storage).load()).toBeUndefined()
  })
})

describe('the lock seam', () => {
  it('two managers sharing a store and a lock renew once between them', async () => {
    const clock = fakeClock()
    let calls = 0
    msw.server.use(
      http.post(`${ISSUER}/token`, () => {
        calls++
        return tokenJson({ access_token: `at-new`, token_type: 'bearer', refresh_token: 'rt-new', expires_in: 300 })
      }),
    )
    const store = memoryStore()
    await store.save(set(0, clock.now() - 1), undefined)
    const lock = inProcessLock()
    const refresh = async (rt: string): Promise<TokenSet> => {
      const res = await fetch(`${ISSUER}/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt }),
      })
      const body = (await res.json()) as { access_token: string; refresh_token: string; expires_in: number }
      return {
        accessToken: body.access_token,
        tokenType: 'bearer',
        refreshToken: body.refresh_token,
        expiresAt: clock.now() + body.expires_in * 1000,
        extra: {},
      }
    }
    const a = new TokenManager({ store, lock, clock, refresh })
    const b = new TokenManager({ store, lock, clock, refresh })
    const tokens = await Promise.all([a.getAccessToken(), b.getAccessToken(), a.getAccessToken(), b.getAccessToken()])
    expect(tokens).toEqual(['at-new', 'at-new', 'at-new', 'at-new'])
    expect(calls).toBe(1)
  })

  it('the in-process lock runs tasks for one name one at a time, and survives a failing task', async () => {
    const lock = inProcessLock()
    const order: string[] = []
    const task =
      (name: string, fail = false) =>
      async () => {
        order.push(`start ${name}`)
        await new Promise((r) => setTimeout(r, 5))
        order.push(`end ${name}`)
        if (fail) throw new Error(name)
        return name
      }
    const results = await Promise.allSettled([lock.run('x', task('1', true)), lock.run('x', task('2')), lock.run('y', task('3'))])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled'])
    expect(order.indexOf('end 1')).toBeLessThan(order.indexOf('start 2'))
    expect(order.indexOf('start 3')).toBeLessThan(order.indexOf('end 1'))
  })
})
