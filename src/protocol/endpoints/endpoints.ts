import * as o from 'oauth4webapi'
import { ConfigError } from '../../errors.js'
import { parseUrl } from '../../internal/url.js'
import { pickHttpOptions, type HttpOptions } from '../../http/options.js'
import type { AuthorizationServerMetadata, TokenSet } from '../../types.js'
import { int, type OAuthContext } from '../run/context.js'
import { missingEndpoint, runAt, runOperation, type RequestOptions } from '../run/operation.js'
import { jwsKit } from '../run/id-token.js'

/**
 * Options of revocation and introspection: the token type hint and cancellation.
 *
 * @group Endpoints
 */
export interface TokenHintOptions {
  /** `access_token` or `refresh_token` (RFC 7009 §2.1, RFC 7662 §2.1). */
  tokenTypeHint?: 'access_token' | 'refresh_token' | (string & {})
  signal?: AbortSignal
}

function hint(options: TokenHintOptions) {
  return options.tokenTypeHint ? { additionalParameters: { token_type_hint: options.tokenTypeHint } } : {}
}

function requireToken(token: unknown, operation: string): asserts token is string {
  if (typeof token !== 'string' || token === '') throw new ConfigError('invalid_config', `${operation} needs a token`)
}

/**
 * Revokes an access or refresh token. Succeeds also for a token the server does not know
 * (RFC 7009 §2.2: "invalid tokens do not cause an error response").
 * @see https://www.rfc-editor.org/rfc/rfc7009
 *
 * @example
 * if (tokens.refreshToken) await revokeToken(ctx, tokens.refreshToken, { tokenTypeHint: 'refresh_token' })
 *
 * @group Endpoints
 */
export async function revokeToken(ctx: OAuthContext, token: string, options: TokenHintOptions = {}): Promise<void> {
  options ??= {}
  requireToken(token, 'revocation')
  const { as, client, clientAuth } = int(ctx)
  await runAt(
    ctx,
    {
      name: 'revocation',
      endpoint: 'revocation',
      request: (request) => o.revocationRequest(as, client, clientAuth, token, { ...request, ...hint(options) }),
      // RFC 7009 §2.2 says 200; servers answer 204 too, and any 2xx means the token is gone.
      process: async (response) => {
        if (!response.ok) await o.processRevocationResponse(response)
      },
    },
    options.signal,
  )
}

/**
 * RFC 7662 §2.2 introspection answer; every field but `active` is optional, and unknown fields are kept.
 *
 * @group Endpoints
 */
export interface IntrospectionResult {
  readonly active: boolean
  readonly client_id?: string
  readonly exp?: number
  readonly iat?: number
  readonly sid?: string
  readonly iss?: string
  readonly jti?: string
  readonly username?: string
  readonly aud?: string | string[]
  readonly scope?: string
  readonly sub?: string
  readonly nbf?: number
  readonly token_type?: string
  readonly cnf?: { readonly jkt?: string; readonly [claim: string]: unknown }
  readonly [claim: string]: unknown
}

/**
 * Asks the server whether a token is active, and what it carries.
 * @see https://www.rfc-editor.org/rfc/rfc7662
 *
 * @example
 * const { active, scope } = await introspectToken(ctx, accessToken)
 *
 * @group Endpoints
 */
export async function introspectToken(ctx: OAuthContext, token: string, options: TokenHintOptions = {}): Promise<IntrospectionResult> {
  options ??= {}
  requireToken(token, 'introspection')
  const { as, client, clientAuth } = int(ctx)
  return runAt(
    ctx,
    {
      name: 'introspection',
      endpoint: 'introspection',
      request: (request) => o.introspectionRequest(as, client, clientAuth, token, { ...request, ...hint(options) }),
      process: async (response) => (await o.processIntrospectionResponse(as, client, response)) as IntrospectionResult,
    },
    options.signal,
  )
}

/**
 * OpenID Connect UserInfo claims (Core §5.3.2): `sub` always, the standard claims and any other the server sent.
 *
 * @group Endpoints
 */
