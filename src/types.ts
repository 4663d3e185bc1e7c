/**
 * The normalised token set every grant returns (camelCase; absolute expiry).
 *
 * `expiresAt` is epoch milliseconds, or `undefined` when the server stated no usable lifetime
 * (see docs/tokens.md for the policy on missing, zero, negative, empty and huge `expires_in`).
 *
 * @group Types
 */
export interface TokenSet {
  accessToken: string
  /** Lower-cased (`bearer`, `dpop`, …), as RFC 6749 §7.1 makes it case-insensitive. */
  tokenType: string
  expiresAt?: number
  refreshToken?: string
  /**
   * When the refresh token stops being accepted (epoch ms), when the server said: the earliest
   * of `refresh_token_expires_in` (GitHub, Entra ID and others), and the IETF draft's
   * `refresh_token_timeout` and `authorization_expires_in` (draft-ietf-oauth-refresh-token-expiration).
   * A session never sends it after that (docs/tokens.md).
   */
  refreshExpiresAt?: number
  /** The granted scope, when the server said (RFC 6749 §5.1). */
  scope?: string
  idToken?: string
  /** Validated ID token claims, when an ID token came back. */
  idTokenClaims?: Record<string, unknown>
  /** What the server granted in detail (RFC 9396 §7), as it sent it: an array of objects with a `type`. */
  authorizationDetails?: AuthorizationDetail[]
  /** Every other field the server sent, unchanged. */
  extra: Record<string, unknown>
}

/**
 * One entry of `authorization_details` (RFC 9396, Rich Authorization Requests): what is asked
 * for — or was granted — beyond a scope, as an object with a `type` the server defines and the
 * common fields of §2.2; any other field of the type goes beside them.
 *
 * @example
 * const payment: AuthorizationDetail = { type: 'payment_initiation', actions: ['initiate'], instructedAmount: { currency: 'EUR', amount: '123.50' } }
 *
 * @group Types
 */
export interface AuthorizationDetail {
  type: string
  locations?: string[]
  actions?: string[]
  datatypes?: string[]
  identifier?: string
  privileges?: string[]
  [field: string]: unknown
}

/**
 * A JSON value as servers send it.
 *
 * @group Types
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/**
 * Authorization server metadata (RFC 8414 §2, OpenID Connect Discovery §3). Unknown fields are kept.
 *
 * @group Types
 */
export interface AuthorizationServerMetadata {
  issuer: string
  authorization_endpoint?: string
  token_endpoint?: string
  jwks_uri?: string
  registration_endpoint?: string
  scopes_supported?: string[]
  response_types_supported?: string[]
  response_modes_supported?: string[]
  grant_types_supported?: string[]
  token_endpoint_auth_methods_supported?: string[]
  token_endpoint_auth_signing_alg_values_supported?: string[]
  revocation_endpoint?: string
  introspection_endpoint?: string
  userinfo_endpoint?: string
  end_session_endpoint?: string
  device_authorization_endpoint?: string
  /** OpenID CIBA Core §4: where backchannel authentication requests go. */
  backchannel_authentication_endpoint?: string
  backchannel_token_delivery_modes_supported?: string[]
  /** RFC 9126 §5. */
  pushed_authorization_request_endpoint?: string
  /** RFC 9126 §5: authorization requests must be pushed. */
  require_pushed_authorization_requests?: boolean
  code_challenge_methods_supported?: string[]
  authorization_response_iss_parameter_supported?: boolean
  id_token_signing_alg_values_supported?: string[]
  [key: string]: unknown
}

/**
 * The one small key-value shape oauthkit keeps anything but a session's tokens in: an MCP
 * client's registrations and tokens (`createMcpAuth({ storage })`), a fleet's DPoP key beside
 * its tokens (`store.keys`), and a {@link TokenStore} over it (`keyValueTokenStore`). Values are
 * JSON text; they may hold refresh tokens, client secrets and private keys, so keep them where
 * you would keep a password (a keychain, a file readable by the user only). `get` and `set` may
 * be synchronous.
 *
 * @example
 * const storage: KeyValueStore = { get: (key) => keychain.read(key), set: (key, value) => keychain.write(key, value) }
 *
 * @group Tokens and sessions
 */
