import { OAuthKitError } from '../errors.js'
import type { TokenSet } from '../types.js'
import { isTokenSet } from '../wire/token.js'

/** A token set as a store holds it, with the version used for compare-and-swap. */
export interface StoredTokens {
  tokens: TokenSet
  version: number
}

/**
 * Where a session keeps its tokens. Every method is async so that a store can be a file, a
 * database or Redis. `save` is compare-and-swap: it succeeds only when the stored version is
 * still `expectedVersion` (`undefined` meaning "empty"), and returns the new version; on a
 * mismatch it throws an OAuthKitError with code `store_conflict`.
 */
export interface TokenStore {
  load(): Promise<StoredTokens | undefined>
  save(tokens: TokenSet, expectedVersion: number | undefined): Promise<number>
  clear(): Promise<void>
}

export function storeConflict(found: number | undefined, expected: number | undefined): OAuthKitError {
  return new OAuthKitError('store_conflict', `token store changed underneath: expected version ${expected ?? 'empty'}, found ${found ?? 'empty'}`)
}

/**
 * The default store: memory only, lost with the process or page. The safest choice in a browser.
 *
 * @example
 * const session = client.session({ grant: 'client_credentials', store: memoryStore() })
 */
export function memoryStore(initial?: TokenSet): TokenStore {
  let current: StoredTokens | undefined = initial ? { tokens: initial, version: 1 } : undefined
  return {
    async load() {
      return current
    },
    async save(tokens, expectedVersion) {
      if (current?.version !== expectedVersion) throw storeConflict(current?.version, expectedVersion)
      current = { tokens, version: (current?.version ?? 0) + 1 }
      return current.version
    },
    async clear() {
      current = undefined
    },
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
 */
export function webStorageStore(storage: Storage, key = 'oauthkit.tokens'): TokenStore {
  const read = (): StoredTokens | undefined => {
    const raw = storage.getItem(key)
    if (!raw) return undefined
    try {
      const parsed = JSON.parse(raw) as StoredTokens
      return isTokenSet(parsed?.tokens) && Number.isSafeInteger(parsed.version) ? parsed : undefined
    } catch {
      return undefined
    }
  }
  return {
    async load() {
      return read()
    },
    async save(tokens, expectedVersion) {
      const found = read()?.version
      if (found !== expectedVersion) throw storeConflict(found, expectedVersion)
      const version = (found ?? 0) + 1
      storage.setItem(key, JSON.stringify({ tokens, version }))
      return version
    },
    async clear() {
      storage.removeItem(key)
    },
  }
}
