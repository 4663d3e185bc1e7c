import { NetworkError, reasonOf, type OAuthKitError } from '../../errors.js'
import type { Clock } from '../../internal/clock.js'
import type { RetryPolicy } from '../../types.js'

const DEFAULT_RETRY: Required<Omit<RetryPolicy, 'onRetry' | 'random'>> = {
  attempts: 5,
  baseDelay: 250,
  maxDelay: 5_000,
  maxElapsed: 15_000,
}

/**
 * The wait before try `attempt` + 1: a random part of `baseDelay · 2^(attempt-1)` (full
 * jitter), never more than `maxDelay`; or the server's `Retry-After` when it said, and
 * undefined (no retry) when that is longer than `maxDelay`.
 */
export function backoff(policy: RetryPolicy, attempt: number, retryAfter?: number): number | undefined {
  const { baseDelay, maxDelay } = { ...DEFAULT_RETRY, ...policy }
  if (retryAfter !== undefined) return retryAfter * 1000 <= maxDelay ? retryAfter * 1000 : undefined
  return Math.floor((policy.random ?? Math.random)() * Math.min(maxDelay, baseDelay * 2 ** (attempt - 1)))
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the policy's tries or time run out;
 * `retryable` says which failures are worth another try. Waits on the clock, so a caller's
 * signal cancels the wait.
 */
export async function withRetry<T>(
  operation: string,
  policy: RetryPolicy | false | undefined,
  clock: Clock,
  signal: AbortSignal | undefined,
  retryable: (err: unknown) => boolean,
  attempt: (left: number | undefined) => Promise<T>,
): Promise<T> {
  const p = policy === false ? { attempts: 1 } : (policy ?? {})
  const { attempts, maxElapsed } = { ...DEFAULT_RETRY, ...p }
  const started = clock.now()
  for (let n = 1; ; n++) {
    try {
      // A retry gets what is left of maxElapsed as the most its try may take: no retry outlasts it.
      return await attempt(n === 1 ? undefined : maxElapsed - (clock.now() - started))
    } catch (err) {
      const delay = n < attempts && retryable(err) ? backoff(p, n, (err as OAuthKitError).retryAfter) : undefined
      if (delay === undefined || clock.now() - started + delay >= maxElapsed) throw err
      p.onRetry?.({ operation, attempt: n + 1, delay, reason: reasonOf(err as OAuthKitError) })
      try {
        await clock.sleep(delay, signal)
      } catch (reason) {
        throw new NetworkError('aborted', `${operation}: cancelled by the caller while waiting to retry`, { cause: reason })
      }
    }
  }
}
