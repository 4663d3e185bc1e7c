import { ConfigError, OAuthKitError, cleanText, oauthKitError, isOAuthKitError, isTransient, reasonOf } from '../errors.js'
import { untilAborted } from '../internal/abort.js'
import { MAX_TIMER_DELAY_MS, systemClock, type Clock } from '../internal/clock.js'
import type { RetryEvent, RetryPolicy, TokenProof, TokenSet } from '../types.js'
import { RenewalGate, type RenewalEvent } from './renewal.js'
import { lockOf, type Lock } from './lock.js'
import { memoryStore, type StoredTokens, type TokenStore } from './store.js'
import { isTokenSet } from '../wire/token.js'

/**
 * How a TokenManager gets and keeps tokens: the injected grant steps, the store, the lock, the clock and the renewal timing.
 *
 * @group Tokens and sessions
 */
export interface TokenManagerOptions {
  /** Gets a new token set from scratch (client_credentials, …). Absent for user sign-ins. `retry` is the policy to pass to the grant. */
  obtain?: (signal?: AbortSignal, retry?: RetryPolicy | false) => Promise<TokenSet>
  /** Exchanges a refresh token (injected: this layer knows no protocol); `current` is the set it belongs to. */
  refresh?: (refreshToken: string, signal?: AbortSignal, current?: TokenSet, retry?: RetryPolicy | false) => Promise<TokenSet>
  /**
   * The retry policy the steps get for their token requests, with `onRetry` also reported as
   * the `retry` event; `false` for one try. Default: the steps' own (their context's).
   */
  retry?: RetryPolicy | false
  /** Default: memory. */
  store?: TokenStore
  /** Held around every refresh. Default: the store's own lock, else one in-process lock per store (sessions sharing a store share it). */
  lock?: Lock
  /**
   * What these tokens belong to (issuer, client, and for machine-to-machine tokens scope,
   * resource, audience): saved with them, and tokens another owner saved are treated as absent.
   * Sessions set it.
   */
  owner?: string
  /**
   * Whether these tokens are sent with a DPoP key (RFC 9449). `false`: tokens of token type
   * `DPoP` (another process's, in a shared store) are never handed out to go as a bearer token;
   * reading them is `invalid_config`. Sessions set it; unset, nothing is checked (a manager
   * used with an authorized fetch given its own `dpop`).
   */
  bound?: boolean
  /** The lock's name; sessions sharing a store must share it. Default `oauthkit`. */
  lockName?: string
  clock?: Clock
  /** Refresh this many ms before expiry, but never more than half the lifetime. Default 60 000. */
  skew?: number
  /** Refresh in the background ahead of expiry (the timer never keeps a Node process alive). */
  backgroundRefresh?: boolean
  /**
   * `refresh-expiring` is emitted this many ms before the refresh token expires (when the
   * server said when), but never earlier than half its lifetime. Default 600 000 (10 minutes).
   */
  refreshExpiryNotice?: number
  /**
   * Something beside the callers that shares these tokens (the browser client's tabs): called
   * once, as the manager is made, with the {@link TokenControl} it may use.
   */
  coordinator?: (control: TokenControl) => void
}

/**
 * What a coordinator may do with a manager's tokens besides what every caller can: read them
 * as held, take tokens another holder obtained and announced, forget a grant another holder
 * learned is dead. Each change runs under the manager's lock, and loses to a sign-out (`clear`)
 * that came after it started.
 *
 * @group Tokens and sessions
 */
export interface TokenControl {
  /**
   * The tokens held, as they are, and whether their access token is believed valid now (not
   * expired, not invalidated): from memory, else read from the store. Never refreshes, never
   * emits, never takes the lock; a store that fails to read is no tokens.
   */
  peek(): Promise<{ tokens: TokenSet; valid: boolean } | undefined>
  /**
   * Takes tokens another holder (a tab, a process) obtained and stored: in use at once, without
   * a `tokens` event. `persist` saves them into this manager's own store too (when it is not
   * the shared one).
   */
  adopt(tokens: TokenSet, options?: { persist?: boolean }): Promise<void>
  /** Forgets the tokens `matches` selects, here and in the store; tokens that do not match (a newer sign-in) stay. */
  forget(matches: (tokens: TokenSet) => boolean): Promise<void>
}

