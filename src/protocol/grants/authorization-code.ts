import * as o from 'oauth4webapi'
import { ConfigError, OAuthKitError, ResponseError, cleanText, oauthKitError, type ErrorCode } from '../../errors.js'
import { parseUrl, userAgentUrl } from '../../internal/url.js'
import { DEFAULT_MAX_PENDING_AGE_MS, type AuthorizationDetail, type AuthorizationServerMetadata, type TokenSet } from '../../types.js'
import { checkedDetails } from '../../wire/token.js'
import { int, type IdTokenCheck, type OAuthContext } from '../run/context.js'
import { missingEndpoint, runAt } from '../run/operation.js'
import { grantParameters, tokenRequest, type GrantParameters } from '../run/token.js'
import { idTokenChecker, readIdToken } from '../run/id-token.js'

/**
 * What an authorization request asks for: the redirect URI, scope, and optional state, nonce, resource and extra parameters.
 *
 * @group Grants
 */
export interface AuthorizationUrlOptions {
  redirectUri: string
  scope?: string
  /** Generated when not given. */
  state?: string
  /** Generated when `scope` contains `openid` and not given. */
  nonce?: string
  /** RFC 8707 resource indicator(s). */
  resource?: string | string[]
  /** Rich Authorization Requests (RFC 9396): what is asked for beyond a scope (pushed too, with PAR). */
  authorizationDetails?: AuthorizationDetail[]
  /**
   * How the server returns the answer: in the query (the default for `code`), the fragment, or
   * `form_post` — a form the browser POSTs to the redirect URI (OAuth 2.0 Form Post Response
   * Mode), for a server-side app: hand the POST to {@link completeAuthorization}.
   */
  responseMode?: 'query' | 'fragment' | 'form_post'
  /** Anything else: `prompt`, `login_hint`, `audience`, … */
  extraParams?: Record<string, string>
  /**
   * Push the request to the server first (RFC 9126), so the browser carries only `client_id`
   * and a `request_uri`. Default: when the server requires it
   * (`require_pushed_authorization_requests`). `false` where the server requires it is an error.
   */
  par?: boolean
  /** Cancels the pushed authorization request. */
  signal?: AbortSignal
}

/**
 * What the callback needs to complete: keep it (e.g. in sessionStorage) between the redirect
 * and the callback. Plain data, safe to JSON-serialise; it holds the PKCE verifier, so never
 * put it in a URL or a cookie readable by another origin.
 *
 * @group Grants
 */
export interface PendingAuthorization {
  url: string
  state: string
  codeVerifier: string
  nonce?: string
  redirectUri: string
  /** The scope asked for: a token response without `scope` was granted it (RFC 6749 §5.1). */
  scope?: string
  /** When the sign-in started (epoch ms): a pending authorization expires (`maxPendingAge`). */
  createdAt?: number
}

/**
 * The fields of a pending authorization that completing it needs.
 *
 * @group Grants
 */
export type PendingCompletion = Pick<PendingAuthorization, 'state' | 'codeVerifier' | 'redirectUri' | 'nonce' | 'createdAt' | 'scope'>

/**
 * The states this process has completed, with when: a callback is redeemed once (the back
 * button or a replayed URL sends nothing). Entries older than the longest pending age asked
 * for are pruned, so the set stays small.
 */
const completed = new Map<string, number>()

function consume(state: string, now: number, maxAge: number): boolean {
  for (const [key, at] of completed)
    if (now - at > Math.max(maxAge, DEFAULT_MAX_PENDING_AGE_MS) || completed.size > 10_000) completed.delete(key)
  if (completed.has(state)) return false
  completed.set(state, now)
  return true
}

/**
 * Builds the authorization request URL with PKCE (S256, always), `state`, and `nonce` when
 * `openid` is requested.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
 *
 * @example
 * const pending = await buildAuthorizationUrl(ctx, { redirectUri: 'http://127.0.0.1:8765/cb', scope: 'openid offline_access' })
 * sessionStorage.setItem('pending', JSON.stringify(pending))
 * location.assign(pending.url)
 *
 * @group Grants
 */
