/**
 * One error family for everything oauthkit throws.
 *
 * - `code` is a stable string from {@link ErrorCode}: branch on it, not on the message.
 * - `recovery` says what a caller can do about it: retry later, send the user through sign-in
 *   again, fix the configuration, or ask for more scope.
 * - `error` / `errorDescription` / `errorUri` carry what an OAuth server sent (RFC 6749 §5.2,
 *   §4.1.2.1, RFC 6750 §3); `status` the HTTP status when there was a response.
 * - `response` is kept non-enumerable so that logging the error never dumps headers.
 * - Messages never contain a token, a secret or a query string.
 *
 * @group Errors
 */

export type Recovery =
  /** Transient: the same call may succeed later (network, 5xx, `temporarily_unavailable`). */
  | 'retry'
  /** The grant is gone or was refused: the user must sign in again. */
  | 'reauthenticate'
  /** The client, the server metadata or the call is wrong: a developer must fix it. */
  | 'fix-config'
  /** The token works but lacks scope: request it with the scope named in `scope`. */
  | 'insufficient-scope'
  /** Nothing to recover: the caller cancelled. */
  | 'none'

/**
 * The stable codes of oauthkit errors: branch on these, not on messages. docs/errors.md says what each means.
 *
 * @group Errors
 */
export type ErrorCode =
  // configuration and arguments
  | 'invalid_config'
  | 'insecure_url'
  | 'missing_endpoint'
  | 'unsupported_auth_method'
  // transport
  | 'network_error'
  | 'unknown_host'
  | 'timeout'
  | 'aborted'
  | 'redirect_refused'
  // what came back is not what the protocol allows
  | 'discovery_failed'
  | 'not_json'
  | 'invalid_json'
  | 'response_too_large'
  | 'unexpected_status'
  | 'issuer_mismatch'
  | 'resource_mismatch'
  | 'untrusted_issuer'
  | 'invalid_metadata'
  | 'invalid_response'
  | 'state_mismatch'
  | 'missing_state'
  | 'iss_mismatch'
  | 'missing_iss'
  | 'missing_code'
  | 'invalid_id_token'
  | 'invalid_logout_token'
  // the server said no (RFC 6749 §5.2 and friends); `error` holds the server's code
  | 'oauth_error'
  // device authorization ran past its own deadline
  | 'device_flow_expired'
  // a pending sign-in already completed, or too old
  | 'stale_sign_in'
  | 'no_pending_sign_in'
  // sessions
  | 'sign_in_required'
  | 'circuit_open'
  | 'store_conflict'
  | 'persist_failed'

/**
 * What an OAuthKitError carries besides its code and message: the cause, the status, the server's error fields, the URL, Retry-After, the response.
 *
 * @group Errors
 */
export interface OAuthKitErrorOptions {
  cause?: unknown
  status?: number
  error?: string
  errorDescription?: string
  errorUri?: string
  scope?: string
  url?: string
  /** Seconds the server asked to wait (its `Retry-After`). */
  retryAfter?: number
  response?: Response
}

/** The classes of the error family, by name. */
export type ErrorClassName = 'OAuthKitError' | 'ConfigError' | 'NetworkError' | 'ResponseError' | 'OAuthServerError'

/**
 * The one table: each code's class, and its recovery when neither the HTTP status nor the
 * server's `error` decides (see {@link recoveryOf}), as rows of codes that share both.
 * docs/errors.md is checked against it.
 */
export const ERROR_TABLE: ReadonlyArray<readonly [ErrorClassName, Recovery, string]> = [
  ['ConfigError', 'fix-config', 'invalid_config insecure_url missing_endpoint unsupported_auth_method'],
  ['NetworkError', 'retry', 'network_error timeout'],
  ['NetworkError', 'none', 'aborted'],
  ['NetworkError', 'fix-config', 'redirect_refused unknown_host'],
  [
    'ResponseError',
    'fix-config',
    'discovery_failed not_json invalid_json response_too_large unexpected_status issuer_mismatch resource_mismatch untrusted_issuer invalid_metadata invalid_response invalid_logout_token',
  ],
  ['ResponseError', 'reauthenticate', 'state_mismatch missing_state iss_mismatch missing_iss missing_code invalid_id_token'],
  ['OAuthServerError', 'fix-config', 'oauth_error'],
  ['OAuthKitError', 'reauthenticate', 'device_flow_expired sign_in_required stale_sign_in no_pending_sign_in'],
  ['OAuthKitError', 'retry', 'store_conflict persist_failed circuit_open'],
]

/** The row of {@link ERROR_TABLE} a code is in. */
export function errorRow(code: ErrorCode): readonly [ErrorClassName, Recovery, string] | undefined {
  return ERROR_TABLE.find((row) => row[2].split(' ').includes(code))
}

/**
 * The recovery of the OAuth `error` codes (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1; RFC 8628
 * §3.5; OpenID Connect Core §3.1.2.6) that is not `fix-config`: `invalid_client`,
 * `invalid_request`, `invalid_scope`, `unauthorized_client`, `unsupported_grant_type` and
 * every unknown code are the client's to fix.
 */