/**
 * Tokens given from outside (a sign-in's, a store's) fit to be used: a TokenSet (its tokens
 * VSCHAR), and not DPoP-bound when they would go without a key (`bound` false) — a bound token
 * is refused, never downgraded to Bearer (RFC 9449 §7.1). Throws `invalid_config`.
 */
export function checkTokens(tokens: TokenSet, bound: boolean | undefined): void {
  if (!isTokenSet(tokens)) throw new ConfigError('invalid_config', 'not a TokenSet as a grant returns (its tokens of 0x20–0x7E only)')
  if (bound === false && tokens.tokenType.toLowerCase() === 'dpop') {
    throw new ConfigError(
      'invalid_config',
      'DPoP-bound tokens, and no DPoP key: give the session the key they are bound to (createDPoP({ store })); never sent as Bearer',
    )
  }
}

/**
 * The events of a token manager or session, with their listeners (`on(event, listener)`).
 *
 * @group Tokens and sessions
 */
export interface TokenEvents {
  /** New tokens were stored. Awaited; a throwing listener makes the refresh fail with `persist_failed`. */
  tokens: (tokens: TokenSet) => void | Promise<void>
  /** A refresh failed for a reason other than a lost grant, and a caller was told. */
  'refresh-failed': (error: OAuthKitError) => void
  /** A token request is about to be retried (attempt, delay, reason). */
  retry: (event: RetryEvent) => void
  /** A renewal ended (renewed, failed, kept the current token, or paused), with its duration. */
  renewal: (event: RenewalEvent) => void
  /**
   * The grant is gone: the user must sign in again. Emitted once when it is lost; later calls
   * reject with `sign_in_required` without emitting again, until new tokens arrive.
   */
  'sign-in-required': (error: OAuthKitError) => void
  /**
   * The refresh token expires soon (the server said when: `refreshExpiresAt`), after which
   * sign-in will be required: a chance to ask the user at a good moment. Once per refresh token,
   * when a token is asked for or stored inside the notice period (`refreshExpiryNotice`).
   */
  'refresh-expiring': (event: { refreshExpiresAt: number }) => void
}

/**
 * The token interface the fetch wrappers need. Safe to call concurrently.
 *
 * @group Tokens and sessions
 */
export interface AccessTokenSource {
  /** A valid access token. */
  getAccessToken(options?: { signal?: AbortSignal }): Promise<string>
  /** Marks `accessToken` bad if it is still the current one; returns whether it was. */
  invalidate(accessToken: string): boolean
  /** The current token when it is valid, synchronously, or undefined (then call getAccessToken). */
  validToken?(): string | undefined
  /** When the tokens are DPoP-bound (RFC 9449): the key that proves possession on each request. */
  readonly dpop?: TokenProof | undefined
}

/**
 * How long before expiry a token is renewed by default (60 s, never more than half its lifetime).
 *
 * @group Tokens and sessions
 */
export const DEFAULT_SKEW_MS = 60_000

interface Current {
  tokens: TokenSet
  version: number | undefined
  /** When to refresh (epoch ms); undefined: the token states no expiry. */
  refreshAt: number | undefined
  /** When to emit `refresh-expiring` (epoch ms); undefined: no refresh token expiry stated, or emitted. */
  noticeAt: number | undefined
  stale: boolean
}

/**
 * Keeps a valid access token: refreshes ahead of expiry, coalesces concurrent callers into one
 * token request (single-flight), is safe with rotating refresh tokens, and re-reads the store
 * before giving up on `invalid_grant` (another process may have rotated the token).
 *
 * `getAccessToken` does no work beyond reading the cached token while it is valid.
 *
 * @example
 * const manager = new TokenManager({ refresh: (rt) => refreshGrant(ctx, rt), store: memoryStore() })
 * await manager.setTokens(tokens)
 * const token = await manager.getAccessToken() // renewed ahead of expiry, once for all callers
 *
 * @group Tokens and sessions
 */
