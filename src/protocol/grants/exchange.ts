import * as o from 'oauth4webapi'
import { ConfigError } from '../../errors.js'
import type { TokenSet } from '../../types.js'
import { int, type OAuthContext } from '../run/context.js'
import { grantParameters, tokenRequest, type GrantParameters } from '../run/token.js'

/**
 * RFC 8693 §3: the token type identifiers.
 *
 * @group Grants
 */
export const TOKEN_TYPES = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  saml2: 'urn:ietf:params:oauth:token-type:saml2',
} as const

/**
 * A token, given or fetched fresh for each request (an upstream access token, a signed assertion).
 *
 * @group Grants
 */
export type TokenSource = string | (() => string | Promise<string>)

/**
 * What a token exchange sends (RFC 8693 §2.1): the subject token and its type, optionally an
 * actor token (delegation) and the token type wanted, with the common grant parameters
 * (`audience`, `resource`, `scope`).
 *
 * @group Grants
 */
export interface TokenExchangeOptions extends GrantParameters {
  /** The token to exchange, or a function giving the current one (called on every exchange). */
  subjectToken: TokenSource
  /** Its type. Default `urn:ietf:params:oauth:token-type:access_token`. */
  subjectTokenType?: string
  /** Who acts on the subject's behalf (delegation, RFC 8693 §1.1). */
  actorToken?: TokenSource
  /** The actor token's type; required with `actorToken`. */
  actorTokenType?: string
  /** The type of token wanted (`requested_token_type`). */
  requestedTokenType?: string
}

/**
 * What the JWT bearer grant sends (RFC 7523 §2.1): a signed assertion, with the common grant parameters.
 *
 * @group Grants
 */
export interface JwtBearerOptions extends GrantParameters {
  /** The JWT, or a function signing a fresh one (assertions are short-lived: called on every request). */
  assertion: TokenSource
}

async function tokenOf(source: TokenSource | undefined, what: string): Promise<string> {
  const token = typeof source === 'function' ? await source() : source
  if (typeof token !== 'string' || token === '') throw new ConfigError('invalid_config', `${what} is missing or empty`)
  return token
}

/**
 * The token exchange grant (RFC 8693): trades a token for another — for a downstream API
 * (`audience`, `resource`), narrower (`scope`), another type (`requestedTokenType`), or on
 * behalf of someone (`actorToken`). The answer's `issued_token_type` is in `extra`.
 * @see https://www.rfc-editor.org/rfc/rfc8693
 *
 * @example
 * const downstream = await tokenExchangeGrant(ctx, { subjectToken: incomingAccessToken, audience: 'https://orders.internal' })
 * downstream.extra.issued_token_type // 'urn:ietf:params:oauth:token-type:access_token'
 *
 * @group Grants
 */
export async function tokenExchangeGrant(ctx: OAuthContext, options: TokenExchangeOptions): Promise<TokenSet> {
  if (!options || typeof options !== 'object') throw new ConfigError('invalid_config', 'tokenExchangeGrant needs { subjectToken }')
  if (options.actorToken !== undefined && !options.actorTokenType)
    throw new ConfigError('invalid_config', 'an actor token needs its actorTokenType (RFC 8693 §2.1)')
  const params = grantParameters(options)
  params.set('subject_token', await tokenOf(options.subjectToken, 'the subject token'))
  params.set('subject_token_type', options.subjectTokenType ?? TOKEN_TYPES.accessToken)
  if (options.actorToken !== undefined) {
    params.set('actor_token', await tokenOf(options.actorToken, 'the actor token'))
    params.set('actor_token_type', options.actorTokenType!)
  }
  if (options.requestedTokenType) params.set('requested_token_type', options.requestedTokenType)
  // RFC 8693 §2.2.1: `N_A` when what was issued is not an access token (an ID token, a SAML assertion).
  return generic(ctx, 'token exchange', 'urn:ietf:params:oauth:grant-type:token-exchange', params, options, ['n_a'])
}

/**
 * The JWT bearer grant (RFC 7523 §2.1): an access token for a signed assertion (a service
 * account's, a federated identity's). The client authenticates as configured, or not at all.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 *
 * @example
 * const tokens = await jwtBearerGrant(ctx, { assertion: () => signAssertion(), scope: 'read' })
 *
 * @group Grants
 */
export async function jwtBearerGrant(ctx: OAuthContext, options: JwtBearerOptions): Promise<TokenSet> {
  if (!options || typeof options !== 'object') throw new ConfigError('invalid_config', 'jwtBearerGrant needs { assertion }')
  const params = grantParameters(options)
  params.set('assertion', await tokenOf(options.assertion, 'the assertion'))
  return generic(ctx, 'JWT bearer grant', 'urn:ietf:params:oauth:grant-type:jwt-bearer', params, options)
}

function generic(
  ctx: OAuthContext,
  name: string,
  grantType: string,
  params: URLSearchParams,
  options: GrantParameters,
  tokenTypes?: string[],
): Promise<TokenSet> {
  const { as, client, clientAuth } = int(ctx)
  return tokenRequest(
    ctx,
    name,
    (request) => o.genericTokenEndpointRequest(as, client, clientAuth, grantType, params, request),
    options.signal,
    { requestedScope: options.scope, retry: options.retry, ...(tokenTypes ? { tokenTypes } : {}) },
  )
}
