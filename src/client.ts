import { ConfigError } from './errors.js'
import type { HttpOptions } from './http/options.js'
import { resolveClient, type MetadataSource } from './discovery/resolve.js'
import type { OAuthContext } from './protocol/run/context.js'
import type { DPoP } from './dpop/proofs.js'
import { createContext, type ClientOptions } from './protocol/run/client-auth.js'
import {
  buildAuthorizationUrl,
  completeAuthorization,
  exchangeCode,
  type AuthorizationUrlOptions,
  type CompleteAuthorizationOptions,
  type PendingAuthorization,
  type PendingCompletion,
} from './protocol/grants/authorization-code.js'
import { clientCredentialsGrant, type ClientCredentialsOptions } from './protocol/grants/client-credentials.js'
import { startDeviceAuthorization, type DeviceAuthorization } from './protocol/grants/device.js'
import {
  startBackchannelAuthentication,
  type BackchannelAuthentication,
  type BackchannelAuthenticationOptions,
} from './protocol/grants/ciba.js'
import {
  fetchUserInfo,
  introspectToken,
  revokeToken,
  type IntrospectionResult,
  type TokenHintOptions,
  type UserInfo,
  type UserInfoOptions,
} from './protocol/endpoints/endpoints.js'
import { passwordGrant, type PasswordGrantOptions } from './protocol/grants/password.js'
import { refreshGrant, type RefreshOptions } from './protocol/grants/refresh.js'
import type { GrantParameters } from './protocol/run/token.js'
import type { AuthorizationServerMetadata, TokenSet } from './types.js'
import { createSession, type Session, type SessionGrant, type SessionOptions } from './session.js'
import {
  jwtBearerGrant,
  tokenExchangeGrant,
  type JwtBearerOptions,
  type TokenExchangeOptions,
  type TokenSource,
} from './protocol/grants/exchange.js'

/**
 * Options of {@link createOAuthClient}: who the client is, where the server is, and the {@link HttpOptions}, flat.
 *
 * @group Start here
 */
export interface OAuthClientOptions extends ClientOptions, HttpOptions, MetadataSource {
  /** Default redirect URI for the authorization code flow. */
  redirectUri?: string
  /** DPoP-bound tokens (RFC 9449): the key from `createDPoP()`, for token requests and the sessions' fetch. */
  dpop?: DPoP
}

/**
 * Options of `client.session`: a session's, with two more grants it can run by itself —
 * `token_exchange` (with `exchange`) and `jwt_bearer` (with `assertion`) — renewed like
 * client credentials.
 *
 * @group Start here
 */
export interface ClientSessionOptions extends Omit<SessionOptions, 'grant'> {
  grant?: SessionOptions['grant'] | 'token_exchange' | 'jwt_bearer' | 'ciba'
  /**
   * `ciba`: who to ask (one hint) and what they are shown; `onRequest` hears of each request the
   * session starts (to show the binding message, say). The session asks again (poll mode)
   * whenever it has no tokens it can refresh.
   */
  ciba?: Omit<BackchannelAuthenticationOptions, 'scope' | 'signal' | 'retry' | 'clientNotificationToken'> & {
    /** Hears of each request the session starts (to show its binding message, say). */
    onRequest?(request: BackchannelAuthentication): void
  }
  /** `token_exchange`: the subject token (a function for one that changes), its type, an actor, the type wanted. */
  exchange?: Pick<TokenExchangeOptions, 'subjectToken' | 'subjectTokenType' | 'actorToken' | 'actorTokenType' | 'requestedTokenType'>
  /** `jwt_bearer`: the assertion; a function signing a fresh one, as each renewal needs a new one. */
  assertion?: TokenSource
}

/**
 * What `client.exchangeCode` takes: the code, and the redirect URI (the client's by default), verifier and signal.
 *
 * @group Start here
 */
export type ExchangeCodeOptions = { code: string; redirectUri?: string; codeVerifier?: string; signal?: AbortSignal }

