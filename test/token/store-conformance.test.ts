/**
 * One store-and-lock contract (docs/fleet.md), one conformance suite: every store and lock in
 * the package runs it — memory, Web Storage, the file store and its lock file, Redis, a token
 * store over a key-value store (an MCP client's), and the in-process and per-store locks — and
 * one key-value contract, for every key-value store with compare-and-swap.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  inProcessLock,
  keyValueTokenStore,
  memoryKeyValueStore,
  memoryStore,
  webStorageStore,
  type KeyValueStore,
  type Lock,
  type TokenSet,
  type TokenStore,
} from '../../src/index.js'
import { fileKeyValueStore, fileLock, fileStore } from '../../src/entries/node.js'
import { redisLock, redisStore, type RedisClientLike } from '../../src/entries/redis.js'
import { haveRedis, startRedis, type RunningRedis } from '../support/redis-server.js'
import { failure } from '../support/msw.js'
import { MemoryStorage } from '../support/storage.js'

const EXPIRES = Date.now() + 60_000
let redis: RunningRedis | undefined
const clients: Array<{ destroy(): unknown }> = []
/** A connected node-redis client on the test's server (closed after the suite). */
async function redisClient(): Promise<RedisClientLike> {
  const client = createClient({ url: redis!.url })
  client.on('error', () => {}) // reconnection is the client's; the tests look at outcomes
  clients.push(client)
  return (await client.connect()) as unknown as RedisClientLike
}
let keys = 0
beforeAll(async () => {
  if (haveRedis) redis = await startRedis()
}, 30_000)
afterAll(async () => {
  await Promise.all(clients.map((c) => c.destroy()))
  await redis?.stop()
})

const set = (name: string): TokenSet => ({
  accessToken: `at-${name}`,
  tokenType: 'bearer',
  refreshToken: `rt-${name}`,
  expiresAt: EXPIRES,
  extra: {},
})
const dir = () => mkdtempSync(join(tmpdir(), 'oauthkit-store-'))

const STORES: Record<
  string,
  () => { store: TokenStore; corrupt?: () => void | Promise<void> } | Promise<{ store: TokenStore; corrupt?: () => void | Promise<void> }>
> = {
  memory: () => ({ store: memoryStore() }),
  'Web Storage': () => {
    const storage = new MemoryStorage()
    return { store: webStorageStore(storage, 'k'), corrupt: () => storage.setItem('k', '{"tokens":{"accessToken":42},"version":"x"}') }
  },
  file: () => {
    const path = join(dir(), 'tokens.json')
    return { store: fileStore(path), corrupt: () => writeFileSync(path, '{not json') }
  },
  'key-value (memory)': () => ({ store: keyValueTokenStore(memoryKeyValueStore(), 'oauthkit:mcp:tokens https://mcp.example/mcp') }),
  'key-value (files)': () => {
    const storage = fileKeyValueStore(dir())
    return {
      store: keyValueTokenStore(storage, 'oauthkit:mcp:tokens https://mcp.example/mcp'),
      corrupt: () => storage.set('oauthkit:mcp:tokens https://mcp.example/mcp', '{not json'),
    }
  },
  ...(haveRedis
    ? {
        Redis: async () => {
          const client = await redisClient()
          const key = `conformance-${++keys}`
          return {
            store: redisStore(client, { key }),
            corrupt: async () =>
              void (await client.eval("redis.call('HSET', KEYS[1], 'data', '{not json')", {
                keys: [`oauthkit:tokens:${key}`],
                arguments: [],
              })),
          }
        },
      }
    : {}),
}