export const OAUTH_ERROR_RECOVERY: Readonly<Record<string, Recovery>> = {
  invalid_grant: 'reauthenticate',
  access_denied: 'reauthenticate',
  expired_token: 'reauthenticate',
  invalid_token: 'reauthenticate',
  login_required: 'reauthenticate',
  consent_required: 'reauthenticate',
  interaction_required: 'reauthenticate',
  account_selection_required: 'reauthenticate',
  // OpenID CIBA Core §11, §13: the request failed or its hint expired; ask again.
  transaction_failed: 'reauthenticate',
  expired_login_hint_token: 'reauthenticate',
  insufficient_scope: 'insufficient-scope',
  temporarily_unavailable: 'retry',
  server_error: 'retry',
  slow_down: 'retry',
  authorization_pending: 'retry',
}

/**
 * What a caller should do, from the code, the HTTP status and the server's `error`, in this
 * order: a 429 is always `retry` (the server said "later"); a known OAuth `error` decides;
 * any other 5xx is `retry`; otherwise the code's row of {@link ERROR_TABLE}.
 */
export function recoveryOf(code: ErrorCode, status?: number, error?: string): Recovery {
  if (status === 429) return 'retry'
  if (error !== undefined && Object.hasOwn(OAUTH_ERROR_RECOVERY, error)) return OAUTH_ERROR_RECOVERY[error] as Recovery
  if (status !== undefined && status >= 500 && code !== 'aborted') return 'retry'
  return errorRow(code)?.[1] ?? 'fix-config'
}

/**
 * Text from outside (a server's `error_description`, an excerpt of a body, a platform's
 * message) made fit for a message: control characters and markup removed, URLs without their
 * query or fragment, whitespace collapsed, at most `max` characters.
 */
export function cleanText(value: unknown, max = 200, { keepUrls = false }: { keepUrls?: boolean } = {}): string {
  let text: string
  try {
    text = String(value)
  } catch {
    text = '(unprintable)'
  }
  text = text.slice(0, max * 4)
  if (!keepUrls) text = text.replace(/<[^>]*>/g, ' ').replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)[?#][^\s"'<>]*/gi, '$1')
  text = withoutControls(text).replace(/\s+/g, ' ').trim()
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/**
 * Text without terminal escape sequences (whole: colours, titles, clipboard writes) and with
 * every other control character — C0, DEL, C1, and the Unicode marks that hide or reorder text
 * — replaced by a space. Tab and newline are kept when `keepLines`.
 */
export function withoutControls(text: string, keepLines = false): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- terminal escape sequences (colours, titles) go whole
      .replace(/(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?/g, '')
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/g, (c) =>
        keepLines && (c === '\n' || c === '\t') ? c : ' ',
      )
  )
}

/**
 * What an error keeps of its cause: an oauthkit error as it is; anything else (oauth4webapi's
 * errors carry the response body, the platform's may carry a URL) as a plain Error with the
 * name, the cleaned message and the code only, so no token or secret can ride along.
 */
function safeCause(cause: unknown): unknown {
  if (cause === undefined || isOAuthKitError(cause)) return cause
  const source = (typeof cause === 'object' && cause !== null ? cause : {}) as {
    name?: unknown
    message?: unknown
    code?: unknown
    cause?: { code?: unknown }
  }
  // A parser's message may quote the text it failed on (newer V8 does): that text may be a token.
  const message = cause instanceof SyntaxError ? 'the text is not valid JSON' : cleanText(source.message ?? cause, 300)
  const safe = new Error(message) as Error & { code?: string }
  if (typeof source.name === 'string') safe.name = cleanText(source.name, 60)
  const code = typeof source.code === 'string' ? source.code : typeof source.cause?.code === 'string' ? source.cause.code : undefined
  if (code !== undefined) safe.code = cleanText(code, 60)
  return safe
}

/**
 * The one error class oauthkit throws (and its subclasses): a stable `code`, a `recovery`, the server's `error` when there was one; no secret in it.
 *
 * @example
 * try {
 *   await session.fetch(url)
 * } catch (err) {
 *   if (isOAuthKitError(err) && err.recovery === 'reauthenticate') await app.login()
 *   else throw err
 * }
 *
 * @group Errors
 */
export class OAuthKitError extends Error {
  override name = 'OAuthKitError'
  readonly code: ErrorCode
  readonly recovery: Recovery
  readonly status?: number
  /** The `error` code the server sent, e.g. `invalid_grant`. */
  readonly error?: string
  readonly errorDescription?: string
  readonly errorUri?: string
  /** The scope a server asked for (`insufficient_scope`). */
  readonly scope?: string
  /** The URL involved, without its query string or fragment. */
  readonly url?: string
  /** Seconds the server asked to wait before trying again (its `Retry-After`), when it said. */
  readonly retryAfter?: number
  declare readonly response?: Response

