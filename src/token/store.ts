import { OAuthKitError } from '../errors.js'
import type { KeyValueStore, TokenSet } from '../types.js'

export type { KeyValueStore }
import { isTokenSet } from '../wire/token.js'
import type { Lock } from './lock.js'

/**
 * A token set as a store holds it, with the version used for compare-and-swap, and what it belongs to.
 *
 * @group Tokens and sessions
 */
export interface StoredTokens {
  tokens: TokenSet
  version: number
  /**
   * What the tokens belong to (the issuer, the client, and for machine-to-machine tokens the
   * scope, resource and audience), as the session that saved them stamped them: a session with
   * another stamp treats them as absent, so a store shared by two configurations never hands
   * one's tokens to the other.
   */
  owner?: string
}

/**
 * Where a session keeps its tokens (the contract: docs/fleet.md; every store in the package
 * passes one conformance suite). Every method is async so that a store can be a file, a
 * database or Redis.
 *
 * - `save` is compare-and-swap: it succeeds only when the stored version is still
 *   `expectedVersion` (`undefined` meaning "empty"), and returns the new version; on a
 *   mismatch it throws an OAuthKitError with code `store_conflict`.
 * - `clear(expectedVersion)` is compare-and-delete: it removes the tokens only if they are
 *   still that version (`store_conflict` otherwise), so the loser of a race never deletes the
 *   winner's fresh tokens. `clear()` removes whatever is there (a sign-out).
 * - `lock`, when a store has one, is the lock its sessions use by default: shared by every
 *   process the store is shared with (a lock file beside a token file, a Redis lock).
 * - `keys`, when a store has them, is what the processes sharing it share besides their
 *   tokens: the DPoP key (`createDPoP({ store })`, under `dpop`), set once by the first
 *   process — tokens bound to a key are only good with that key.
 *
 * @group Tokens and sessions
 */
export interface TokenStore {
  /** The stored tokens, their version and owner; undefined when there are none (or nothing readable). */
  load(): Promise<StoredTokens | undefined>
  /** Compare-and-swap: saves if the stored version is still `expectedVersion`; returns the new version. */
  save(tokens: TokenSet, expectedVersion: number | undefined, owner?: string): Promise<number>
  /** Compare-and-delete with a version; without one, removes whatever is there. */
  clear(expectedVersion?: number): Promise<void>
  readonly lock?: Lock
  readonly keys?: KeyValueStore
}

/** A stored record read from outside (a file, Web Storage, Redis), checked: anything malformed is no tokens. */
export function storedTokens(value: unknown): StoredTokens | undefined {
  const v = value as Partial<StoredTokens> | null
  if (!v || !isTokenSet(v.tokens) || !Number.isSafeInteger(v.version)) return undefined
  return { tokens: v.tokens, version: v.version as number, ...(typeof v.owner === 'string' ? { owner: v.owner } : {}) }
}

export function storeConflict(found: number | undefined, expected: number | undefined): OAuthKitError {
  return new OAuthKitError(
    'store_conflict',
    `token store changed underneath: expected version ${expected ?? 'empty'}, found ${found ?? 'empty'}`,
  )
}

/**
 * The default store: memory only, lost with the process or page. The safest choice in a browser.
 *
 * @example
 * const session = client.session({ grant: 'client_credentials', store: memoryStore() })
 *
 * @group Tokens and sessions
 */
export function memoryStore(initial?: TokenSet): TokenStore {
  let current: StoredTokens | undefined = initial ? { tokens: initial, version: 1 } : undefined
  return {
    async load() {
      return current
    },
    async save(tokens, expectedVersion, owner) {
      if (current?.version !== expectedVersion) throw storeConflict(current?.version, expectedVersion)
      current = { tokens, version: (current?.version ?? 0) + 1, ...(owner === undefined ? {} : { owner }) }
      return current.version
    },
    async clear(expectedVersion) {
      if (expectedVersion !== undefined && current?.version !== expectedVersion) throw storeConflict(current?.version, expectedVersion)
      current = undefined
    },
  }
}

/** A {@link KeyValueStore} whose answers come at once (memory, Web Storage). */
export interface SyncKeyValueStore extends KeyValueStore {
  get(key: string): string | undefined
  set(key: string, value: string | undefined): void
}

/**
 * A key-value store in memory, lost with the process. Share one between clients (of several MCP
 * servers, say) so they share what is in it.
 *
 * @example
 * const storage = memoryKeyValueStore()
 * const docs = createMcpAuth({ serverUrl: 'https://docs.example.com/mcp', redirectUri, signIn, storage })
 *
 * @group Tokens and sessions
 */
