import type { PendingAuthorization } from '../protocol/grants/authorization-code.js'
import { DEFAULT_MAX_PENDING_AGE_MS } from '../types.js'
import { memoryKeyValueStore, webStorageKeyValueStore, type SyncKeyValueStore } from '../token/store.js'

/** A sign-in started by `login()`, kept until its callback: what completing it needs, and where to come back. */
export type PendingSignIn = PendingAuthorization & { returnTo?: string; hash?: string }

/**
 * The pending sign-in of one client in this tab, under one key of a key-value store:
 * sessionStorage (per tab, survives the redirect), or memory where there is none (a service
 * worker, an extension's background). A new `login()` replaces an earlier one of this tab (an
 * abandoned sign-in's PKCE verifier is not kept); the callback takes it (read and removed: a
 * callback is used once), and one that names another state leaves it — unless it is over ten
 * minutes old, when it goes.
 */
export function pendingSignIns(
  key: string,
  now: () => number,
  storage: SyncKeyValueStore = typeof sessionStorage === 'object' ? webStorageKeyValueStore(sessionStorage) : memoryKeyValueStore(),
) {
  const at = `${key}:pending`
  const read = (): PendingSignIn | undefined => {
    try {
      return JSON.parse(storage.get(at) ?? 'null') ?? undefined
    } catch {
      return undefined
    }
  }
  const out = `${key}:logout`
  return {
    save: (pending: PendingSignIn): void => storage.set(at, JSON.stringify(pending)),
    /** The `state` of the logout this tab sent to the end-session endpoint (RP-Initiated Logout §3). */
    saveLogout: (state: string): void => storage.set(out, state),
    /** Whether `state` is that state; if so, it is removed: a logout's return is used once. */
    takeLogout(state: string | null): boolean {
      const sent = storage.get(out)
      if (!sent || sent !== state) return false
      storage.set(out, undefined)
      return true
    },
    /**
     * The sign-in `state` names; for a server that echoes no state (its dialect says so), the
     * pending one. Removed from storage: a callback is used once.
     */
    take(state: string): PendingSignIn | undefined {
      const pending = read()
      const taken = pending && (!state || pending.state === state) ? pending : undefined
      // Another state's sign-in stays for its own callback while it is young; this one's age is checked by the completion (stale_sign_in).
      if (taken || !(now() - (pending?.createdAt ?? 0) <= DEFAULT_MAX_PENDING_AGE_MS)) storage.set(at, undefined)
      return taken
    },
  }
}