/**
 * A client of one authorization server: every grant and endpoint as a method, each named as
 * the plain function it calls (`client.refreshGrant(t)` is `refreshGrant(client.context, t)`).
 * Stateless — it holds configuration, not tokens (a token manager comes with sessions).
 *
 * @group Start here
 */
export interface OAuthClient {
  readonly metadata: AuthorizationServerMetadata
  /** For the plain functions (`clientCredentialsGrant(client.context, …)` and friends). */
  readonly context: OAuthContext
  /** The authorization URL with PKCE, state and nonce, and what the callback needs: see the plain `buildAuthorizationUrl`. */
  buildAuthorizationUrl(options?: Partial<AuthorizationUrlOptions>): Promise<PendingAuthorization>
  /** Checks the callback and redeems its code, once: see the plain `completeAuthorization`. */
  completeAuthorization(
    callback: string | URL | URLSearchParams | Request,
    pending: PendingCompletion,
    options?: CompleteAuthorizationOptions,
  ): Promise<TokenSet>
  /** Exchanges a code obtained without a redirect (see exchangeCode). */
  exchangeCode(options: ExchangeCodeOptions): Promise<TokenSet>
  /** The client credentials grant: see the plain `clientCredentialsGrant`. */
  clientCredentialsGrant(options?: ClientCredentialsOptions): Promise<TokenSet>
  /** A refresh, with the token set (keeps its scope and user) or the refresh token: see the plain `refreshGrant`. */
  refreshGrant(refreshToken: string | TokenSet, options?: RefreshOptions): Promise<TokenSet>
  /** Legacy resource owner password grant; see {@link passwordGrant}. */
  passwordGrant(options: PasswordGrantOptions): Promise<TokenSet>
  /** Starts the device flow: see the plain `startDeviceAuthorization`. */
  startDeviceAuthorization(options?: GrantParameters): Promise<DeviceAuthorization>
  /** Starts a backchannel authentication (OpenID CIBA): see the plain `startBackchannelAuthentication`. */
  startBackchannelAuthentication(options: BackchannelAuthenticationOptions): Promise<BackchannelAuthentication>
  /** Token exchange (RFC 8693): see the plain `tokenExchangeGrant`. */
  tokenExchangeGrant(options: TokenExchangeOptions): Promise<TokenSet>
  /** The JWT bearer grant (RFC 7523): see the plain `jwtBearerGrant`. */
  jwtBearerGrant(options: JwtBearerOptions): Promise<TokenSet>
  /** Revokes a token (RFC 7009): see the plain `revokeToken`. */
  revokeToken(token: string, options?: TokenHintOptions): Promise<void>
  /** Introspects a token (RFC 7662): see the plain `introspectToken`. */
  introspectToken(token: string, options?: TokenHintOptions): Promise<IntrospectionResult>
  /** The userinfo claims (a signed answer verified), held to the ID token's `sub`: see the plain `fetchUserInfo`. */
  fetchUserInfo(tokens: TokenSet | string, options?: UserInfoOptions): Promise<UserInfo>
  /** A session: a token manager for this client, with an authorized fetch; it runs `client_credentials`, `token_exchange` or `jwt_bearer` itself. */
  session(options?: ClientSessionOptions): Session
}

/**
 * Creates a client: discovers the server (or takes the metadata or endpoints given), picks
 * the client authentication method, and returns every grant as a method. `signal` cancels the
 * discovery only.
 *
 * @example
 * const client = await createOAuthClient({ issuer: 'https://auth.example.com', clientId, clientSecret })
 * const session = client.session({ grant: 'client_credentials', scope: 'read', apiUrls: ['https://api.example.com'] })
 *
 * @group Start here
 */
