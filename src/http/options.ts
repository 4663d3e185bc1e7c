import type { Clock } from '../internal/clock.js'
import type { RetryPolicy } from '../types.js'
import type { Dialect } from '../dialects/types.js'

/**
 * The one configuration shape of everything in oauthkit that talks to a server: clients
 * (`createOAuthClient`, `createBrowserClient`, `createClientCredentialsSession`), the plain
 * functions' contexts, discovery, registration and the vendors' own operations all take these
 * fields, flat, beside their own. Every field is optional.
 *
 * @example
 * const options: HttpOptions = { timeout: 10_000, headers: { 'user-agent': 'my-app/1.0' }, onWarning: (w) => log.warn(w.message) }
 * const client = await createOAuthClient({ issuer, clientId, clientSecret, ...options })
 *
 * @group Start here
 */
export interface HttpOptions {
  /** The fetch to use; defaults to `globalThis.fetch`, looked up at call time. */
  fetch?: typeof fetch
  /** Milliseconds before a request (headers and body) is abandoned. Default 30 000. */
  timeout?: number
  /** Allow plain `http:` to hosts other than loopback. Default false. */
  allowInsecureHttp?: boolean
  /** The largest response body read, in bytes. Default 1 MiB. */
  maxResponseBytes?: number
  /**
   * Headers of every request to an OAuth endpoint (a User-Agent, say): they replace a default,
   * never what the protocol sets (`authorization`, `dpop`, `content-type`, `accept`).
   */
  headers?: Record<string, string>
  /** Vendor quirks: a preset's dialect, or one declared with `defineDialect`. */
  dialect?: Dialect
  /** Told about anything oauthkit corrected on its own (an `expires_in` unit it had to guess). Never a secret in it. */
  onWarning?: (warning: { code: string; message: string }) => void
  /** Where time comes from (tests, or a server clock known to be off). Default: the system clock. */
  clock?: Clock
  /**
   * Cancels this call's requests: a function's (`discover`, `registerClient`, …) or a
   * constructor's own discovery (`createOAuthClient`, `createClientCredentialsSession`). Never
   * kept: a context, client, session or browser client is not cancelled by it later — pass
   * `signal` to each call instead.
   */
  signal?: AbortSignal
  /**
   * How token requests are retried after a passing failure (docs/sessions.md), or `false` for
   * never. Default: 5 tries within 15 s, exponential backoff with full jitter from 250 ms,
   * `Retry-After` honoured up to 5 s. An authorization code is never sent twice, and a refresh
   * token only when the server said it did nothing with it.
   */
  retry?: RetryPolicy | false
  /**
   * A tracing hook: called as each request to an OAuth endpoint starts, it may return a
   * function called when it ends, with its status or its error's code. Wire it to
   * OpenTelemetry spans, or anything else; no token or secret is passed to it.
   */
  trace?: (request: TraceStart) => ((end: TraceEnd) => void) | void
  /**
   * Verify the signature of every ID token with the server's keys (`jwks_uri`), not only its
   * claims. Default: when the token endpoint is not `https:` — an ID token straight from an
   * `https:` token endpoint is believed by TLS, as OpenID Connect Core §3.1.3.7 (6) allows.
   * The checking code is a chunk loaded only when one is verified (docs/oidc.md).
   */
  verifyIdTokens?: boolean
}

/**
 * What the tracing hook is told when a request starts: the operation, the endpoint, the URL without its query.
 *
 * @group Start here
 */
export interface TraceStart {
  operation: string
  endpoint: string
  url: string
}

/**
 * What the tracing hook is told when a request ends: the HTTP status when there was an answer, the error's code when it failed.
 *
 * @group Start here
 */
export interface TraceEnd {
  status?: number
  error?: string
  /** Milliseconds it took. */
  duration: number
}

const FIELDS = [
  'fetch',
  'timeout',
  'allowInsecureHttp',
  'maxResponseBytes',
  'headers',
  'dialect',
  'onWarning',
  'clock',
  'signal',
  'retry',
  'trace',
  'verifyIdTokens',
] as const

/** The {@link HttpOptions} fields of a larger options object (those that are set). */
export function pickHttpOptions(options: HttpOptions | undefined): HttpOptions {
  const out: Record<string, unknown> = {}
  for (const key of FIELDS) if (options?.[key] !== undefined) out[key] = options[key]
  return out as HttpOptions
}
