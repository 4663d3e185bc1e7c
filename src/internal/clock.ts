/**
 * Time, injectable. Everything in oauthkit that reads the time or waits goes through a Clock,
 * so tests (and apps with a server-corrected clock) can supply their own.
 *
 * @group Types
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** The largest delay `setTimeout` accepts; a larger one fires at once. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason)
        return
      }
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
        Math.min(Math.max(0, ms), MAX_TIMER_DELAY_MS),
      )
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  },
}