export interface UserInfo {
  readonly sub: string
  readonly name?: string
  readonly given_name?: string
  readonly family_name?: string
  readonly preferred_username?: string
  readonly email?: string
  readonly email_verified?: boolean
  readonly picture?: string
  readonly locale?: string
  readonly updated_at?: number
  readonly [claim: string]: unknown
}

/** The public-key algorithms a signed userinfo answer may use when the server names none (never `none`, never HMAC). */
const SIGNING_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'Ed25519', 'EdDSA']

/**
 * Options of fetchUserInfo: the HTTP method, the subject to check, cancellation.
 *
 * @group Endpoints
 */
export interface UserInfoOptions {
  /** OpenID Connect Core §5.3.1 allows both. Default `GET`. */
  method?: 'GET' | 'POST'
  /**
   * The `sub` of the ID token, which the answer's must equal (OpenID Connect Core §5.3.2
   * MUST): taken from the token set when one with an ID token is given; needed with a bare
   * access token, or `skipSubjectCheck` to say the check is not wanted (a plain OAuth API).
   */
  expectedSubject?: string | typeof skipSubjectCheck
  signal?: AbortSignal
}

/**
 * Given as `expectedSubject`, fetchUserInfo does not compare the answer's `sub` with an ID
 * token's: for tokens of a sign-in without OpenID Connect, where there is none to compare with.
 *
 * @group Endpoints
 */
export const skipSubjectCheck: unique symbol = Symbol('oauthkit: skip the userinfo subject check')

/**
 * Fetches the OpenID Connect UserInfo claims for an access token, and checks that they are the
 * signed-in user's: given the token set, against its ID token's `sub`; given an access token,
 * against `expectedSubject` (or `skipSubjectCheck`). A signed (JWT) answer is verified against
 * the server's `jwks_uri` keys, and refused when it cannot be.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 *
 * @example
 * const me = await fetchUserInfo(ctx, tokens) // its sub checked against tokens.idTokenClaims.sub
 *
 * @group Endpoints
 */
