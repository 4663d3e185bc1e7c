import { systemClock } from '../internal/clock.js'
import type { HttpOptions } from './options.js'

/** Offsets between the server's clock and ours, per configuration (docs/sessions.md). */
const skews = new WeakMap<HttpOptions, number>()

/** Within this, a `Date` header says nothing (it has one-second resolution, and the answer took time). */
const SKEW_NOISE_MS = 2_000
/** Beyond this, a `Date` header is not believed (a server with a broken clock, a cache's stale header). */
const MAX_SKEW_MS = 3_600_000

/**
 * The offset (ms) between the server's clock and ours, estimated from the last `Date` header of
 * an answer: 0 within two seconds, and never more than an hour either way.
 */
export function skewOf(options: HttpOptions): number {
  return skews.get(options) ?? 0
}

/** Measures the offset from an answer's `Date` header (kept for the configuration), and returns the offset now believed. */
export function measureSkew(options: HttpOptions, response: Response): number {
  const date = Date.parse(response.headers.get('date') ?? '')
  if (Number.isFinite(date)) {
    const offset = date - (options.clock ?? systemClock).now()
    if (Math.abs(offset) <= MAX_SKEW_MS) skews.set(options, Math.abs(offset) < SKEW_NOISE_MS ? 0 : offset)
    else
      options.onWarning?.({
        code: 'clock_skew',
        message: `the server's Date is ${Math.round(offset / 60_000)} min from this clock: not believed`,
      })
  }
  return skewOf(options)
}
