import { DEFAULT_MAX_PENDING_AGE_MS, type PendingAuthorization } from '../protocol/grants/authorization-code.js'

/** A sign-in started by `login()`, kept until its callback: what completing it needs, and where to come back. */
export type PendingSignIn = PendingAuthorization & { returnTo?: string; hash?: string }

/** sessionStorage, or a Map-backed stand-in where there is none (a service worker, an extension's background). */
function tabStorage(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> & { keys(): string[] } {
  if (typeof sessionStorage === 'object') {
    const s = sessionStorage
    return {
      getItem: (k) => s.getItem(k),
      setItem: (k, v) => s.setItem(k, v),
      removeItem: (k) => s.removeItem(k),
      keys: () => Object.keys(s),
    }
  }
  const map = new Map<string, string>()
  return {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
    keys: () => [...map.keys()],
  }
}

/**
 * The pending sign-ins of one client in this tab (sessionStorage: per tab, survives the
 * redirect). A new `login()` replaces any earlier one of this tab (an abandoned sign-in's PKCE
 * verifier is not kept); the callback takes its entry (read and removed: a callback is used
 * once) and removes any other older than ten minutes.
 */
export function pendingSignIns(key: string, now: () => number) {
  const prefix = `${key}:pending:`
  const storage = tabStorage()
  const read = (k: string): PendingSignIn | undefined => {
    try {
      return JSON.parse(storage.getItem(k) ?? 'null') ?? undefined
    } catch {
      return undefined
    }
  }
  const entries = () => storage.keys().filter((k) => k.startsWith(prefix))
  const prune = (all: boolean) => {
    for (const k of entries()) if (all || !(now() - (read(k)?.createdAt ?? 0) <= DEFAULT_MAX_PENDING_AGE_MS)) storage.removeItem(k)
  }
  return {
    save(pending: PendingSignIn): void {
      prune(true)
      storage.setItem(prefix + pending.state, JSON.stringify(pending))
    },
    /**
     * The sign-in `state` names; for a server that echoes no state (its dialect says so), the
     * only pending one. Removed from storage: a callback is used once.
     */
    take(state: string): PendingSignIn | undefined {
      const found = state ? prefix + state : entries().length === 1 ? entries()[0] : undefined
      const pending = found === undefined ? undefined : read(found)
      if (found !== undefined) storage.removeItem(found)
      // The others are a tab's abandoned sign-ins once they are old; this one's age is checked by the completion (stale_sign_in).
      prune(false)
      return pending
    },
  }
}
