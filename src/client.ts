import { ConfigError } from './errors.js'
import { pickHttpOptions, type HttpOptions } from './http/options.js'
import { resolveMetadata, type MetadataSource } from './discovery/resolve.js'
import type { OAuthContext } from './grants/context.js'
import { createContext, type ClientOptions } from './grants/client-auth.js'
import {
  buildAuthorizationUrl,
  completeAuthorization,
  exchangeCode,
  type AuthorizationUrlOptions,
  type CompleteAuthorizationOptions,
  type PendingAuthorization,
  type PendingCompletion,
} from './grants/authorization-code.js'
import { clientCredentialsGrant, type ClientCredentialsOptions } from './grants/client-credentials.js'
import { startDeviceAuthorization, type DeviceAuthorization } from './grants/device.js'
import { fetchUserInfo, introspectToken, revokeToken, type IntrospectionResult, type TokenHintOptions, type UserInfo, type UserInfoOptions } from './grants/endpoints.js'
import { passwordGrant, type PasswordGrantOptions } from './grants/password.js'
import { refreshGrant, type RefreshOptions } from './grants/refresh.js'
import type { GrantParameters } from './grants/token.js'
import type { AuthorizationServerMetadata, TokenSet } from './types.js'
import { createSession, type Session, type SessionOptions } from './session.js'

/** Options of {@link createOAuthClient}: who the client is, where the server is, and the {@link HttpOptions}, flat. */
export interface OAuthClientOptions extends ClientOptions, HttpOptions, MetadataSource {
  /** Default redirect URI for the authorization code flow. */
  redirectUri?: string
}

/** What `client.exchangeCode` takes: the code, and the redirect URI (the client's by default), verifier and signal. */
export type ExchangeCodeOptions = { code: string; redirectUri?: string; codeVerifier?: string; signal?: AbortSignal }

/**
 * A client of one authorization server: every grant and endpoint as a method, each named as
 * the plain function it calls (`client.refreshGrant(t)` is `refreshGrant(client.context, t)`).
 * Stateless — it holds configuration, not tokens (a token manager comes with sessions).
 */
export interface OAuthClient {
  readonly metadata: AuthorizationServerMetadata
  /** For the plain functions (`clientCredentialsGrant(client.context, …)` and friends). */
  readonly context: OAuthContext
  /** The authorization URL with PKCE, state and nonce, and what the callback needs: see the plain `buildAuthorizationUrl`. */
  buildAuthorizationUrl(options?: Partial<AuthorizationUrlOptions>): Promise<PendingAuthorization>
  /** Checks the callback and redeems its code, once: see the plain `completeAuthorization`. */
  completeAuthorization(callbackUrl: string | URL, pending: PendingCompletion, options?: CompleteAuthorizationOptions): Promise<TokenSet>
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
  /** Revokes a token (RFC 7009): see the plain `revokeToken`. */
  revokeToken(token: string, options?: TokenHintOptions): Promise<void>
  /** Introspects a token (RFC 7662): see the plain `introspectToken`. */
  introspectToken(token: string, options?: TokenHintOptions): Promise<IntrospectionResult>
  /** The userinfo claims (a signed answer verified): see the plain `fetchUserInfo`. */
  fetchUserInfo(accessToken: string, options?: UserInfoOptions): Promise<UserInfo>
  /** A session: a token manager for this client, with an authorized fetch. */
  session(options?: SessionOptions): Session
  /** @deprecated Renamed {@link OAuthClient.buildAuthorizationUrl}; kept until 1.0. */
  authorizationUrl(options?: Partial<AuthorizationUrlOptions>): Promise<PendingAuthorization>
  /** @deprecated Renamed {@link OAuthClient.clientCredentialsGrant}; kept until 1.0. */
  clientCredentials(options?: ClientCredentialsOptions): Promise<TokenSet>
  /** @deprecated Renamed {@link OAuthClient.refreshGrant}; kept until 1.0. */
  refresh(refreshToken: string | TokenSet, options?: RefreshOptions): Promise<TokenSet>
  /** @deprecated Renamed {@link OAuthClient.passwordGrant}; kept until 1.0. */
  password(options: PasswordGrantOptions): Promise<TokenSet>
  /** @deprecated Renamed {@link OAuthClient.revokeToken}; kept until 1.0. */
  revoke(token: string, options?: TokenHintOptions): Promise<void>
  /** @deprecated Renamed {@link OAuthClient.introspectToken}; kept until 1.0. */
  introspect(token: string, options?: TokenHintOptions): Promise<IntrospectionResult>
  /** @deprecated Renamed {@link OAuthClient.fetchUserInfo}; kept until 1.0. */
  userInfo(accessToken: string, options?: UserInfoOptions): Promise<UserInfo>
}

/**
 * Creates a client: discovers the server (or takes the metadata or endpoints given), picks
 * the client authentication method, and returns every grant as a method. `signal` cancels the
 * discovery only.
 *
 * @example
 * const client = await createOAuthClient({ issuer: 'https://auth.example.com', clientId, clientSecret })
 * const session = client.session({ grant: 'client_credentials', scope: 'read', apiUrls: ['https://api.example.com'] })
 */
export async function createOAuthClient(options: OAuthClientOptions): Promise<OAuthClient> {
  if (!options || typeof options !== 'object') throw new ConfigError('invalid_config', 'createOAuthClient needs an options object')
  const { signal, ...http } = pickHttpOptions(options)
  const metadata = await resolveMetadata(options, { ...http, ...(signal ? { signal } : {}) })
  const ctx = createContext(metadata, options, http)
  const redirectUri = (given: string | undefined, what: string) => {
    const uri = given ?? options.redirectUri
    if (!uri) throw new ConfigError('invalid_config', `${what} needs a redirectUri (in the call or in createOAuthClient)`)
    return uri
  }
  const methods = {
    buildAuthorizationUrl: (o: Partial<AuthorizationUrlOptions> = {}) => buildAuthorizationUrl(ctx, { ...o, redirectUri: redirectUri(o.redirectUri, 'buildAuthorizationUrl') }),
    clientCredentialsGrant: (o?: ClientCredentialsOptions) => clientCredentialsGrant(ctx, o),
    refreshGrant: (token: string | TokenSet, o?: RefreshOptions) => refreshGrant(ctx, token, o),
    passwordGrant: (o: PasswordGrantOptions) => passwordGrant(ctx, o),
    revokeToken: (token: string, o?: TokenHintOptions) => revokeToken(ctx, token, o),
    introspectToken: (token: string, o?: TokenHintOptions) => introspectToken(ctx, token, o),
    fetchUserInfo: (token: string, o?: UserInfoOptions) => fetchUserInfo(ctx, token, o),
  }
  return {
    metadata,
    context: ctx,
    ...methods,
    completeAuthorization: (url, pending, o) => completeAuthorization(ctx, url, pending, o),
    exchangeCode: (o) => exchangeCode(ctx, { ...o, redirectUri: redirectUri(o?.redirectUri, 'exchangeCode') }),
    startDeviceAuthorization: (o) => startDeviceAuthorization(ctx, o),
    session: (o) => createSession(ctx, o),
    // Deprecated names, until 1.0.
    authorizationUrl: methods.buildAuthorizationUrl,
    clientCredentials: methods.clientCredentialsGrant,
    refresh: methods.refreshGrant,
    password: methods.passwordGrant,
    revoke: methods.revokeToken,
    introspect: methods.introspectToken,
    userInfo: methods.fetchUserInfo,
  }
}
