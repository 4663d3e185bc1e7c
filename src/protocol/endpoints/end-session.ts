import { userAgentUrl } from '../../internal/url.js'
import { int, type OAuthContext } from '../run/context.js'

/**
 * What the end-session URL carries: the ID token hint, where to return, a state.
 *
 * @group Endpoints
 */
export interface EndSessionOptions {
  /** The ID token of the session to end (OpenID Connect RP-Initiated Logout §2). */
  idTokenHint?: string
  /** Where the server sends the user afterwards; must be registered. */
  postLogoutRedirectUri?: string
  state?: string
}

/**
 * The URL that ends the user's session at the authorization server (OpenID Connect
 * RP-Initiated Logout 1.0 §2), or undefined when the server has no `end_session_endpoint`.
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 *
 * @example
 * const url = buildEndSessionUrl(ctx, { idTokenHint: tokens.idToken, postLogoutRedirectUri: location.origin })
 * if (url) location.assign(url)
 *
 * @group Endpoints
 */
export function buildEndSessionUrl(ctx: OAuthContext, options: EndSessionOptions = {}): string | undefined {
  options ??= {}
  int(ctx)
  const endpoint = ctx.metadata.end_session_endpoint
  if (endpoint === undefined) return undefined
  // The URL goes to a browser: the same rule as the authorization URL (docs/security.md).
  const insecure = int(ctx).options.allowInsecureHttp
  const url = new URL(userAgentUrl(endpoint, 'the end_session_endpoint', insecure))
  url.searchParams.set('client_id', ctx.clientId)
  if (options.idTokenHint) url.searchParams.set('id_token_hint', options.idTokenHint)
  if (options.postLogoutRedirectUri) url.searchParams.set('post_logout_redirect_uri', options.postLogoutRedirectUri)
  if (options.state) url.searchParams.set('state', options.state)
  return userAgentUrl(url, 'the end-session URL', insecure)
}