export async function fetchUserInfo(ctx: OAuthContext, tokens: TokenSet | string, options: UserInfoOptions = {}): Promise<UserInfo> {
  options ??= {}
  const accessToken = typeof tokens === 'string' ? tokens : tokens?.accessToken
  requireToken(accessToken, 'userinfo')
  const known = typeof tokens === 'object' ? tokens.idTokenClaims?.sub : undefined
  const expected = options.expectedSubject ?? (typeof known === 'string' ? known : undefined)
  if (expected === undefined)
    throw new ConfigError(
      'invalid_config',
      typeof tokens === 'object'
        ? 'fetchUserInfo: these tokens hold no ID token to check the answer against; pass expectedSubject, or skipSubjectCheck if no check is wanted'
        : "fetchUserInfo needs the ID token's sub to check the answer against (OpenID Connect Core §5.3.2): pass the token set, expectedSubject, or skipSubjectCheck",
    )
  const { as, client } = int(ctx)
  const endpoint = ctx.metadata.userinfo_endpoint
  const post = () => new Headers({ accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' })
  return runAt(
    ctx,
    {
      name: 'userinfo',
      endpoint: 'userinfo',
      request: (request) =>
        options.method === 'POST'
          ? o.protectedResourceRequest(accessToken, 'POST', parseUrl(endpoint as string, 'userinfo_endpoint'), post(), '', request)
          : o.userInfoRequest(as, client, accessToken, request),
      process: async (response) => {
        // A signed answer (Core §5.3.2) is believed only once its signature checks out against
        // the server's keys: no jwks_uri, or a key or algorithm that does not fit, is an error.
        const signed = /^application\/jwt\b/i.test(response.headers.get('content-type') ?? '')
        const algs =
          signed && !as.userinfo_signing_alg_values_supported ? { ...as, userinfo_signing_alg_values_supported: SIGNING_ALGS } : as
        const claims = await o.processUserInfoResponse(
          algs,
          client,
          expected === skipSubjectCheck ? o.skipSubjectCheck : expected,
          response,
        )
        if (signed) await o.validateApplicationLevelSignature(as, response, await serverKeys(ctx, options.signal))
        return claims as UserInfo
      },
    },
    options.signal,
  )
}

/**
 * The server's keys (`jwks_uri`), fetched as an operation of its own — traced, and seen by a
 * dialect, as `jwks`, not as the userinfo request that needed them — by the JWS chunk's one
 * fetch of a key set, and handed to oauth4webapi's signature check as what its fetch answers.
 */
async function serverKeys(ctx: OAuthContext, signal: AbortSignal | undefined): Promise<RequestOptions> {
  const url = ctx.metadata.jwks_uri
  if (typeof url !== 'string') throw missingEndpoint('the check of a signed userinfo answer', 'jwks_uri', ctx.metadata)
  const { fetchKeys } = await import('../run/jws.js')
  const keys = await fetchKeys(jwsKit, int(ctx).options, url, signal)
  return {
    [o.customFetch]: async () => Response.json({ keys }),
    [o.allowInsecureRequests]: true,
  }
}

/**
 * Client metadata sent to and returned by the registration endpoint (RFC 7591 §2).
 *
 * @group Endpoints
 */
export interface ClientMetadata {
  client_id?: string
  client_secret?: string
  redirect_uris?: string[]
  grant_types?: string[]
  response_types?: string[]
  token_endpoint_auth_method?: string
  client_name?: string
  scope?: string
  [key: string]: unknown
}

/**
 * Registration options: the {@link HttpOptions} fields, flat, and an initial access token.
 *
 * @group Endpoints
 */
export interface RegisterOptions extends HttpOptions {
  /** RFC 7591 §3: an initial access token, when the server requires one. */
  initialAccessToken?: string
}

/**
 * Dynamic client registration. Needs no client yet, only the server metadata.
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3
 *
 * @example
 * const { client_id } = await registerClient(metadata, { redirect_uris: ['http://127.0.0.1:8765/cb'], token_endpoint_auth_method: 'none' })
 *
 * @group Endpoints
 */
export async function registerClient(
  metadata: AuthorizationServerMetadata,
  client: ClientMetadata,
  options: RegisterOptions = {},
): Promise<ClientMetadata & { client_id: string }> {
  options ??= {}
  return runOperation(pickHttpOptions(options), {
    name: 'client registration',
    endpoint: 'registration',
    metadata,
    request: (request) =>
      o.dynamicClientRegistrationRequest(metadata as o.AuthorizationServer, client as Partial<o.Client>, {
        ...request,
        ...(options.initialAccessToken ? { initialAccessToken: options.initialAccessToken } : {}),
      }),
    process: async (response) =>
      (await o.processDynamicClientRegistrationResponse(await withSecretExpiry(response, options.onWarning))) as ClientMetadata & {
        client_id: string
      },
  })
}

/**
 * RFC 7591 §3.2.1 asks for `client_secret_expires_at` with every secret; servers that leave it
 * out (Cloudflare's workers-oauth-provider before 2026, the MCP Python SDK's) are read as "does
 * not expire" (0), with a warning, rather than losing the registration.
 */
async function withSecretExpiry(response: Response, warn: RegisterOptions['onWarning']): Promise<Response> {
  if (response.status !== 201) return response
  const text = await response.text()
  const init = { status: response.status, statusText: response.statusText, headers: response.headers }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return new Response(text, init)
  }
  const answer = body as Record<string, unknown> | null
  if (typeof answer?.client_secret !== 'string' || !answer.client_secret || answer.client_secret_expires_at !== undefined)
    return new Response(text, init)
  warn?.({
    code: 'secret_expiry_missing',
    message: 'the registration answer has a client_secret without client_secret_expires_at (RFC 7591 §3.2.1); read as 0: does not expire',
  })
  return new Response(JSON.stringify({ ...answer, client_secret_expires_at: 0 }), init)
}
