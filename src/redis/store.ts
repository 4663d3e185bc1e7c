// `oauthkit/redis`: a token store and a lock on Redis, for fleets of processes and machines
// (docs/fleet.md). oauthkit imports no Redis client: it uses the one you connected (node-redis,
// the `redis` package, is the one tested), through the few commands below.
import { OAuthKitError } from '../errors.js'
import { polledLock, type Lock } from '../token/lock.js'
import { storeConflict, storedTokens, type TokenStore } from '../token/store.js'
import type { KeyValueStore } from '../types.js'

/** The commands oauthkit/redis uses, as a connected node-redis client (`createClient()` from `redis`) has them. */
export interface RedisClientLike {
  /** False while the client is not connected (node-redis): the lock then runs without Redis at once. */
  readonly isReady?: boolean
  /** `EVAL` (the lock, compare-and-swap, compare-and-delete, the owner-checked release). */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  /** `HGETALL` (load). */
  hGetAll(key: string): Promise<Record<string, string>>
}

/** Options of redisStore: the key's name and how long an untouched set lives. */
export interface RedisStoreOptions {
  /** The key, namespaced under `oauthkit:tokens:`. Default `default`; one per configuration. */
  key?: string
  /** Milliseconds an untouched token set lives (its TTL, renewed at every save). Default 30 days. */
  ttl?: number
}

// Compare-and-swap and compare-and-delete, each one atomic script on a hash {version, data,
// owner}. A hash whose data is no token set counts as empty (as load reads it).
const CURRENT = `local v = redis.call('HGET', KEYS[1], 'version') or ''
local d = redis.call('HGET', KEYS[1], 'data')
local ok, t = pcall(cjson.decode, d or '')
if not ok or type(t) ~= 'table' or type(t.accessToken) ~= 'string' then v = '' end
`
const SAVE = `${CURRENT}if v ~= ARGV[1] then return {0, v} end
local n = tostring((tonumber(v) or 0) + 1)
redis.call('HSET', KEYS[1], 'version', n, 'data', ARGV[2], 'owner', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {1, n}`
const CLEAR = `${CURRENT}if ARGV[1] ~= '' and v ~= ARGV[1] then return {0, v} end
redis.call('DEL', KEYS[1])
return {1, v}`

const asVersion = (v: unknown) => (v === '' || v === undefined ? undefined : Number(v))

/** A Redis command failed: the store is unreachable for now (recovery: retry). */
function unreachable(err: unknown): OAuthKitError {
  return new OAuthKitError('persist_failed', 'the Redis token store did not answer: its tokens are out of reach for now', { cause: err })
}

/**
 * A token store on Redis, shared by every process that uses the same key: a hash holding the
 * version, the token set and its owner stamp, written by one atomic script (compare-and-swap)
 * and removed by another (compare-and-delete), with a TTL renewed at every save. Its lock is a
 * redisLock on the same client.
 *
 * @example
 * import { createClient } from 'redis'
 * import { redisStore } from 'oauthkit/redis'
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect()
 * const session = client.session({ grant: 'client_credentials', store: redisStore(redis, { key: 'billing-api' }) })
 */
export function redisStore(client: RedisClientLike, options: RedisStoreOptions = {}): TokenStore {
  const key = `oauthkit:tokens:${options.key ?? 'default'}`
  const ttl = options.ttl ?? 30 * 86_400_000
  // A client that is not connected would queue the command until it is: answer at once instead.
  const ready = () => {
    if (client.isReady === false) throw unreachable(new Error('the Redis client is not connected'))
  }
  const run = async <T = [number, string]>(script: string, args: string[], keys = [key]): Promise<T> => {
    ready()
    try {
      return (await client.eval(script, { keys, arguments: args })) as T
    } catch (err) {
      throw unreachable(err)
    }
  }
  return {
    lock: redisLock(client, { key: options.key ?? 'default' }),
    keys: redisKeys(run, options.key ?? 'default'),
    async load() {
      let hash: Record<string, string>
      ready()
      try {
        hash = await client.hGetAll(key)
      } catch (err) {
        throw unreachable(err)
      }
      if (!hash?.data) return undefined
      try {
        return storedTokens({ tokens: JSON.parse(hash.data), version: Number(hash.version), ...(hash.owner ? { owner: hash.owner } : {}) })
      } catch {
        return undefined
      }
    },
    async save(tokens, expectedVersion, owner) {
      const [ok, version] = await run(SAVE, [
        expectedVersion === undefined ? '' : String(expectedVersion),
        JSON.stringify(tokens),
        owner ?? '',
        String(ttl),
      ])
      if (!ok) throw storeConflict(asVersion(version), expectedVersion)
      return Number(version)
    },
    async clear(expectedVersion) {
      const [ok, version] = await run(CLEAR, [expectedVersion === undefined ? '' : String(expectedVersion)])
      if (!ok) throw storeConflict(asVersion(version), expectedVersion)
    },
  }
}