export function memoryKeyValueStore(): SyncKeyValueStore & Required<Pick<KeyValueStore, 'swap'>> {
  const values = new Map<string, string>()
  const set = (key: string, value: string | undefined) => void (value === undefined ? values.delete(key) : values.set(key, value))
  return {
    get: (key) => values.get(key),
    set,
    swap: async (key, expected, value) => values.get(key) === expected && (set(key, value), true),
  }
}

/**
 * Compare-and-swap of one value of a {@link KeyValueStore}: its own `swap` (every process
 * sharing it); else, for a first value, its `setOnce`; else a read and a write (one process).
 */
export async function swapValue(
  storage: KeyValueStore,
  key: string,
  expected: string | undefined,
  value: string | undefined,
): Promise<boolean> {
  if (storage.swap) return storage.swap(key, expected, value)
  if (expected === undefined && value !== undefined && storage.setOnce) return (await storage.setOnce(key, value)) === value
  if (((await storage.get(key)) ?? undefined) !== expected) return false
  await storage.set(key, value)
  return true
}

/**
 * A {@link TokenStore} kept under one key of a {@link KeyValueStore}: its compare-and-swap is
 * the storage's own `swap` where it has one (safe for every process sharing it), else a read
 * and a write — safe for the holders of one process (or tab), which share one lock, and not
 * between processes.
 *
 * @example
 * const storage: KeyValueStore = { get: (key) => keychain.read(key), set: (key, value) => keychain.write(key, value) }
 * const session = client.session({ tokens, store: keyValueTokenStore(storage, 'my-app:tokens') })
 *
 * @group Tokens and sessions
 */
export function keyValueTokenStore(storage: KeyValueStore, key: string): TokenStore {
  // One change at a time: each read-compare-write completes before the next one reads.
  let queue: Promise<unknown> = Promise.resolve()
  const serial = <T>(change: () => Promise<T>): Promise<T> => {
    const done = queue.then(change)
    queue = done.catch(() => {})
    return done
  }
  const read = async (): Promise<{ raw: string | undefined; stored: StoredTokens | undefined }> => {
    const raw = (await storage.get(key)) ?? undefined
    try {
      return { raw, stored: raw ? storedTokens(JSON.parse(raw)) : undefined }
    } catch {
      return { raw, stored: undefined }
    }
  }
  /** Writes `next` if the version found is the one expected — and, with `swap`, if no other process wrote since the read. */
  // `any`: whatever is there (a clear without a version) — another process writing meanwhile only means reading again.
  const change = (expected: number | undefined, any: boolean, next: (found: number | undefined) => string | undefined) =>
    serial(async () => {
      for (let round = 1; ; round++) {
        const { raw, stored } = await read()
        const found = stored?.version
        if (!any && found !== expected) throw storeConflict(found, expected)
        const value = next(found)
        if (!(await swapValue(storage, key, raw, value))) {
          if (any && round < 3) continue
          throw storeConflict((await read()).stored?.version, expected)
        }
        return (found ?? 0) + 1
      }
    })
  return {
    load: async () => (await read()).stored,
    save: (tokens, expectedVersion, owner) =>
      change(expectedVersion, false, (found) => JSON.stringify({ tokens, version: (found ?? 0) + 1, owner })),
    clear: async (expectedVersion) => void (await change(expectedVersion, expectedVersion === undefined, () => undefined)),
  }
}

/**
 * A store on the Web Storage API (`sessionStorage` or `localStorage`), opt-in for browsers.
 *
 * Trade-offs (docs/sessions.md): anything in Web Storage is readable by any script on the
 * origin, so an XSS bug exposes the tokens; `sessionStorage` is per tab and survives reloads,
 * `localStorage` is shared by the origin's tabs and survives restarts. Memory (the default)
 * exposes the least, at the price of a sign-in after every reload.
 *
 * @example
 * const manager = new TokenManager({ store: webStorageStore(sessionStorage, 'my-app:tokens'), refresh })
 *
 * @group Tokens and sessions
 */
export function webStorageStore(storage: Storage, key = 'oauthkit.tokens'): TokenStore {
  return keyValueTokenStore(webStorageKeyValueStore(storage), key)
}

/** The Web Storage API as a {@link KeyValueStore} (synchronous, as Web Storage is). */
export function webStorageKeyValueStore(storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>): SyncKeyValueStore {
  return {
    get: (k) => storage.getItem(k) ?? undefined,
    set: (k, value) => (value === undefined ? storage.removeItem(k) : storage.setItem(k, value)),
  }
}
