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
 */
export type ErrorCode =
  // configuration and arguments
  | 'invalid_config'
  | 'insecure_url'
  | 'missing_endpoint'
  | 'unsupported_auth_method'
  // transport
  | 'network_error'
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
  | 'invalid_metadata'
  | 'invalid_response'
  | 'state_mismatch'
  | 'missing_state'
  | 'iss_mismatch'
  | 'missing_iss'
  | 'missing_code'
  | 'invalid_id_token'
  // the server said no (RFC 6749 §5.2 and friends); `error` holds the server's code
  | 'oauth_error'
  // device authorization ran past its own deadline
  | 'device_flow_expired'
  // sessions
  | 'sign_in_required'
  | 'store_conflict'
  | 'persist_failed'

export interface OAuthKitErrorOptions {
  cause?: unknown
  recovery?: Recovery
  status?: number
  error?: string
  errorDescription?: string
  errorUri?: string
  scope?: string
  url?: string
  response?: Response
}

/** The recovery of each code whose recovery is not `fix-config` (the default). */
const RECOVERY: Partial<Record<ErrorCode, Recovery>> = {
  network_error: 'retry',
  timeout: 'retry',
  not_json: 'retry',
  invalid_json: 'retry',
  unexpected_status: 'retry',
  store_conflict: 'retry',
  persist_failed: 'retry',
  aborted: 'none',
  state_mismatch: 'reauthenticate',
  missing_state: 'reauthenticate',
  iss_mismatch: 'reauthenticate',
  missing_iss: 'reauthenticate',
  missing_code: 'reauthenticate',
  invalid_id_token: 'reauthenticate',
  device_flow_expired: 'reauthenticate',
  sign_in_required: 'reauthenticate',
}

/** Recovery for the `error` codes of RFC 6749, RFC 6750, RFC 8628 and OpenID Connect. */
const OAUTH_ERROR_RECOVERY: Record<string, Recovery> = {
  invalid_grant: 'reauthenticate',
  access_denied: 'reauthenticate',
  expired_token: 'reauthenticate',
  invalid_token: 'reauthenticate',
  login_required: 'reauthenticate',
  consent_required: 'reauthenticate',
  interaction_required: 'reauthenticate',
  account_selection_required: 'reauthenticate',
  insufficient_scope: 'insufficient-scope',
  temporarily_unavailable: 'retry',
  server_error: 'retry',
  slow_down: 'retry',
  authorization_pending: 'retry',
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
  declare readonly response?: Response

  constructor(code: ErrorCode, message: string, options: OAuthKitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    const error = options.error
    this.recovery =
      options.recovery ??
      (error !== undefined && Object.hasOwn(OAUTH_ERROR_RECOVERY, error) ? OAUTH_ERROR_RECOVERY[error] : undefined) ??
      RECOVERY[code] ??
      'fix-config'
    if (options.status !== undefined) this.status = options.status
    if (options.error !== undefined) this.error = options.error
    if (options.errorDescription !== undefined) this.errorDescription = options.errorDescription
    if (options.errorUri !== undefined) this.errorUri = options.errorUri
    if (options.scope !== undefined) this.scope = options.scope
    if (options.url !== undefined) this.url = options.url
    Object.defineProperty(this, 'response', {
      value: options.response,
      enumerable: false,
      writable: false,
    })
  }
}

/**
 * The options, the metadata or an argument is wrong. Always `recovery: 'fix-config'`.
 *
 * @example
 * if (err instanceof ConfigError) console.error(`fix the configuration: ${err.message}`)
 */
export class ConfigError extends OAuthKitError {
  override name = 'ConfigError'
}

/**
 * The request did not complete: network failure, timeout, cancellation, refused redirect.
 *
 * @example
 * if (err instanceof NetworkError && err.code === 'timeout') retryLater()
 */
export class NetworkError extends OAuthKitError {
  override name = 'NetworkError'
}

/**
 * A server answered with something the protocol does not allow.
 *
 * @example
 * if (err instanceof ResponseError) console.error(err.code, err.status, err.url)
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
