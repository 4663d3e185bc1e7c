import { OAuthKitError, isUnprocessed } from '../errors.js'

/**
 * One renewal of a session's tokens, as the `renewal` event reports it. Nothing secret is in it.
 *
 * @group Tokens and sessions
 */
export interface RenewalEvent {
  /**
   * `renewed`; `failed` (callers were told, the access token had run out); `kept-current`
   * (it failed, and the current access token serves while it lasts); `paused` (not tried: a
   * failure a moment ago, callers told at once).
   */
  outcome: 'renewed' | 'failed' | 'kept-current' | 'paused'
  /** Renewals failed in a row before this one. */
  failures: number
  /** Milliseconds the renewal took (0 when it was not tried). */
  duration: number
  /** What failed: the error code, and the server's `error` or the HTTP status when there was one. */
  reason?: string
  /** When the next renewal may be tried, in seconds from now. */
  retryAfter?: number
}

/** The longest pause after failed renewals. */
const MAX_PAUSE_MS = 60_000

/**
 * What a token manager remembers of failed renewals (docs/sessions.md), a small circuit
 * breaker: after a renewal failed for a passing reason (its request already retried), none is
 * tried before `until` — 1 s, then 2, 4 … up to 60 s while they keep failing, or the server's
 * `Retry-After` when longer. Meanwhile a valid access token is served and callers without one
 * are told at once (`circuit_open`); the first call after the pause is the probe, and a
 * success closes it.
 *
 * It also remembers a refresh token whose sending failed without saying whether the server
 * used it (a timeout, a reset, a 500): with rotation, sending it again could be a replay that
 * a server with reuse detection punishes by revoking the grant. So it is sent again only once
 * the current access token no longer serves — then at once, without a pause, after a first
 * such failure — and an `invalid_grant` then is a lost race.
 */
export class RenewalGate {
  failures = 0
  until = 0
  suspect: string | undefined
  /** Whether the server rotates refresh tokens: assumed until a refresh shows otherwise. */
  #rotates = true

  failed(now: number, error: OAuthKitError, refreshToken: string | undefined, random = Math.random): void {
    this.failures++
    const pause = Math.min(MAX_PAUSE_MS, 1000 * 2 ** (this.failures - 1)) * (0.5 + random() / 2)
    this.until = now + Math.max(pause, (error.retryAfter ?? 0) * 1000)
    if (refreshToken === undefined || !this.#rotates || isUnprocessed(error)) return
    this.suspect = refreshToken
    // An answer lost in transit (a timeout, a reset) for the first time: the next renewal (once
    // no access token serves) sends the kept refresh token once, at once — renewed, or refused as a lost race (sign in) — rather
    // than telling its caller circuit_open. A second failure in a row pauses as any other.
    if (this.failures === 1 && (error.code === 'timeout' || error.code === 'network_error')) this.until = now
  }

  succeeded(used: string | undefined, next: string | undefined): void {
    this.failures = 0
    this.until = 0
    this.suspect = undefined
    if (used !== undefined && next !== undefined) this.#rotates = next !== used
  }

  /** Seconds until the next renewal may be tried. */
  retryAfter(now: number): number {
    return Math.max(1, Math.ceil((this.until - now) / 1000))
  }

  /** The error for callers without a usable token while renewals are paused. */
  paused(now: number, last: string | undefined): OAuthKitError {
    const retryAfter = this.retryAfter(now)
    return new OAuthKitError(
      'circuit_open',
      `token renewal failed ${this.failures} time(s) in a row${last ? ` (${last})` : ''}; not trying again for ${retryAfter} s`,
      { retryAfter },
    )
  }
}
