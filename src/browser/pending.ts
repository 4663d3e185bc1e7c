import type { PendingAuthorization } from '../grants/authorization-code.js'

/** A sign-in started by `login()`, kept in sessionStorage until its callback. */
export type PendingSignIn = PendingAuthorization & { returnTo?: string }

/**
 * The pending sign-ins of one client, in sessionStorage (per tab, survives the redirect):
 * saved by `login()`, taken — read and removed — by the callback.
 */
export function pendingSignIns(key: string) {
  const prefix = `${key}:pending:`
  return {
    save(pending: PendingSignIn): void {
      sessionStorage.setItem(prefix + pending.state, JSON.stringify(pending))
    },
    /**
     * The sign-in `state` names; for a server that echoes no state (its dialect says so), the
     * only pending one. Removed from storage: a callback is used once.
     */
    take(state: string): PendingSignIn | undefined {
      let raw = sessionStorage.getItem(prefix + state)
      if (raw === null && !state) {
        const keys = Object.keys(sessionStorage).filter((k) => k.startsWith(prefix))
        raw = keys.length === 1 ? sessionStorage.getItem(keys[0] as string) : null
      }
      if (raw === null) return undefined
      const pending = JSON.parse(raw) as PendingSignIn
      sessionStorage.removeItem(prefix + pending.state)
      return pending
    },
  }
}
