import { ConfigError } from './errors.js'
import type { Dialect } from './dialects/types.js'
import { compileDialect } from './dialects/apply.js'
import type { HttpOptions } from './http/transport.js'
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
} from './grants/authorization-code.js'
import { clientCredentialsGrant, type ClientCredentialsOptions } from './grants/client-credentials.js'
import { startDeviceAuthorization, type DeviceAuthorization } from './grants/device.js'
import { fetchUserInfo, introspectToken, revokeToken, type IntrospectionResult, type TokenHintOptions, type UserInfoOptions } from './grants/endpoints.js'
import { passwordGrant, type PasswordGrantOptions } from './grants/password.js'
import { refreshGrant, type RefreshOptions } from './grants/refresh.js'
import type { GrantParameters } from './grants/token.js'
import type { AuthorizationServerMetadata, TokenSet } from './types.js'
import { TokenManager, type TokenEvents } from './token/manager.js'
import type { TokenStore } from './token/store.js'
import type { Lock } from './token/lock.js'
import { createAuthorizedFetch } from './fetch/authorized-fetch.js'

export interface OAuthClientOptions extends ClientOptions, Omit<HttpOptions, 'dialect'>, MetadataSource {
  /** Default redirect URI for the authorization code flow. */
  redirectUri?: string
  /** Vendor quirks; see `oauthkit/dialects`. */
  dialect?: Dialect
}

/**
 * A client of one authorization server: every grant and endpoint as a method. Stateless —
 * it holds configuration, not tokens (a token manager comes with sessions).
 */
export interface OAuthClient {
  readonly metadata: AuthorizationServerMetadata
  /** For the plain functions (`clientCredentialsGrant(client.context, …)` and friends). */
  readonly context: OAuthContext
  authorizationUrl(options?: Partial<AuthorizationUrlOptions>): Promise<PendingAuthorization>
  completeAuthorization(
    callbackUrl: string | URL,
    pending: Pick<PendingAuthorization, 'state' | 'codeVerifier' | 'redirectUri' | 'nonce'>,
    options?: CompleteAuthorizationOptions,
  ): Promise<TokenSet>
  /** Exchanges a code obtained without a redirect (see exchangeCode). */
  exchangeCode(options: { code: string; redirectUri?: string; codeVerifier?: string; signal?: AbortSignal }): Promise<TokenSet>
  clientCredentials(options?: ClientCredentialsOptions): Promise<TokenSet>
  refresh(refreshToken: string | TokenSet, options?: RefreshOptions): Promise<TokenSet>
  /** Legacy resource owner password grant; see {@link passwordGrant}. */
  password(options: PasswordGrantOptions): Promise<TokenSet>
  startDeviceAuthorization(options?: GrantParameters): Promise<DeviceAuthorization>
  revoke(token: string, options?: TokenHintOptions): Promise<void>
  introspect(token: string, options?: TokenHintOptions): Promise<IntrospectionResult>
  userInfo(accessToken: string, options?: UserInfoOptions): Promise<Record<string, unknown>>
  /** A session: a token manager for this client, with an authorized fetch. */
  session(options?: SessionOptions): Session
}

export interface SessionOptions extends Omit<GrantParameters, 'signal'> {
  /**
   * `client_credentials`: the session obtains its tokens itself, and runs the grant again with
   * the same parameters when a token nears expiry (or refreshes, if the answer carried a
   * refresh token). Omitted: the session holds tokens from a sign-in (`tokens`, `setTokens`).
   */
  grant?: 'client_credentials'
  /** Tokens from a completed sign-in. */
  tokens?: TokenSet
  /** The API base URLs `session.fetch` may send the token to. Nothing else gets it. */
  apiUrls?: Array<string | URL>
  store?: TokenStore
  lock?: Lock
  lockName?: string
  /** Refresh this many ms before expiry (default 60 000, never more than half the lifetime). */
  skew?: number
  backgroundRefresh?: boolean
}

/** A client's token manager plus an authorized fetch. Every method is safe to call concurrently. */
export interface Session {
  getAccessToken(options?: { signal?: AbortSignal }): Promise<string>
  getTokens(options?: { signal?: AbortSignal }): Promise<TokenSet>
  setTokens(tokens: TokenSet): Promise<TokenSet>
  invalidate(accessToken: string): boolean
  /** The current token when it is valid, synchronously; undefined means call getAccessToken. */
  validToken(): string | undefined
  clear(): Promise<void>
  on<K extends keyof TokenEvents>(event: K, listener: TokenEvents[K]): () => void
  /** `fetch` with the bearer token attached to `apiUrls` only; see createAuthorizedFetch. */
  fetch: typeof fetch
  close(): void
}