export async function buildAuthorizationUrl(ctx: OAuthContext, options: AuthorizationUrlOptions): Promise<PendingAuthorization> {
  int(ctx)
  const authorizationEndpoint = ctx.metadata.authorization_endpoint
  if (typeof authorizationEndpoint !== 'string')
    throw missingEndpoint('the authorization code flow', 'authorization_endpoint', ctx.metadata)
  // The URL goes to a browser: checked before anything is built or pushed (docs/security.md).
  const insecure = int(ctx).options.allowInsecureHttp
  const endpoint = new URL(userAgentUrl(authorizationEndpoint, 'the authorization_endpoint', insecure))
  if (!options?.redirectUri) throw new ConfigError('invalid_config', 'redirectUri is required for the authorization code flow')
  parseUrl(options.redirectUri, 'redirectUri')
  const state = options.state ?? o.generateRandomState()
  // A dialect may say the server accepts exactly response_type, client_id, redirect_uri, scope
  // and state: then no PKCE, no nonce, no extras.
  const dialect = int(ctx).options.dialect
  const exact = dialect?.authorizationRequest?.parameters === 'exact'
  if (exact && !options.scope) throw new ConfigError('invalid_config', `${dialect?.name} requires a scope in the authorization request`)
  const codeVerifier = exact ? '' : o.generateRandomCodeVerifier()
  const nonce = exact
    ? undefined
    : (options.nonce ?? ((options.scope ?? '').split(' ').includes('openid') ? o.generateRandomNonce() : undefined))

  const params = endpoint.searchParams
  params.set('response_type', 'code')
  params.set('client_id', ctx.clientId)
  params.set('redirect_uri', options.redirectUri)
  if (options.scope) params.set('scope', options.scope)
  params.set('state', state)
  if (options.responseMode) params.set('response_mode', options.responseMode)
  if (!exact) {
    if (nonce) params.set('nonce', nonce)
    params.set('code_challenge', await o.calculatePKCECodeChallenge(codeVerifier))
    params.set('code_challenge_method', 'S256')
    for (const resource of options.resource === undefined ? [] : [options.resource].flat()) params.append('resource', resource)
    if (options.authorizationDetails) params.set('authorization_details', JSON.stringify(checkedDetails(options.authorizationDetails)))
    for (const [key, value] of Object.entries(options.extraParams ?? {})) params.set(key, value)
  }

  const scope = options.scope ? { scope: options.scope } : {}
  return {
    url: userAgentUrl(await pushedOrNot(ctx, endpoint, options), 'the authorization URL', insecure),
    state,
    codeVerifier,
    redirectUri: options.redirectUri,
    ...(nonce ? { nonce } : {}),
    ...scope,
    createdAt: int(ctx).clock.now(),
  }
}

/** Where the browser goes: the request pushed first (RFC 9126) when asked, and always when the server requires it; else the URL as built. */
async function pushedOrNot(ctx: OAuthContext, endpoint: URL, options: AuthorizationUrlOptions): Promise<string> {
  const required = ctx.metadata.require_pushed_authorization_requests === true
  if (options.par === false && required)
    throw new ConfigError('invalid_config', 'this server requires pushed authorization requests (RFC 9126)')
  if (!(options.par ?? required)) return endpoint.href
  // The pushing code is a chunk of its own, loaded only here.
  const { push } = await import('../endpoints/par.js')
  return push(
    ctx.clientId,
    int(ctx),
    endpoint,
    (op) => runAt(ctx, op, options.signal),
    o.OperationProcessingError,
    o.RESPONSE_IS_NOT_CONFORM,
  )
}

/**
 * Reads the authorization response — from the callback URL's query, or its fragment when the
 * query has neither `code` nor `error`; or, for `response_mode=form_post`, the POSTed form's
 * fields — and checks it: `state` (RFC 6749 §10.12), when the server advertises it `iss`
 * (RFC 9207 §2.4), and no `access_token` or `id_token` anywhere in it (implicit-flow leftovers
 * are refused). Returns the validated parameters.
 *
 * @example
 * const params = parseCallback(ctx, location.href, pending.state)
 * const code = params.get('code')
 *
 * @group Grants
 */