export class TokenManager implements AccessTokenSource {
  readonly #obtain: TokenManagerOptions['obtain']
  readonly #refresh: TokenManagerOptions['refresh']
  readonly #store: TokenStore
  readonly #lock: Lock
  readonly #lockName: string
  readonly #clock: Clock
  readonly #skew: number
  readonly #notice: number
  readonly #background: boolean
  readonly #listeners: { [K in keyof TokenEvents]: Set<TokenEvents[K]> } = {
    tokens: new Set(),
    'refresh-failed': new Set(),
    retry: new Set(),
    renewal: new Set(),
    'sign-in-required': new Set(),
    'refresh-expiring': new Set(),
  }
  #current: Current | undefined
  #inflight: Promise<TokenSet> | undefined
  /** Tokens the server issued that the store has not accepted yet: never refresh past them. */
  #unsaved: TokenSet | undefined
  /** Counts sign-outs: tokens a renewal or sign-in that started before the last one brings are never kept. */
  #epoch = 0
  /** Aborted by a sign-out: the requests of the renewal under way. */
  #signOut = new AbortController()
  #timer: ReturnType<typeof setTimeout> | undefined
  /** Whether 'sign-in-required' was emitted since the last tokens. */
  #signedOut = false
  /** The stamp of this session's tokens in the store. */
  readonly #owner: string | undefined
  readonly #bound: boolean | undefined
  /** What the last failed renewal failed with, for the paused error's message. */
  #lastFailure: string | undefined
  /** Failed renewals: the pause before the next, and a refresh token that may be spent. */
  readonly #gate = new RenewalGate()
  /** The policy handed to the steps, its retries also reported as `retry` events. */
  readonly #retry: RetryPolicy | false | undefined

  constructor(options: TokenManagerOptions = {}) {
    options ??= {}
    this.#obtain = options.obtain
    this.#refresh = options.refresh
    this.#store = options.store ?? memoryStore()
    // Sessions sharing a store share its lock: the store's own (a file's, Redis'), else one
    // in-process lock per store object.
    this.#lock = options.lock ?? this.#store.lock ?? lockOf(this.#store)
    this.#owner = options.owner
    this.#bound = options.bound
    this.#lockName = options.lockName ?? 'oauthkit'
    this.#clock = options.clock ?? systemClock
    this.#skew = Math.max(0, options.skew ?? DEFAULT_SKEW_MS)
    this.#notice = Math.max(0, options.refreshExpiryNotice ?? 600_000)
    this.#background = options.backgroundRefresh ?? false
    const policy = options.retry
    this.#retry =
      policy === false
        ? false
        : {
            ...policy,
            onRetry: (event) => {
              policy?.onRetry?.(event)
              this.#emit('retry', event)
            },
          }
    options.coordinator?.({
      peek: () => this.#peek(),
      adopt: (tokens, o) => this.#adopt(tokens, o?.persist === true),
      forget: (matches) => this.#forget(matches),
    })
  }

  /** A valid access token: the cached one while it is fresh (no store read, no lock), else renewed once for all callers. */
  getAccessToken(options: { signal?: AbortSignal } = {}): Promise<string> {
    const token = this.validToken()
    if (token !== undefined) return Promise.resolve(token)
    return untilAborted(options.signal, 'a token', () => this.#ensureFresh()).then((t) => t.accessToken)
  }

  validToken(): string | undefined {
    const c = this.#current
    if (c?.noticeAt !== undefined && this.#clock.now() >= c.noticeAt) this.#noticeRefreshExpiry(c)
    return this.#isFresh(c) ? c.tokens.accessToken : undefined
  }

  #noticeRefreshExpiry(c: Current): void {
    c.noticeAt = undefined
    if (c.tokens.refreshExpiresAt !== undefined) this.#emit('refresh-expiring', { refreshExpiresAt: c.tokens.refreshExpiresAt })
  }

  /** The whole current token set, refreshed if needed. */
  async getTokens(options: { signal?: AbortSignal } = {}): Promise<TokenSet> {
    const token = await this.getAccessToken(options)
    const current = this.#current
    // clear() (a sign-out) may have run while the token was on its way.
    if (current?.tokens.accessToken !== token)
      throw new OAuthKitError('sign_in_required', 'the tokens were cleared (signed out) while being read: sign in again')
    return current.tokens
  }

  invalidate(accessToken: string): boolean {
    const c = this.#current
    if (!c || c.tokens.accessToken !== accessToken) return false
    c.stale = true
    return true
  }

  async #peek(): Promise<{ tokens: TokenSet; valid: boolean } | undefined> {
    const c =
      this.#current ??
      (await this.#load().then(
        (s) => s && this.#toCurrent(s.tokens, s.version),
        () => undefined,
      ))
    const expiresAt = c?.tokens.expiresAt
    return c && { tokens: c.tokens, valid: !c.stale && (expiresAt === undefined || this.#clock.now() < expiresAt) }
  }

  /** Stores tokens obtained elsewhere (a completed sign-in). */
  setTokens(tokens: TokenSet): Promise<TokenSet> {
    try {
      checkTokens(tokens, this.#bound)
    } catch (err) {
      return Promise.reject(err)
    }
    const epoch = this.#epoch
    return this.#lock.run(this.#lockName, async () => {
      const stored = await this.#load()
      return this.#commit(tokens, stored?.version, epoch)
    })
  }

  /** TokenControl.adopt: under the lock, unless a sign-out came after the announcement arrived, or these tokens are held already. */
  #adopt(tokens: TokenSet, persist: boolean): Promise<void> {
    const epoch = this.#epoch
    return this.#lock.run(this.#lockName, async () => {
      if (epoch !== this.#epoch || this.#current?.tokens.accessToken === tokens.accessToken) return
      this.#current = this.#toCurrent(tokens, undefined)
      this.#unsaved = undefined
      this.#signedOut = false
      this.#schedule()
      if (!persist) return
      const version = await this.#store
        .load()
        .then((stored) => this.#store.save(tokens, stored?.version, this.#owner))
        .catch(() => undefined)
      if (version !== undefined && this.#current?.tokens === tokens) this.#current.version = version
    })
  }

  /** TokenControl.forget: under the lock. */
  async #forget(matches: (tokens: TokenSet) => boolean): Promise<void> {
    await this.#lock.run(this.#lockName, async () => {
      if (this.#current && matches(this.#current.tokens)) {
        this.#stopTimer()
        this.#current = undefined
      }
      const stored = await this.#load().catch(() => undefined)
      if (stored && matches(stored.tokens)) await this.#store.clear(stored.version).catch(() => {})
    })
  }

  /**
   * Forgets the tokens here at once, then in the store under the lock (a sign-out). It wins
   * over a renewal under way: that renewal's requests are aborted, and what it brings is
   * neither kept nor saved; the store is cleared after any save that was under way.
   */
  async clear(): Promise<void> {
    this.#epoch++
    this.#stopTimer()
    this.#current = undefined
    this.#unsaved = undefined
    this.#signOut.abort()
    this.#signOut = new AbortController()
    await this.#lock
      .run(this.#lockName, () => this.#store.clear())
      .catch((err: unknown) => {
        throw isOAuthKitError(err) ? err : new OAuthKitError('persist_failed', 'the token store could not be cleared', { cause: err })
      })
  }

  /** Listens to an event; returns the function that stops listening. */
  on<K extends keyof TokenEvents>(event: K, listener: TokenEvents[K]): () => void {
    this.#listeners[event].add(listener)
    return () => this.#listeners[event].delete(listener)
  }

  /** Stops the background timer. */
  close(): void {
    this.#stopTimer()
  }

  /** The store's tokens, when they are a TokenSet (anything else is no tokens); a failing store is persist_failed. */
  async #load(): Promise<StoredTokens | undefined> {
    let stored: StoredTokens | undefined
    try {
      stored = await this.#store.load()
    } catch (err) {
      throw isOAuthKitError(err) ? err : new OAuthKitError('persist_failed', 'the token store could not be read', { cause: err })
    }
    // Tokens stamped for another configuration are not this session's (docs/fleet.md).
    if (stored?.owner !== undefined && this.#owner !== undefined && stored.owner !== this.#owner) return undefined
    if (!stored || !isTokenSet(stored.tokens)) return undefined
    checkTokens(stored.tokens, this.#bound)
    return stored
  }

  #ensureFresh(): Promise<TokenSet> {
    this.#inflight ??= this.#lock
      .run(this.#lockName, () => this.#renew())
      .then((tokens) => {
        // Tokens again (renewed, or another holder signed in): a later loss is news again.
        this.#signedOut = false
        return tokens
      })
      .finally(() => {
        this.#inflight = undefined
      })
    return this.#inflight
  }

  #isFresh(c: Current | undefined): c is Current {
    if (!c || c.stale) return false
    const now = this.#clock.now()
    if (c.refreshAt === undefined || now < c.refreshAt) return true
    // Renewal is due, but the last one failed a moment ago, or may have spent the refresh
    // token: the current access token serves while it lasts (stale while renewing).
    const paused = now < this.#gate.until || (c.tokens.refreshToken !== undefined && c.tokens.refreshToken === this.#gate.suspect)
    return paused && now < (c.tokens.expiresAt ?? Infinity)
  }

  async #renew(): Promise<TokenSet> {
    const epoch = this.#epoch
    // Renewed while this call waited for the lock (adopted from another tab)?
    const now = this.#current
    if (this.#isFresh(now)) return now.tokens
    // Another tab or process may have renewed already: prefer what the store holds. A store out
    // of reach (Redis down) is renewed past, but only for tokens without a refresh token: one
    // that rotates is never sent blind, as another holder may have spent it (docs/fleet.md).
    const stored = await this.#load().catch((err: unknown) => {
      if (this.#current?.tokens.refreshToken !== undefined || !this.#obtain) throw err
      return undefined
    })
    if (stored && stored.version !== this.#current?.version) {
      // Another holder signed in as someone else meanwhile: never switch users silently.
      if (!sameUser(this.#current?.tokens, stored.tokens))
        throw this.#signInRequired(
          new OAuthKitError('sign_in_required', "the stored tokens are now another user's (signed in elsewhere): sign in again"),
        )
      const staleToken = this.#current?.stale ? this.#current.tokens.accessToken : undefined
      this.#current = this.#toCurrent(stored.tokens, stored.version)
      if (stored.tokens.accessToken === staleToken) this.#current.stale = true
      if (this.#isFresh(this.#current)) return this.#current.tokens
    }
    if (this.#unsaved) return this.#commit(this.#unsaved, stored?.version, epoch)

    const started = this.#clock.now()
    // A refresh token past the expiry the server stated is never sent: sign in (or obtain) anew.
    const held = this.#current?.tokens
    const expired = held?.refreshExpiresAt !== undefined && started >= held.refreshExpiresAt
    const refreshToken = expired ? undefined : held?.refreshToken
    // Paused after failures a moment ago: callers without a usable token are told at once.
    if (started < this.#gate.until) {
      this.#report('paused', started)
      throw this.#gate.paused(started, this.#lastFailure)
    }
    let next: TokenSet
    let expected = stored?.version
    const signal = this.#signOut.signal
    try {
      if (refreshToken && this.#refresh) next = await this.#refresh(refreshToken, signal, this.#current?.tokens, this.#retry)
      else if (this.#obtain) next = await this.#obtain(signal, this.#retry)
      else if (expired)
        throw new OAuthKitError(
          'sign_in_required',
          `the refresh token expired at ${new Date(held.refreshExpiresAt!).toISOString()}, as the server said it would: sign in again`,
        )
      else throw new OAuthKitError('sign_in_required', 'no tokens and no way to obtain them: sign in first')
    } catch (err) {
      // Signed out meanwhile (the requests were aborted): nothing to count against the server.
      if (epoch !== this.#epoch) throw signedOutMeanwhile()
      if (isTransient(err)) return this.#failed(err, refreshToken, started)
      next = await this.#recover(err, refreshToken, signal)
      // The refused set may have left the store meanwhile (#forget): save against what is there now.
      expected = (await this.#load().catch(() => stored))?.version
    }
    this.#gate.succeeded(refreshToken, next.refreshToken)
    this.#report('renewed', started)
    return this.#commit(next, expected, epoch)
  }

  /**
   * A renewal failed for a passing reason: pause (the circuit), then serve the current access
   * token while it lasts, or tell the callers, with when to try again.
   */
  #failed(error: OAuthKitError, refreshToken: string | undefined, started: number): TokenSet {
    const now = this.#clock.now()
    this.#gate.failed(now, error, refreshToken)
    this.#lastFailure = reasonOf(error)
    const c = this.#current
    if (c && !c.stale && now < (c.tokens.expiresAt ?? Infinity)) {
      this.#report('kept-current', started, error)
      this.#schedule()
      return c.tokens
    }
    this.#report('failed', started, error)
    this.#emit('refresh-failed', error)
    if (error.retryAfter === undefined) Object.assign(error, { retryAfter: this.#gate.retryAfter(now) })
    throw error
  }

  #report(outcome: RenewalEvent['outcome'], started: number, error?: OAuthKitError): void {
    const now = this.#clock.now()
    const event: RenewalEvent = { outcome, failures: this.#gate.failures, duration: now - started }
    if (error) event.reason = reasonOf(error)
    if (outcome !== 'renewed') event.retryAfter = this.#gate.retryAfter(now)
    this.#emit('renewal', event)
  }

  /** After a failed refresh: re-read the store once on invalid_grant, then obtain, then give up. */
  async #recover(err: unknown, usedRefreshToken: string | undefined, signal: AbortSignal): Promise<TokenSet> {
    const error = toError(err)
    if (error.code === 'sign_in_required') throw this.#signInRequired(error)
    if (error.error !== 'invalid_grant' || usedRefreshToken === undefined) {
      this.#emit('refresh-failed', error)
      throw error
    }
    const again = await this.#load()
    let refused = usedRefreshToken
    if (again && again.tokens.refreshToken !== usedRefreshToken) {
      this.#current = this.#toCurrent(again.tokens, again.version)
      if (this.#isFresh(this.#current)) return again.tokens
      if (again.tokens.refreshToken && this.#refresh) {
        try {
          return await this.#refresh(again.tokens.refreshToken, signal, again.tokens, this.#retry)
        } catch (retryError) {
          if (toError(retryError).error !== 'invalid_grant') throw toError(retryError)
          refused = again.tokens.refreshToken
        }
      }
    }
    await this.#forgetRefused(refused)
    if (this.#obtain) return this.#obtain(signal, this.#retry)
    throw this.#signInRequired(
      new OAuthKitError('sign_in_required', 'the refresh token was refused (invalid_grant): sign in again', {
        cause: error,
        error: 'invalid_grant',
      }),
    )
  }

  /**
   * A refresh token the server refused is never sent again: its token set leaves the store, but
   * only if the store still holds it (compare-and-delete on the version), so a newer set another
   * holder saved meanwhile stays. A store that fails here changes nothing the caller is told.
   */
  async #forgetRefused(refused: string): Promise<void> {
    try {
      const stored = await this.#load()
      if (stored?.tokens.refreshToken === refused) await this.#store.clear(stored.version)
    } catch {
      // a conflict means someone else wrote: theirs is newer
    }
  }

  #signInRequired(error: OAuthKitError): OAuthKitError {
    this.#stopTimer()
    this.#current = undefined
    if (!this.#signedOut) this.#emit('sign-in-required', error)
    this.#signedOut = true
    return error
  }

  /**
   * Saves and takes new tokens — unless a sign-out (`clear`) came after the renewal or sign-in
   * that brought them started (`epoch`): then they are dropped, and removed again if their save
   * raced the sign-out's.
   */
  async #commit(tokens: TokenSet, expectedVersion: number | undefined, epoch: number, attempt = 1): Promise<TokenSet> {
    if (epoch !== this.#epoch) throw signedOutMeanwhile()
    let version: number
    try {
      version = await this.#store.save(tokens, expectedVersion, this.#owner)
    } catch (err) {
      if (epoch !== this.#epoch) throw signedOutMeanwhile()
      // A conflict means another writer saved meanwhile; give up after a few rounds of it.
      const stored = isOAuthKitError(err) && err.code === 'store_conflict' && attempt < 3 ? await this.#load() : undefined
      if (stored) {
        // Someone else stored a newer set meanwhile: use theirs when it is fresh.
        const theirs = this.#toCurrent(stored.tokens, stored.version)
        if (this.#isFresh(theirs)) {
          this.#current = theirs
          this.#unsaved = undefined
          return theirs.tokens
        }
        return this.#commit(tokens, stored.version, epoch, attempt + 1)
      }
      if (tokens.refreshToken === undefined) {
        // Nothing in them can be spent twice: serve them from memory; the next renewal saves.
        this.#current = this.#toCurrent(tokens, undefined)
        this.#schedule()
        return tokens
      }
      this.#unsaved = tokens
      throw new OAuthKitError(
        'persist_failed',
        'the token store refused the new tokens; they are kept in memory and saved on the next renewal',
        { cause: err },
      )
    }
    if (epoch !== this.#epoch) {
      await this.#store.clear(version).catch(() => {})
      throw signedOutMeanwhile()
    }
    this.#unsaved = undefined
    this.#signedOut = false
    this.#current = this.#toCurrent(tokens, version)
    this.#schedule()
    if (this.#current.noticeAt !== undefined && this.#clock.now() >= this.#current.noticeAt) this.#noticeRefreshExpiry(this.#current)
    for (const listener of this.#listeners.tokens) {
      try {
        await listener(tokens)
      } catch (err) {
        throw new OAuthKitError('persist_failed', 'a "tokens" listener failed (the tokens are stored and in use)', { cause: err })
      }
    }
    return tokens
  }

  #toCurrent(tokens: TokenSet, version: number | undefined): Current {
    let refreshAt: number | undefined
    if (tokens.expiresAt !== undefined) {
      const lifetime = tokens.expiresAt - this.#clock.now()
      refreshAt = tokens.expiresAt - Math.min(this.#skew, Math.max(0, lifetime / 2))
    }
    let noticeAt: number | undefined
    if (tokens.refreshExpiresAt !== undefined && tokens.refreshToken !== undefined) {
      const left = tokens.refreshExpiresAt - this.#clock.now()
      noticeAt = tokens.refreshExpiresAt - Math.min(this.#notice, Math.max(0, left / 2))
    }
    return { tokens, version, refreshAt, noticeAt, stale: false }
  }

  #schedule(): void {
    this.#stopTimer()
    const due = this.#current?.refreshAt
    // After a failure, not before the pause ends.
    const at = due === undefined ? undefined : Math.max(due, this.#gate.until)
    if (!this.#background || at === undefined) return
    const delay = Math.min(Math.max(0, at - this.#clock.now()), MAX_TIMER_DELAY_MS)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      // A timer that fired a moment early finds the token still fresh: set it again. Failures
      // reach the events; the next caller (or the pause's timer) tries again.
      this.#ensureFresh().then(
        () => this.#timer ?? this.#schedule(),
        () => {},
      )
    }, delay)
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #emit<K extends Exclude<keyof TokenEvents, 'tokens'>>(event: K, value: Parameters<TokenEvents[K]>[0]): void {
    for (const listener of this.#listeners[event]) {
      try {
        ;(listener as (value: unknown) => void)(value)
      } catch {
        // a listener's own failure must not replace the error being reported
      }
    }
  }
}

function signedOutMeanwhile(): OAuthKitError {
  return new OAuthKitError('sign_in_required', 'signed out while new tokens were on their way: they were dropped; sign in again')
}

function toError(err: unknown): OAuthKitError {
  if (isOAuthKitError(err)) return err
  // The class the table gives the code (ResponseError), as every other error of the family.
  return oauthKitError('invalid_response', `token renewal failed: ${cleanText(err instanceof Error ? err.message : err)}`, { cause: err })
}

/** Whether two token sets are the same user's as far as their ID tokens tell (no ID token: nothing says otherwise). */
export function sameUser(a: TokenSet | undefined, b: TokenSet): boolean {
  const one = a?.idTokenClaims?.sub
  const two = b.idTokenClaims?.sub
  return one === undefined || two === undefined || one === two
}