export interface KeyValueStore {
  /** The value stored under `key`, or undefined. */
  get(key: string): Promise<string | undefined> | string | undefined
  /** Stores `value` under `key`; `undefined` removes the key. */
  set(key: string, value: string | undefined): Promise<void> | void
  /**
   * Stores `value` under `key` unless the key holds one — atomically for every process sharing
   * the store — and returns what it holds then (the first writer's). Optional: without it, a
   * read then a write, safe within one process. `fileStore`'s and `redisStore`'s `keys` have it.
   */
  setOnce?(key: string, value: string): Promise<string>
  /**
   * Replaces the value under `key` with `value` (`undefined` removes it) only if it holds
   * `expected` now (`undefined`: no value) — atomically for every process sharing the store —
   * and says whether it did. Optional: without it, a read then a write, safe within one
   * process. With it, an MCP client's registrations and tokens (`keyValueTokenStore`) are safe
   * for several processes on one store: `memoryKeyValueStore`, `fileKeyValueStore` and
   * `redisStore`'s `keys` have it.
   */
  swap?(key: string, expected: string | undefined, value: string | undefined): Promise<boolean>
}

/**
 * Protected resource metadata (RFC 9728 §2).
 *
 * @group Types
 */
export interface ProtectedResourceMetadata {
  resource: string
  authorization_servers?: string[]
  scopes_supported?: string[]
  bearer_methods_supported?: string[]
  resource_name?: string
  [key: string]: unknown
}

/**
 * How token requests are retried after a passing failure (docs/sessions.md). Every field is
 * optional; `false` instead of a policy turns retrying off.
 *
 * @example
 * const client = await createOAuthClient({ issuer, clientId, clientSecret, retry: { attempts: 5, maxElapsed: 30_000 } })
 *
 * @group Types
 */
export interface RetryPolicy {
  /** Tries in all, the first included. Default 5. */
  attempts?: number
  /** The first backoff step (ms); each next one doubles, and the wait is a random part of it (full jitter). Default 250. */
  baseDelay?: number
  /**
   * The longest wait between two tries (ms). A server's `Retry-After` is waited out when it is
   * no longer than this; a longer one ends the retries (the error carries `retryAfter`), so
   * nothing is ever sent sooner than the server asked. Default 5 000.
   */
  maxDelay?: number
  /**
   * The call's deadline with its retries (ms after the first try starts): no retry starts after
   * it, and a retry's try may take only what is left of it (less than `timeout` then) — a call
   * ends within this, or within its first try's `timeout` when that is longer. Default 15 000.
   */
  maxElapsed?: number
  /** Told of each retry before its wait. Nothing secret is in the event. */
  onRetry?: (event: RetryEvent) => void
  /** The jitter's source of numbers in [0, 1). Default `Math.random` (tests give their own). */
  random?: () => number
}

/**
 * One retry of a token request: which operation, which try comes next, after what wait, and why.
 *
 * @group Types
 */
export interface RetryEvent {
  operation: string
  /** The try about to be made (2 for the first retry). */
  attempt: number
  /** The wait before it (ms). */
  delay: number
  /** What failed: the error code, and the server's `error` or the HTTP status when there was one. */
  reason: string
}

/**
 * What a fetch wrapper needs of a DPoP key (`createDPoP()` gives one).
 *
 * @group DPoP
 */
export interface TokenProof {
  /** A proof for `method` and `url`, bound to `accessToken` (`ath`), with the origin's last nonce. */
  proof(method: string, url: string, accessToken?: string): Promise<string>
  /** Keeps the server's `DPoP-Nonce`; true when the response asks for the request again with it. */
  observe(url: string, response: Response): boolean
  /** The headers that carry `accessToken` to `url`: `Authorization: DPoP …` and the proof. */
  headers(accessToken: string, method: string, url: string): Promise<Record<string, string>>
  /**
   * Sends a request with the token and a proof (`init.headers` is a Headers object to add them
   * to); when the server asks for a nonce, once more with it, if the body can be sent again.
   */
  send(
    fetch: typeof globalThis.fetch,
    accessToken: string,
    url: string,
    init: RequestInit & { headers: Headers },
    request?: Request,
  ): Promise<Response>
}

/** Ten minutes: the lifetime RFC 6749 §4.1.2 recommends at most for an authorization code. */
export const DEFAULT_MAX_PENDING_AGE_MS = 10 * 60 * 1000
