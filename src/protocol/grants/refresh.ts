import * as o from 'oauth4webapi'
import { ConfigError, ResponseError } from '../../errors.js'
import type { TokenSet } from '../../types.js'
import { int, type OAuthContext } from '../run/context.js'
import { grantParameters, tokenRequest, type GrantParameters } from '../run/token.js'

/**
 * Parameters of a refresh: a narrower scope, resource or audience, extra parameters, cancellation, and the user it must stay.
 *
 * @group Grants
 */
export interface RefreshOptions extends GrantParameters {
  /**
   * The `sub` of the signed-in user's ID token: an ID token in the answer must have the same
   * (OpenID Connect Core §12.2). Taken from the token set when you pass one.
   */
  expectedSubject?: string
}

/**
 * Exchanges a refresh token for a new token set. When the server rotates the refresh token
 * the new one is returned; when it sends none, the one given is kept (RFC 6749 §6).
 *
 * Given the whole token set, a refresh also keeps what it holds: an answer without `scope`
 * has the scope held (RFC 6749 §6: the scope is unchanged unless a narrower one is asked for),
 * and an ID token in the answer must be for the same user.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 *
 * @example
 * const fresh = await refreshGrant(ctx, tokens) // or refreshGrant(ctx, tokens.refreshToken)
 *
 * @group Grants
 */
export async function refreshGrant(ctx: OAuthContext, tokens: string | TokenSet, options: RefreshOptions = {}): Promise<TokenSet> {
  options ??= {}
  const held = typeof tokens === 'object' && tokens !== null ? tokens : undefined
  const refreshToken = held ? held.refreshToken : tokens
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    throw new ConfigError('invalid_config', 'refresh needs a refresh token; this token set has none (was offline_access requested?)')
  }
  const { as, client, clientAuth } = int(ctx)
  const fresh = await tokenRequest(
    ctx,
    'refresh_token grant',
    (request) =>
      o.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, { ...request, additionalParameters: grantParameters(options) }),
    options.signal,
    // A rotating refresh token is spent once the server processed it: sent again only after the server said it did nothing.
    {
      previousRefreshToken: refreshToken,
      previousRefreshExpiresAt: held?.refreshExpiresAt,
      requestedScope: options.scope ?? held?.scope,
      retry: options.retry,
      resend: 'unless-unprocessed',
    },
  )
  // OpenID Connect Core §12.2: "its sub Claim Value MUST be the same as in the ID Token issued
  // when the original authentication occurred" (its iss is checked against the issuer already).
  const expected = options.expectedSubject ?? held?.idTokenClaims?.sub
  const sub = fresh.idTokenClaims?.sub
  if (typeof expected === 'string' && sub !== undefined && sub !== expected) {
    throw new ResponseError(
      'invalid_id_token',
      'refresh_token grant failed: the new ID token is for another user (its sub changed); refusing it: sign in again',
    )
  }
  // An answer without an ID token is still the same user's (§12.2): the one held stays with the
  // tokens — whose they are (userinfo's check, getUser), and the hint of a later logout.
  if (held?.idTokenClaims && !fresh.idTokenClaims)
    return { ...fresh, idTokenClaims: held.idTokenClaims, ...(held.idToken ? { idToken: held.idToken } : {}) }
  return fresh
}
