import type { ExpiresInPolicy } from '../wire/token.js'

/**
 * The operations oauthkit sends requests for; a dialect may treat each differently.
 *
 * @group Dialects
 */
export type Endpoint =
  | 'discovery'
  | 'resource_metadata'
  | 'token'
  | 'revocation'
  | 'introspection'
  | 'userinfo'
  | 'registration'
  | 'device_authorization'
  | 'backchannel_authentication'
  | 'pushed_authorization_request'
  /** The server's keys (`jwks_uri`), for a signed userinfo answer. */
  | 'jwks'
  /** A vendor's own endpoint outside OAuth (a direct code request, a token list). */
  | 'vendor'

/**
 * A request as the transport is about to send it; a dialect may rewrite any part.
 *
 * @group Dialects
 */
export interface OutgoingRequest {
  url: URL
  method: string
  headers: Headers
  body?: string | undefined
}

/**
 * Where request parameters travel.
 *
 * @group Dialects
 */
export type Placement = 'form' | 'json' | 'query' | 'header'

/**
 * How client credentials travel to the token endpoint.
 *
 * @group Dialects
 */
export type CredentialsPlacement =
  /** `Authorization: Basic` (RFC 6749 §2.3.1). */
  | 'basic'
  /** `client_id` / `client_secret` with the other parameters (wherever those go). */
  | 'parameters'
  /** In the query string of the POST URL, whatever the other parameters do. */
  | 'query'

/**
 * What a dialect says: vendor quirks as data plus small pure transforms, applied on the
 * operation path after the protocol layer built a request and before it validates a
 * response, so its strict checks still run. Every field is optional; a dialect states only what differs
 * from the standard. Turn it into a {@link Dialect} with `defineDialect`.
 *
 * @group Dialects
 */
export interface DialectSpec {
  /** For messages: which vendor or document the dialect follows. */
  name: string
  /** Token endpoint requests (every grant, refresh included). */
  token?: {
    /** Where the parameters go. Default `form` (RFC 6749). */
    placement?: Placement
    /** Wire names: OAuth parameter → the name the server wants (`grant_type` → `x-grant-type`). */
    names?: Record<string, string>
    /** Headers to add, e.g. a `content-type` the server insists on. */
    headers?: Record<string, string>
    /** How client credentials travel. Default: the standard client authentication. */
    credentials?: CredentialsPlacement
    /** Parameters sent with every token request unless already present (e.g. a redirect URI the server wants on refresh too). */
    addParameters?: Record<string, string>
  }
  /** The unit of `expires_in` and the lifetime ceiling (docs/tokens.md). */
  expiresIn?: ExpiresInPolicy
  /** The `token_type` to assume when a token response has none. */
  defaultTokenType?: string
  /** The authorization request (front channel). */
  authorizationRequest?: {
    /**
     * `standard` (default): PKCE (S256), `state`, `nonce` with openid, and any extras.
     * `exact`: only `response_type`, `client_id`, `redirect_uri`, `scope` and `state`, for
     * servers that break on anything else (no PKCE: the server does not support it).
     */
    parameters?: 'standard' | 'exact'
  }
  /** The authorization response (the redirect back). */
  authorizationResponse?: {
    /** Where the server puts it. Default: the query, or the fragment when the query has none. */
    mode?: 'query' | 'fragment'
    /** Fields besides `code` to keep (they land in `TokenSet.extra`), e.g. `appCode`. */
    extraFields?: string[]
    /** `false` when the server does not echo `state` (then a missing state is accepted; a present one must still match). */
    stateEchoed?: boolean
  }
  /**
   * The vendor's own OAuth error codes, mapped onto the standard ones so that recovery works:
   * `{ refresh_token_not_found: 'invalid_grant' }` makes a dead refresh token a sign-in, not a
   * configuration error. The vendor's code is kept at the start of `errorDescription`.
   */
  errors?: Record<string, string>
  /** Revocation: the standard form body (RFC 7009), or the token in one header. */
  revocation?: { header: string }
  /**
   * A deviation of the server's discovery documents, declared — nothing else is relaxed, and
   * there is no switch that turns the issuer check off.
   */
  discovery?: {
    /**
     * The metadata names this `issuer`, a path-ancestor on the same origin of the issuer that
     * discovery is asked for (Atlassian: `https://auth.atlassian.com` for
     * `https://auth.atlassian.com/<tenant>`). Accepted for issuers under it, with exactly this
     * value, each time with an `onWarning` (`declared_issuer`); it is then the issuer every later
     * check uses (`iss` in the authorization response, ID tokens). Any other mismatch is still
     * `issuer_mismatch`.
     */
    ancestorIssuer?: string
  }
  /** Anything the data cannot say: rewrite a request. Runs after the data-driven rewrite. */
  request?(endpoint: Endpoint, request: OutgoingRequest): OutgoingRequest
  /** Rewrite a successful JSON body before it is validated. Runs after `defaultTokenType`. */
  responseBody?(endpoint: Endpoint, body: Record<string, unknown>): Record<string, unknown>
}

/** The two transforms a declared dialect runs: its data and its own hooks, compiled into one each. */
export interface DialectHooks {
  request(endpoint: Endpoint, request: OutgoingRequest): OutgoingRequest
  response(endpoint: Endpoint, body: Record<string, unknown>): Record<string, unknown>
  /** Rewrites the text of any answer that carries an OAuth error the dialect maps. */
  error(text: string): string
  /**
   * The issuer to hold a discovery answer to when the dialect declares that this server's
   * metadata names a path-ancestor of `expected` and the answer names exactly it (warned), else
   * undefined: the issuer asked for. `answer` is read from a clone.
   */
  issuer?(expected: URL, answer: Response, onWarning?: (warning: { code: string; message: string }) => void): Promise<URL | undefined>
}

/** Where a declared dialect keeps its compiled hooks (shared by every copy of oauthkit). */
export const HOOKS: unique symbol = Symbol.for('oauthkit.dialect.hooks') as never

/**
 * A declared dialect: a {@link DialectSpec} that `defineDialect` (or a preset, or
 * `composeDialects`) has checked and compiled. Only such a value is accepted where a dialect
 * is configured, so a plain object is a type error rather than a quirk silently ignored.
 *
 * @group Dialects
 */
export type Dialect = Readonly<DialectSpec> & {
  /** @internal The compiled transforms; what makes a dialect declared. */
  readonly [HOOKS]: DialectHooks
}

/** The compiled hooks of a declared dialect, or undefined for anything else. */
export function hooksOf(dialect: unknown): DialectHooks | undefined {
  return (dialect as { [HOOKS]?: DialectHooks } | undefined)?.[HOOKS]
}

/**
 * Endpoints given by hand, for servers that publish no discovery document.
 *
 * @group Dialects
 */
export interface Endpoints {
  authorization?: string
  token?: string
  revocation?: string
  introspection?: string
  userinfo?: string
  registration?: string
  deviceAuthorization?: string
  endSession?: string
  jwks?: string
}

/**
 * What a vendor preset contributes to `createOAuthClient` options: spread it in.
 *
 * @group Dialects
 */
export interface VendorPreset {
  dialect: Dialect
  issuer?: string
  endpoints?: Endpoints
  redirectUri?: string
}
