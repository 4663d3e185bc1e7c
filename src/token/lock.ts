/**
 * The seam used around a refresh so that only one holder refreshes at a time. An in-process
 * lock serialises callers in one process; cross-tab (Web Locks) and distributed (Redis)
 * locks implement the same interface.
 */
export interface Lock {
  /** Runs `task` while holding the lock named `name`; releases it however `task` ends. */
  run<T>(name: string, task: () => Promise<T>): Promise<T>
}

/**
 * Serialises tasks per name within this process (or page).
 *
 * @example
 * const lock = inProcessLock()
 * const a = client.session({ store, lock }), b = client.session({ store, lock }) // renew once between them
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

/**
 * A lock shared by the origin's tabs (the Web Locks API), or an in-tab lock where the API is
 * missing. The browser client holds it around every refresh.
 *
 * @example
 * const manager = new TokenManager({ lock: webLock(), lockName: 'my-app:refresh', refresh })
 */
export function webLock(): Lock {
  const locks = (globalThis.navigator as { locks?: { request(name: string, cb: () => Promise<unknown>): Promise<unknown> } } | undefined)?.locks
  if (!locks) return inProcessLock()
  return {
    run<T>(name: string, task: () => Promise<T>): Promise<T> {
      return locks.request(name, async () => {
        // Let a BroadcastChannel message from the previous holder land first.
        await new Promise((resolve) => setTimeout(resolve, 0))
        return task()
      }) as Promise<T>
    },
  }
}