/** Builds a session over a client context: the token manager gets the grant steps injected. */
export function createSession(ctx: OAuthContext, options: SessionOptions = {}): Session {
  const { grant, tokens, apiUrls, store, lock, lockName, skew, backgroundRefresh, ...params } = options
  if (grant !== undefined && grant !== 'client_credentials') {
    throw new ConfigError('invalid_config', `session grant ${JSON.stringify(grant)} is not supported; use 'client_credentials', or sign in and pass tokens`)
  }
  const manager = new TokenManager({
    ...(grant === 'client_credentials' ? { obtain: (signal?: AbortSignal) => clientCredentialsGrant(ctx, { ...params, ...(signal ? { signal } : {}) }) } : {}),
    refresh: (refreshToken, signal) => refreshGrant(ctx, refreshToken, { ...params, ...(signal ? { signal } : {}) }),
    ...(store ? { store } : {}),
    ...(lock ? { lock } : {}),
    ...(lockName ? { lockName } : {}),
    ...(skew === undefined ? {} : { skew }),
    ...(backgroundRefresh ? { backgroundRefresh } : {}),
    clock: ctx.clock,
  })
  // Initial tokens are stored first; once that settled, calls take the manager's fast path.
  let ready: Promise<unknown> | undefined = tokens ? manager.setTokens(tokens) : undefined
  ready?.then(
    () => (ready = undefined),
    () => (ready = undefined),
  )
  const after = <T>(run: () => Promise<T>): Promise<T> => (ready ? ready.then(run, run) : run())
  const session: Session = {
    getAccessToken: (o) => (ready ? after(() => manager.getAccessToken(o)) : manager.getAccessToken(o)),
    getTokens: (o) => after(() => manager.getTokens(o)),
    setTokens: (t) => manager.setTokens(t),
    invalidate: (token) => manager.invalidate(token),
    validToken: () => (ready ? undefined : manager.validToken()),
    clear: () => manager.clear(),
    on: (event, listener) => manager.on(event, listener),
    fetch: () => Promise.reject(new ConfigError('invalid_config', 'session.fetch needs apiUrls: the API base URLs the token may be sent to')),
    close: () => manager.close(),
  }
  if (apiUrls?.length) {
    session.fetch = createAuthorizedFetch({ tokens: session, allowedUrls: apiUrls, ...(ctx.http.fetch ? { fetch: ctx.http.fetch } : {}) })
  }
  return session
}

/**
 * Creates a client: discovers the server (or takes the metadata or endpoints given), picks
 * the client authentication method, and returns every grant as a method.
 */
export async function createOAuthClient(options: OAuthClientOptions): Promise<OAuthClient> {
  if (!options || typeof options !== 'object') throw new ConfigError('invalid_config', 'createOAuthClient needs an options object')
  const http: HttpOptions = {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    ...(options.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
    ...(options.maxResponseBytes === undefined ? {} : { maxResponseBytes: options.maxResponseBytes }),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.dialect ? { dialect: compileDialect(options.dialect) } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  }
  const metadata = await resolveMetadata(options, http)
  const ctx = createContext(metadata, options, { http, ...(options.clock ? { clock: options.clock } : {}) })

  return {
    metadata,
    context: ctx,
    authorizationUrl: (o = {}) => {
      const redirectUri = o.redirectUri ?? options.redirectUri
      if (!redirectUri) throw new ConfigError('invalid_config', 'authorizationUrl needs a redirectUri (in the call or in createOAuthClient)')
      return buildAuthorizationUrl(ctx, { ...o, redirectUri })
    },
    completeAuthorization: (url, pending, o) => completeAuthorization(ctx, url, pending, o),
    exchangeCode: (o) => {
      const redirectUri = o?.redirectUri ?? options.redirectUri
      if (!redirectUri) throw new ConfigError('invalid_config', 'exchangeCode needs a redirectUri (in the call or in createOAuthClient)')
      return exchangeCode(ctx, { ...o, redirectUri })
    },
    clientCredentials: (o) => clientCredentialsGrant(ctx, o),
    refresh: (token, o) => refreshGrant(ctx, typeof token === 'string' ? token : (token?.refreshToken as string), o),
    password: (o) => passwordGrant(ctx, o),
    startDeviceAuthorization: (o) => startDeviceAuthorization(ctx, o),
    revoke: (token, o) => revokeToken(ctx, token, o),
    introspect: (token, o) => introspectToken(ctx, token, o),
    userInfo: (token, o) => fetchUserInfo(ctx, token, o),
    session: (o) => createSession(ctx, o),
  }
}