for (const [name, make] of Object.entries(STORES)) {
  describe(`${name} store: the contract`, () => {
    it('starts empty; save is compare-and-swap from "empty"; load gives the tokens, the version and the owner', async () => {
      const { store } = await make()
      expect(await store.load()).toBeUndefined()
      const v1 = await store.save(set('1'), undefined, 'issuer client')
      expect(await store.load()).toEqual({ tokens: set('1'), version: v1, owner: 'issuer client' })
      expect((await failure(store.save(set('x'), undefined))).code).toBe('store_conflict')
      expect((await store.load())?.tokens.accessToken).toBe('at-1')
    })

    it('a stale version loses; the current one wins and moves on', async () => {
      const { store } = await make()
      const v1 = await store.save(set('1'), undefined)
      const v2 = await store.save(set('2'), v1)
      expect(v2).not.toBe(v1)
      expect((await failure(store.save(set('late'), v1))).code).toBe('store_conflict')
      expect((await store.load())?.tokens.accessToken).toBe('at-2')
    })

    it("of three writers from the same version, exactly one wins (under the store's own lock, where it has one)", async () => {
      const { store } = await make()
      const v1 = await store.save(set('1'), undefined)
      const guarded = (f: () => Promise<number>) => (store.lock ? store.lock.run('save', f) : f())
      const results = await Promise.allSettled(['a', 'b', 'c'].map((n) => guarded(() => store.save(set(n), v1))))
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      const winner = (await store.load())!.tokens.accessToken
      expect(['at-a', 'at-b', 'at-c']).toContain(winner)
    })

    it("clear(version) is compare-and-delete: the loser of a race never deletes the winner's tokens; clear() removes what is there", async () => {
      const { store } = await make()
      const v1 = await store.save(set('1'), undefined)
      const v2 = await store.save(set('2'), v1)
      expect((await failure(store.clear(v1))).code).toBe('store_conflict')
      expect((await store.load())?.tokens.accessToken).toBe('at-2')
      await store.clear(v2)
      expect(await store.load()).toBeUndefined()
      await store.save(set('3'), undefined)
      await store.clear()
      expect(await store.load()).toBeUndefined()
    })

    it('a DPoP key, where the store keeps one (file, Redis): of concurrent first writers one stays, and every one of them reads it', async () => {
      const { store } = await make()
      const keys = store.keys
      if (!keys?.setOnce) return expect(['memory', 'Web Storage', 'key-value (memory)', 'key-value (files)']).toContain(name)
      expect(await keys.get('dpop')).toBeUndefined()
      const stored = await Promise.all(['a', 'b', 'c', 'd'].map((v) => keys.setOnce!('dpop', `{"key":"${v}"}`)))
      expect(new Set(stored).size).toBe(1)
      expect(['{"key":"a"}', '{"key":"b"}', '{"key":"c"}', '{"key":"d"}']).toContain(stored[0])
      expect(await keys.get('dpop')).toBe(stored[0])
      // The key outlives a sign-out: tokens come and go, the fleet's key stays.
      await store.clear()
      expect(await keys.setOnce('dpop', '{"key":"later"}')).toBe(stored[0])
      // A plain set replaces, and removes; other keys are their own.
      await keys.set('other', '{"n":1}')
      expect(await keys.get('other')).toBe('{"n":1}')
      expect(await keys.get('dpop')).toBe(stored[0])
      await keys.set('other', undefined)
      expect(await keys.get('other')).toBeUndefined()
    })

    it('something malformed where the tokens are is no tokens, and a save replaces it', async () => {
      const { store, corrupt } = await make()
      if (!corrupt) return // a memory store holds only what was saved
      await store.save(set('1'), undefined)
      await corrupt()
      expect(await store.load()).toBeUndefined()
      await store.save(set('2'), undefined)
      expect((await store.load())?.tokens.accessToken).toBe('at-2')
    })
  })
}

/** Key-value stores with compare-and-swap, each made twice over the same data: two processes, as far as the store can tell. */
const KEY_VALUES: Record<string, () => [KeyValueStore, KeyValueStore] | Promise<[KeyValueStore, KeyValueStore]>> = {
  memory: () => {
    const storage = memoryKeyValueStore()
    return [storage, storage]
  },
  files: () => {
    const folder = dir()
    return [fileKeyValueStore(folder), fileKeyValueStore(folder)]
  },
  "a file store's keys": () => {
    const path = join(dir(), 'tokens.json')
    return [fileStore(path).keys!, fileStore(path).keys!]
  },
  ...(haveRedis
    ? {
        "Redis store's keys": async (): Promise<[KeyValueStore, KeyValueStore]> => {
          const key = `conformance-kv-${++keys}`
          return [redisStore(await redisClient(), { key }).keys!, redisStore(await redisClient(), { key }).keys!]
        },
      }
    : {}),
}

