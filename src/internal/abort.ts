import { NetworkError } from '../errors.js'

/**
 * Waits for `start()` as one caller: rejects with `aborted` when that caller's `signal` fires
 * (at once, without starting, when it already has), without cancelling the work itself — which
 * others may share (a renewal, a discovery load).
 */
export function untilAborted<T>(signal: AbortSignal | undefined, what: string, start: () => Promise<T>): Promise<T> {
  if (!signal) return start()
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(new NetworkError('aborted', `waiting for ${what} was cancelled by the caller`, { cause: signal.reason }))
    if (signal.aborted) return abort()
    const promise = start()
    signal.addEventListener('abort', abort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort)
        reject(error)
      },
    )
  })
}