export function parseCallback(ctx: OAuthContext, callback: string | URL | URLSearchParams, expectedState: string): URLSearchParams {
  // A posted form's fields (form_post) are read as a query would be.
  const url = callback instanceof URLSearchParams ? undefined : parseUrl(callback, 'the callback URL')
  const query = url ? url.searchParams : (callback as URLSearchParams)
  const { as, client, options } = int(ctx)
  const response = options.dialect?.authorizationResponse
  const fragment = new URLSearchParams(url?.hash.slice(1))
  // Tokens in the front channel are an implicit or hybrid response (or one injected beside a
  // code): this client asked for response_type=code only (RFC 9700 §2.1.2), so none is redeemed.
  const leftover = ['access_token', 'id_token'].find((name) => query.has(name) || fragment.has(name))
  if (leftover)
    throw new ResponseError(
      'invalid_response',
      `authorization callback rejected: ${leftover} in it (an implicit-flow answer; check the client's response_type); nothing was redeemed`,
    )
  let params = response?.mode === 'fragment' ? fragment : query
  if (!response?.mode && !params.has('code') && !params.has('error') && (url?.hash.length ?? 0) > 1) params = fragment
  // A server that does not echo state (its dialect says so): accept none, but check one that came.
  const expected = response?.stateEchoed === false && !params.has('state') ? o.skipStateCheck : expectedState
  let validated: URLSearchParams
  try {
    validated = o.validateAuthResponse(as, client, params, expected)
  } catch (err) {
    throw translateCallbackError(err, params, expectedState, ctx.metadata)
  }
  if (!validated.get('code')) {
    throw new ResponseError('missing_code', 'authorization callback rejected: neither "code" nor "error" in it; is this the redirect URI?')
  }
  return validated
}

/**
 * Extra checks and cancellation for completing the authorization code flow.
 *
 * @group Grants
 */
export interface CompleteAuthorizationOptions {
  /** OpenID Connect `max_age` that was requested, to check `auth_time`. */
  maxAge?: number
  /** How old (ms) a pending authorization may be when it completes. Default ten minutes. */
  maxPendingAge?: number
  /** RFC 8707 resource indicator(s) for the token request too (as the MCP authorization spec asks). */
  resource?: string | string[]
  /** RFC 9396 §6.1: the authorization details this token is for (a subset of those authorized). */
  authorizationDetails?: AuthorizationDetail[]
  signal?: AbortSignal
}

/**
 * Completes the authorization code flow from the callback: validates the response, exchanges
 * the code with the PKCE verifier, and validates the ID token (nonce included) when there is
 * one. The callback is the URL the browser came back to, or — `response_mode=form_post` — the
 * POST it made (a `Request`, or its form fields as `URLSearchParams`), with the same checks.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 * @see https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html
 *
 * @example
 * const pending = JSON.parse(sessionStorage.getItem('pending')!)
 * const tokens = await completeAuthorization(ctx, location.href, pending)
 *
 * @group Grants
 */
export async function completeAuthorization(
  ctx: OAuthContext,
  callback: string | URL | URLSearchParams | Request,
  pending: PendingCompletion,
  options: CompleteAuthorizationOptions = {},
): Promise<TokenSet> {
  options ??= {}
  const { options: http, clock } = int(ctx)
  const { dialect } = http
  const exact = dialect?.authorizationRequest?.parameters === 'exact'
  if (!pending?.state || (!pending.codeVerifier && !exact) || !pending.redirectUri) {
    throw new ConfigError(
      'invalid_config',
      'completeAuthorization needs what buildAuthorizationUrl returned (state, codeVerifier, redirectUri)',
    )
  }
  // A posted form (form_post) is read by a chunk of its own, loaded only then: browsers never post one to themselves.
  const answer = callback instanceof Request ? await (await import('./form-post.js')).formOf(callback, ResponseError) : callback
  const params = parseCallback(ctx, answer, pending.state)
  const now = clock.now()
  const maxAge = options.maxPendingAge ?? DEFAULT_MAX_PENDING_AGE_MS
  if (typeof pending.createdAt === 'number' && now - pending.createdAt > maxAge) {
    throw new OAuthKitError(
      'stale_sign_in',
      `the sign-in started ${Math.round((now - pending.createdAt) / 60_000)} min ago, longer than maxPendingAge allows: sign in again`,
    )
  }
  // The ID token checker is a chunk (protocol/run/jws.ts): loaded before the code is redeemed, so that failing to load it spends nothing.
  if (pending.nonce !== undefined && int(ctx).idTokens === readIdToken) await idTokenChecker()
  if (!consume(pending.state, now, maxAge))
    throw new OAuthKitError('stale_sign_in', 'this sign-in was already completed (a replayed callback, or the back button): sign in again')
  const tokens = await codeGrant(
    ctx,
    params,
    { ...pending, resource: options.resource, authorizationDetails: options.authorizationDetails },
    options.signal,
    { nonce: pending.nonce, maxAge: options.maxAge },
  )
  // Extra fields of the authorization response the dialect keeps (e.g. an app code).
  for (const field of dialect?.authorizationResponse?.extraFields ?? []) {
    const value = params.get(field)
    if (value !== null) tokens.extra[field] = value
  }
  return tokens
}