  constructor(code: ErrorCode, message: string, options: OAuthKitErrorOptions = {}) {
    const cause = safeCause(options.cause)
    // Whatever server text a message quotes, no control character reaches a log or a terminal.
    super(withoutControls(String(message), true), cause === undefined ? undefined : { cause })
    this.code = code
    const error = options.error === undefined ? undefined : cleanText(options.error, 100)
    this.recovery = recoveryOf(code, options.status, error)
    if (options.status !== undefined) this.status = options.status
    if (error !== undefined) this.error = error
    if (options.errorDescription !== undefined) this.errorDescription = cleanText(options.errorDescription, 500)
    // A page about the error: kept whole (its query or #fragment may be the point), controls removed.
    if (typeof options.errorUri === 'string') this.errorUri = cleanText(options.errorUri, 2000, { keepUrls: true })
    if (options.scope !== undefined) this.scope = cleanText(options.scope, 500)
    if (options.url !== undefined) this.url = options.url
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter
    Object.defineProperty(this, 'response', {
      value: options.response,
      enumerable: false,
      writable: false,
    })
  }
}

/**
 * The options, the metadata or an argument is wrong.
 *
 * @example
 * if (err instanceof ConfigError) console.error(`fix the configuration: ${err.message}`)
 *
 * @group Errors
 */
export class ConfigError extends OAuthKitError {
  override name = 'ConfigError'
}

/**
 * The request did not complete: network failure, timeout, cancellation, refused redirect.
 *
 * @example
 * if (err instanceof NetworkError && err.code === 'timeout') retryLater()
 *
 * @group Errors
 */
export class NetworkError extends OAuthKitError {
  override name = 'NetworkError'
}

/**
 * A server answered with something the protocol does not allow.
 *
 * @example
 * if (err instanceof ResponseError) console.error(err.code, err.status, err.url)
 *
 * @group Errors
 */
export class ResponseError extends OAuthKitError {
  override name = 'ResponseError'
}

/**
 * A server answered with an OAuth error (`error`, `error_description`, `error_uri`): from the
 * token endpoint (RFC 6749 §5.2), the authorization response (§4.1.2.1) or a resource's
 * `WWW-Authenticate` challenge (RFC 6750 §3).
 *
 * @example
 * if (err instanceof OAuthServerError && err.error === 'invalid_grant') await app.login()
 *
 * @group Errors
 */
export class OAuthServerError extends OAuthKitError {
  override name = 'OAuthServerError'
}

const NAMES = new Set(['OAuthKitError', 'ConfigError', 'NetworkError', 'ResponseError', 'OAuthServerError'])

/**
 * True for any oauthkit error, also one thrown by another copy of oauthkit or from another
 * realm (an iframe, a worker): it matches on `name` and `code` as well as on the class.
 *
 * @example
 * if (isOAuthKitError(err)) console.error(err.code, err.recovery)
 *
 * @group Errors
 */
export function isOAuthKitError(value: unknown): value is OAuthKitError {
  if (value instanceof OAuthKitError) return true
  return (
    typeof value === 'object' &&
    value !== null &&
    NAMES.has((value as { name?: unknown }).name as string) &&
    typeof (value as { code?: unknown }).code === 'string'
  )
}

/** A URL fit for an error message: origin and path only (a query may hold a secret). */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname}`
  } catch {
    return '(invalid URL)'
  }
}

const CLASSES = { OAuthKitError, ConfigError, NetworkError, ResponseError, OAuthServerError }

/**
 * An error of the class {@link ERROR_TABLE} gives its code.
 *
 * @example
 * throw oauthKitError('unexpected_status', 'the token endpoint answered 502', { status: 502 })
 */
export function oauthKitError(code: ErrorCode, message: string, options: OAuthKitErrorOptions = {}): OAuthKitError {
  return new CLASSES[errorRow(code)?.[0] ?? 'OAuthKitError'](code, message, options)
}

/** A passing failure: the same request may succeed later (network, timeout, 429, 5xx, `temporarily_unavailable`). */
/** A chunk of oauthkit's code (`what` it does) that could not be loaded: a deploy replaced it, the network dropped. Try again. */
export function unloadedChunk(what: string, cause?: unknown): NetworkError {
  return new NetworkError('network_error', `${what} (a chunk of oauthkit's code) could not be loaded: try again`, { cause })
}

export function isTransient(err: unknown): err is OAuthKitError {
  return isOAuthKitError(err) && err.recovery === 'retry'
}

/**
 * A passing failure after which the server certainly did nothing: it said so (429, 503,
 * `temporarily_unavailable`). Anything else transient — a timeout, a reset connection, a 500 —
 * may have been processed, which matters for a request that spends something (a rotating
 * refresh token).
 */
export function isUnprocessed(err: unknown): boolean {
  return isTransient(err) && (err.status === 429 || err.status === 503 || err.error === 'temporarily_unavailable')
}

/** What failed, for an event: never a message (messages are safe too, but events stay plain data). */
export function reasonOf(err: OAuthKitError): string {
  return [err.code, err.error ?? err.status].filter((part) => part !== undefined).join(' ')
}