export async function createOAuthClient(options: OAuthClientOptions): Promise<OAuthClient> {
  const ctx = await resolveClient('createOAuthClient', options, (metadata, context) => createContext(metadata, options, context))
  const redirectUri = (given: string | undefined, what: string) => {
    const uri = given ?? options.redirectUri
    if (!uri) throw new ConfigError('invalid_config', `${what} needs a redirectUri (in the call or in createOAuthClient)`)
    return uri
  }
  const methods = {
    buildAuthorizationUrl: (o: Partial<AuthorizationUrlOptions> = {}) =>
      buildAuthorizationUrl(ctx, { ...o, redirectUri: redirectUri(o.redirectUri, 'buildAuthorizationUrl') }),
    clientCredentialsGrant: (o?: ClientCredentialsOptions) => clientCredentialsGrant(ctx, o),
    refreshGrant: (token: string | TokenSet, o?: RefreshOptions) => refreshGrant(ctx, token, o),
    passwordGrant: (o: PasswordGrantOptions) => passwordGrant(ctx, o),
    tokenExchangeGrant: (o: TokenExchangeOptions) => tokenExchangeGrant(ctx, o),
    jwtBearerGrant: (o: JwtBearerOptions) => jwtBearerGrant(ctx, o),
    revokeToken: (token: string, o?: TokenHintOptions) => revokeToken(ctx, token, o),
    introspectToken: (token: string, o?: TokenHintOptions) => introspectToken(ctx, token, o),
    fetchUserInfo: (tokens: TokenSet | string, o?: UserInfoOptions) => fetchUserInfo(ctx, tokens, o),
  }
  return {
    metadata: ctx.metadata,
    context: ctx,
    ...methods,
    completeAuthorization: (url, pending, o) => completeAuthorization(ctx, url, pending, o),
    exchangeCode: (o) => exchangeCode(ctx, { ...o, redirectUri: redirectUri(o?.redirectUri, 'exchangeCode') }),
    startDeviceAuthorization: (o) => startDeviceAuthorization(ctx, o),
    startBackchannelAuthentication: (o) => startBackchannelAuthentication(ctx, o),
    session: (o) => createSession(ctx, sessionOptions(ctx, o)),
  }
}

/** The session options with a named grant made into the {@link SessionGrant} that runs it. */
function sessionOptions(ctx: OAuthContext, options: ClientSessionOptions = {}): SessionOptions {
  const { grant, exchange, assertion, ciba, ...rest } = options ?? {}
  const params = {
    ...(rest.scope ? { scope: rest.scope } : {}),
    ...(rest.resource ? { resource: rest.resource } : {}),
    ...(rest.audience ? { audience: rest.audience } : {}),
    ...(rest.extraParams ? { extraParams: rest.extraParams } : {}),
  }
  if (grant === 'token_exchange') {
    if (!exchange?.subjectToken)
      throw new ConfigError(
        'invalid_config',
        'a token_exchange session needs exchange: { subjectToken } (a function for a token that changes)',
      )
    const named: SessionGrant = { name: 'token_exchange', run: (o) => tokenExchangeGrant(ctx, { ...params, ...exchange, ...o }) }
    return { ...rest, grant: named }
  }
  if (grant === 'ciba') {
    if (!ciba || !rest.scope)
      throw new ConfigError('invalid_config', 'a ciba session needs ciba: { loginHint (or another hint) } and a scope with openid')
    const { onRequest, ...ask } = ciba
    const named: SessionGrant = {
      name: 'ciba',
      run: async ({ signal }) => {
        const request = await startBackchannelAuthentication(ctx, { ...params, ...ask, scope: rest.scope!, ...(signal ? { signal } : {}) })
        onRequest?.(request)
        return request.wait(signal ? { signal } : {})
      },
    }
    return { ...rest, grant: named }
  }
  if (grant === 'jwt_bearer') {
    if (!assertion) throw new ConfigError('invalid_config', 'a jwt_bearer session needs assertion (a function signing a fresh one)')
    const named: SessionGrant = { name: 'jwt_bearer', run: (o) => jwtBearerGrant(ctx, { ...params, assertion, ...o }) }
    return { ...rest, grant: named }
  }
  return grant ? { ...rest, grant } : rest
}