for (const [name, make] of Object.entries(KEY_VALUES)) {
  describe(`${name} key-value store: compare-and-swap`, () => {
    // A file store's keys are letters, digits and -; the others take any text (an MCP client's keys are URLs).
    const key = name.includes('file store') ? 'registration-1' : 'oauthkit:mcp:client https://auth.example/'

    it('swap creates from "absent", replaces only what it expects, removes with undefined', async () => {
      const [a, b] = await make()
      expect(await a.swap!(key, undefined, '{"n":1}')).toBe(true)
      expect(await b.get(key)).toBe('{"n":1}')
      expect(await b.swap!(key, undefined, '{"n":2}')).toBe(false)
      expect(await b.swap!(key, '{"n":0}', '{"n":2}')).toBe(false)
      expect(await b.swap!(key, '{"n":1}', '{"n":2}')).toBe(true)
      expect(await a.swap!(key, '{"n":2}', undefined)).toBe(true)
      expect(await a.get(key)).toBeUndefined()
    })

    it('of concurrent swaps from one value, by two holders, exactly one wins', async () => {
      const [a, b] = await make()
      await a.set(key, '{"v":0}')
      const won = await Promise.all([a, b, a, b].map((s, i) => s.swap!(key, '{"v":0}', `{"v":${i + 1}}`)))
      expect(won.filter(Boolean)).toHaveLength(1)
      expect(await a.get(key)).toBe(`{"v":${won.indexOf(true) + 1}}`)
    })

    it('clear() without a version removes what is there, though another holder wrote between its read and its swap', async () => {
      const [a] = await make()
      await keyValueTokenStore(a, key).save(set('1'), undefined)
      let raced = false
      // Another holder writes just before this one's first swap.
      const racing: KeyValueStore = {
        get: (k) => a.get(k),
        set: (k, v) => a.set(k, v),
        swap: async (k, expected, value) => {
          if (!raced) await a.set(k, JSON.stringify({ tokens: set('2'), version: 2 }))
          raced = true
          return a.swap!(k, expected, value)
        },
      }
      await keyValueTokenStore(racing, key).clear()
      expect(await keyValueTokenStore(a, key).load()).toBeUndefined()
    })

    it('two token stores over it, saving from the same version at once: exactly one wins, and the other is told', async () => {
      const [a, b] = await make()
      const [one, two] = [keyValueTokenStore(a, key), keyValueTokenStore(b, key)]
      const v1 = await one.save(set('1'), undefined)
      const results = await Promise.allSettled([one.save(set('a'), v1), two.save(set('b'), v1), two.save(set('c'), v1)])
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('store_conflict')
    })
  })
}

/** Runs two tasks under one lock name and records whether they ever overlapped. */
async function overlapOf(lock: Lock, other: Lock = lock): Promise<boolean> {
  let inside = 0
  let overlapped = false
  const task = async () => {
    if (++inside > 1) overlapped = true
    await new Promise((resolve) => setTimeout(resolve, 30))
    inside--
  }
  await Promise.all([lock.run('x', task), other.run('x', task), lock.run('x', task)])
  return overlapped
}

const LOCKS: Record<string, () => [Lock, Lock] | Promise<[Lock, Lock]>> = {
  'in-process': () => {
    const lock = inProcessLock()
    return [lock, lock]
  },
  'lock file': () => {
    const path = join(dir(), 'tokens.json.lock')
    return [fileLock(path), fileLock(path)]
  },
  "a file store's own lock": () => {
    const path = join(dir(), 'tokens.json')
    return [fileStore(path).lock!, fileStore(path).lock!]
  },
  ...(haveRedis
    ? {
        // Two clients: two processes, as far as Redis can tell.
        'Redis lock': async (): Promise<[Lock, Lock]> => {
          const key = `conformance-lock-${++keys}`
          return [redisLock(await redisClient(), { key }), redisLock(await redisClient(), { key })]
        },
      }
    : {}),
}

for (const [name, make] of Object.entries(LOCKS)) {
  describe(`${name} lock: the contract`, () => {
    it('excludes: tasks under one name never overlap, whoever holds it', async () => {
      const [a, b] = await make()
      expect(await overlapOf(a, b)).toBe(false)
    })

    it('is released however the task ends, and passes its result or error through', async () => {
      const [lock] = await make()
      await expect(lock.run('x', async () => Promise.reject(new Error('task failed')))).rejects.toThrow('task failed')
      expect(await lock.run('x', async () => 42)).toBe(42)
    })
  })
}