/**
 * What the fleet shares besides its tokens (its DPoP key; an MCP client's registrations and
 * tokens), under `oauthkit:<key>:<store key>`: set once (NX), read by every process, swapped by
 * a script; no expiry (tokens bound to a key live on).
 */
function redisKeys(run: <T>(script: string, args: string[], keys?: string[]) => Promise<T>, name: string): KeyValueStore {
  const at = (k: string) => [`oauthkit:${k}:${name}`]
  return {
    get: async (k) => (await run<string | null>("return redis.call('GET', KEYS[1])", [], at(k))) ?? undefined,
    set: async (k, value) =>
      void (await (value === undefined
        ? run("return redis.call('DEL', KEYS[1])", [], at(k))
        : run("return redis.call('SET', KEYS[1], ARGV[1])", [value], at(k)))),
    setOnce: async (k, value) =>
      run<string>("redis.call('SET', KEYS[1], ARGV[1], 'NX')\nreturn redis.call('GET', KEYS[1])", [value], at(k)),
    swap: async (k, expected, value) =>
      (await run<number>(
        SWAP,
        [expected === undefined ? '0' : '1', expected ?? '', value === undefined ? '0' : '1', value ?? ''],
        at(k),
      )) === 1,
  }
}

/** Options of redisLock: the key's name, the lease, and how long a waiter waits. */
export interface RedisLockOptions {
  /** The lock key, namespaced under `oauthkit:lock:`. */
  key?: string
  /** Milliseconds the holder's claim lasts (`PX`); a holder that died frees it then. Default 45 000. */
  lease?: number
  /** Milliseconds a waiter waits before running its task without the lock. Default 60 000. */
  timeout?: number
}

// Compare-and-swap of one value: ARGV = has-expected, expected, has-value, value.
const SWAP = `local current = redis.call('GET', KEYS[1])
if (current == false and ARGV[1] == '0') or (current ~= false and ARGV[1] == '1' and current == ARGV[2]) then
  if ARGV[3] == '1' then redis.call('SET', KEYS[1], ARGV[4]) else redis.call('DEL', KEYS[1]) end
  return 1
end
return 0`

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

// Takes the lock (SET NX PX lease); when it is busy, a claim longer than the lease — a key
// planted without a TTL or with a ten-year one — is cut down to the lease, so no claim outlives it.
const TAKE = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
local left = redis.call('PTTL', KEYS[1])
if left == -1 or left > tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`

/**
 * A lock on Redis: taken with `SET key owner NX PX lease` (a claim found longer than the lease,
 * planted or left without a TTL, is cut to it), released by a script that deletes it
 * only if it still names its owner; waiters poll with backoff (25 ms to 250 ms). When Redis is
 * unreachable (the client is not ready, or a command fails), or the lock is not had within
 * `timeout`, the task runs without it rather than fail (docs/fleet.md).
 *
 * @example
 * const lock = redisLock(redis, { key: 'billing-api' })
 */
export function redisLock(client: RedisClientLike, options: RedisLockOptions = {}): Lock {
  const lease = options.lease ?? 45_000
  const timeout = options.timeout ?? 60_000
  return {
    run<T>(name: string, task: () => Promise<T>): Promise<T> {
      const key = `oauthkit:lock:${options.key ?? 'default'}:${name}`
      const owner = `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`
      const take = async () =>
        client.isReady === false
          ? 'down'
          : Number(await client.eval(TAKE, { keys: [key], arguments: [owner, String(lease)] })) === 1
            ? 'held'
            : 'busy'
      return polledLock(take, async () => void (await client.eval(RELEASE, { keys: [key], arguments: [owner] })), task, {
        timeout,
        maxWait: 250,
      })
    },
  }
}