/**
 * Exchanges an authorization code obtained without a browser redirect (a vendor's direct
 * code endpoint, say). Prefer {@link completeAuthorization}, which also checks the response.
 *
 * @example
 * const code = await requestEpturaCode({ site, username, password, clientId, redirectUri, scope })
 * const tokens = await exchangeCode(ctx, { code, redirectUri })
 *
 * @group Grants
 */
export async function exchangeCode(
  ctx: OAuthContext,
  options: { code: string; redirectUri: string; codeVerifier?: string; signal?: AbortSignal },
): Promise<TokenSet> {
  const { as, client } = int(ctx)
  if (!options?.code || !options.redirectUri) throw new ConfigError('invalid_config', 'exchangeCode needs code and redirectUri')
  // There was no authorization response to check (no redirect, so no state and no mix-up);
  // oauth4webapi still wants its validated parameters, so the code goes through its check.
  const params = new URLSearchParams({ code: options.code })
  if (ctx.metadata.authorization_response_iss_parameter_supported) params.set('iss', ctx.metadata.issuer)
  return codeGrant(ctx, o.validateAuthResponse(as, client, params, o.skipStateCheck), options, options.signal)
}

/** The token request of the authorization code grant (RFC 6749 §4.1.3), with PKCE when there is a verifier. */
function codeGrant(
  ctx: OAuthContext,
  params: URLSearchParams,
  {
    redirectUri,
    codeVerifier,
    scope,
    resource,
    authorizationDetails,
  }: {
    redirectUri: string
    codeVerifier?: string | undefined
    scope?: string | undefined
    resource?: string | string[] | undefined
    authorizationDetails?: AuthorizationDetail[] | undefined
  },
  signal: AbortSignal | undefined,
  check: IdTokenCheck = {},
): Promise<TokenSet> {
  const { as, client, clientAuth } = int(ctx)
  const additionalParameters = grantParameters({ resource, authorizationDetails } as GrantParameters)
  return tokenRequest(
    ctx,
    'authorization code exchange',
    (request) =>
      o.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, codeVerifier || o.nopkce, {
        ...request,
        additionalParameters,
      }),
    signal,
    // A code is single-use: never sent twice (RFC 6749 §4.1.2).
    { requestedScope: scope, resend: 'never', idToken: check },
  )
}

const CALLBACK_MESSAGES: Partial<Record<ErrorCode, string>> = {
  missing_iss: 'no "iss", though the server advertises RFC 9207 (mix-up defence); sign in again',
  iss_mismatch: '"iss" names another server (mix-up defence); sign in again',
  missing_state: 'no "state": not an answer to this client; sign in again',
  state_mismatch: '"state" is not the pending request\'s (stale tab, replay or forgery); sign in again',
}

/**
 * An authorization response's check failed (synchronously, as parseCallback is): which one
 * (state, RFC 6749 §10.12; `iss`, RFC 9207 §2.4) from the same data oauth4webapi checked, or the
 * error the server redirected back with; anything else `invalid_response`.
 */
function translateCallbackError(
  err: unknown,
  params: URLSearchParams,
  expectedState: string,
  metadata: AuthorizationServerMetadata,
): OAuthKitError {
  const failed = 'authorization callback failed: '
  if (err instanceof o.AuthorizationResponseError) {
    const description = err.cause.get('error_description') ?? undefined
    const errorUri = err.cause.get('error_uri') ?? undefined
    return oauthKitError(
      'oauth_error',
      `${failed}the authorization server redirected back with ${cleanText(err.error, 60)}${description ? ` (${cleanText(description)})` : ''}`,
      {
        cause: err,
        error: err.error,
        ...(description === undefined ? {} : { errorDescription: description }),
        ...(errorUri === undefined ? {} : { errorUri }),
      },
    )
  }
  const iss = params.get('iss')
  const code: ErrorCode | undefined = !(err instanceof o.OperationProcessingError)
    ? undefined
    : !iss && metadata.authorization_response_iss_parameter_supported
      ? 'missing_iss'
      : iss && iss !== metadata.issuer
        ? 'iss_mismatch'
        : !params.has('state')
          ? 'missing_state'
          : params.get('state') !== expectedState
            ? 'state_mismatch'
            : undefined
  if (code) return oauthKitError(code, `authorization callback rejected: ${CALLBACK_MESSAGES[code]}`, { cause: err })
  return oauthKitError('invalid_response', failed + cleanText(err instanceof Error ? err.message : err), { cause: err })
}