describe('the lock file', () => {
  it("is released only by its owner: another holder's file stays", async () => {
    const path = join(dir(), 'l.lock')
    const lock = fileLock(path, { timeout: 200 })
    let seen = ''
    await lock.run('x', async () => {
      seen = readFileSync(path, 'utf8')
      // Someone else's claim replaces ours while we hold it (a lease ran out): ours must not remove theirs.
      writeFileSync(path, JSON.stringify({ pid: process.pid, owner: 'someone-else', expiresAt: Date.now() + 60_000 }))
    })
    expect(JSON.parse(seen)).toMatchObject({ pid: process.pid, owner: expect.any(String) })
    expect(JSON.parse(readFileSync(path, 'utf8')).owner).toBe('someone-else')
  })

  it("a dead holder's file (its process was killed) is recovered at once; an expired lease too", async () => {
    const path = join(dir(), 'l.lock')
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    writeFileSync(path, JSON.stringify({ pid: child.pid, owner: 'killed', expiresAt: Date.now() + 60_000 }))
    child.kill('SIGKILL')
    await new Promise((resolve) => child.on('exit', resolve))
    const started = Date.now()
    expect(await fileLock(path, { timeout: 5_000 }).run('x', async () => 'got it')).toBe('got it')
    expect(Date.now() - started).toBeLessThan(4_000) // recovered, not waited out
    writeFileSync(path, JSON.stringify({ pid: process.pid, owner: 'hung', expiresAt: Date.now() - 1 }))
    expect(await fileLock(path, { timeout: 5_000 }).run('x', async () => 'again')).toBe('again')
  })

  it('a live holder that never lets go: after the timeout the waiter runs its task without the lock, rather than fail', async () => {
    const path = join(dir(), 'l.lock')
    writeFileSync(path, JSON.stringify({ pid: process.pid, owner: 'forever', expiresAt: Date.now() + 60_000 }))
    expect(await fileLock(path, { timeout: 300 }).run('x', async () => 'ran')).toBe('ran')
    expect(JSON.parse(readFileSync(path, 'utf8')).owner).toBe('forever')
  })
})

describe.runIf(haveRedis)('the Redis lock', () => {
  it('a key planted without a TTL, or with a ten-year one, is cut to the lease: the lock is had within it, not after the timeout', async () => {
    const raw = createClient({ url: redis!.url })
    await raw.connect()
    try {
      for (const [n, planted] of [
        [1, () => raw.set('oauthkit:lock:planted-1:refresh', 'attacker')],
        [2, () => raw.set('oauthkit:lock:planted-2:refresh', 'attacker', { expiration: { type: 'PX', value: 10 * 365 * 86_400_000 } })],
      ] as const) {
        await planted()
        let during: string | null = null
        await redisLock(await redisClient(), { key: `planted-${n}`, lease: 300, timeout: 20_000 }).run('refresh', async () => {
          during = await raw.get(`oauthkit:lock:planted-${n}:refresh`)
        })
        // The task ran holding the lock (its own owner in the key), not without it after the timeout.
        expect(during).not.toBeNull()
        expect(during).not.toBe('attacker')
      }
    } finally {
      raw.destroy()
    }
  })
})

describe('Redis out of reach', () => {
  const down: RedisClientLike = {
    isReady: false,
    eval: () => new Promise(() => {}), // a disconnected node-redis client queues commands: never answered here
    hGetAll: () => new Promise(() => {}),
  }

  it('the store answers at once with persist_failed (recovery retry), instead of waiting for a reconnection', async () => {
    const store = redisStore(down, { key: 'x' })
    for (const call of [store.load(), store.save(set('1'), undefined), store.clear(1)])
      expect(await failure(call)).toMatchObject({ code: 'persist_failed', recovery: 'retry' })
  })

  it('the lock runs the task at once without Redis, rather than fail or wait', async () => {
    expect(await redisLock(down, { key: 'x' }).run('r', async () => 'ran')).toBe('ran')
    const failing: RedisClientLike = { ...down, isReady: true, eval: () => Promise.reject(new Error('connection reset')) }
    expect(await redisLock(failing, { key: 'x' }).run('r', async () => 'ran too')).toBe('ran too')
  })
})
