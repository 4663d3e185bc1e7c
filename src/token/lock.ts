/**
 * The seam used around a refresh so that only one holder refreshes at a time. An in-process
 * lock serialises callers in one process; cross-tab (Web Locks) and distributed (Redis)
 * locks implement the same interface.
 *
 * @group Tokens and sessions
 */
export interface Lock {
  /**
   * Runs `task` while holding the lock named `name`, and releases it however `task` ends (only
   * its owner releases it; a lease lets others recover it from a holder that died). When the
   * lock cannot be had — its backend unreachable, or held past the acquisition timeout — it
   * runs `task` without it rather than fail the call: the store's compare-and-swap still
   * guards the tokens, and the cost is at most one duplicate token request per waiting holder
   * (docs/fleet.md).
   */
  run<T>(name: string, task: () => Promise<T>): Promise<T>
}

/**
 * The loop of a lock whose backend is polled (a lock file, Redis): try to take it, with
 * backoff from 25 ms up to `maxWait`, until `timeout`; run the task — holding the lock, or
 * without it once the timeout passed or `take` said the backend is `down` (the Lock contract);
 * release it only if it was taken.
 */
export async function polledLock<T>(
  take: () => Promise<'held' | 'busy' | 'down'>,
  release: () => Promise<void>,
  task: () => Promise<T>,
  { timeout, maxWait }: { timeout: number; maxWait: number },
): Promise<T> {
  const deadline = Date.now() + timeout
  let state: 'held' | 'busy' | 'down' = 'busy'
  for (let wait = 25; state === 'busy' && Date.now() < deadline; wait = Math.min(wait * 2, maxWait)) {
    state = await take().catch(() => 'down' as const)
    if (state === 'busy') await new Promise((resolve) => setTimeout(resolve, wait))
  }
  try {
    return await task()
  } finally {
    if (state === 'held') await release().catch(() => {})
  }
}

const perStore = new WeakMap<object, Lock>()

/** The in-process lock of a store object: every session on that store, without a lock of its own, shares it. */
export function lockOf(store: object): Lock {
  let lock = perStore.get(store)
  if (!lock) perStore.set(store, (lock = inProcessLock()))
  return lock
}

/**
 * Serialises tasks per name within this process (or page).
 *
 * @example
 * const lock = inProcessLock()
 * const a = client.session({ store, lock }), b = client.session({ store, lock }) // renew once between them
 *
 * @group Tokens and sessions
 */
export function inProcessLock(): Lock {
  const tails = new Map<string, Promise<unknown>>()
  return {
    run(name, task) {
      const previous = tails.get(name) ?? Promise.resolve()
      const result = previous.then(task, task)
      const tail = result.then(
        () => undefined,
        () => undefined,
      )
      tails.set(name, tail)
      void tail.then(() => {
        if (tails.get(name) === tail) tails.delete(name)
      })
      return result
    },
  }
}

/** The Web Locks API, as much of it as the lock uses. */
type WebLocks = { request(name: string, options: { signal?: AbortSignal; steal?: boolean }, cb: () => Promise<unknown>): Promise<unknown> }

/**
 * A lock shared by the origin's tabs (the Web Locks API), or an in-tab lock where the API is
 * missing. The browser client holds it around every refresh.
 *
 * Bounded: a tab that waits longer than `timeout` (default 40 s, more than a token request may
 * take) takes the lock over from a holder that never lets go (a hung store, a frozen tab), one
 * such tab at a time. The holder's task is not stopped; if it still sends a refresh later, the rotation ledger stops it
 * from sending a refresh token already spent (docs/browser.md).
 *
 * @example
 * const manager = new TokenManager({ lock: webLock({ timeout: 10_000 }), lockName: 'my-app:refresh', refresh })
 */
export function webLock(options: { timeout?: number } = {}): Lock {
  const locks = (globalThis.navigator as { locks?: WebLocks } | undefined)?.locks
  if (!locks) return inProcessLock()
  const timeout = options.timeout ?? 40_000
  return {
    async run<T>(name: string, task: () => Promise<T>): Promise<T> {
      let started = false
      const held = async () => {
        started = true
        // Let a BroadcastChannel message from the previous holder land first.
        await new Promise((resolve) => setTimeout(resolve, 0))
        return task()
      }
      try {
        return (await locks.request(name, { signal: AbortSignal.timeout(timeout) }, held)) as T
      } catch (err) {
        if (started) throw err
        // One takeover at a time: a second tab that timed out too waits for the first to finish
        // (then finds the lock free) instead of robbing it mid-refresh.
        return (await locks.request(`${name}:takeover`, {}, () => locks.request(name, { steal: true }, held))) as T
      }
    },
  }
}
