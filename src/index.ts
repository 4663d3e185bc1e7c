// The public surface of oauthkit: named re-exports only. Anything not listed here is private
// on purpose (the transport internals, oauth4webapi objects) and may change without notice.

export { createOAuthClient, resolveMetadata, createSession } from './client.js'
export type { OAuthClient, OAuthClientOptions, Endpoints, Session, SessionOptions } from './client.js'

export { TokenManager, DEFAULT_SKEW_MS } from './token/manager.js'
export type { TokenManagerOptions, TokenEvents, AccessTokenSource } from './token/manager.js'
export { memoryStore, webStorageStore } from './token/store.js'
export type { TokenStore, StoredTokens } from './token/store.js'
export { inProcessLock } from './token/lock.js'
export type { Lock } from './token/lock.js'
export { createAuthorizedFetch } from './fetch/authorized-fetch.js'
export type { AuthorizedFetchOptions } from './fetch/authorized-fetch.js'

export { discover, discoverResource, discoverFromResource, resourceMetadataUrl, DiscoveryCache } from './discovery/index.js'
export type { DiscoveryOptions, Discovered, ResourceDiscovery } from './discovery/index.js'

export { createContext, chooseAuthMethod } from './grants/client-auth.js'
export type { ClientOptions, AuthMethod } from './grants/client-auth.js'
export { createPublicContext } from './grants/context.js'
export type { OAuthContext, ContextOptions } from './grants/context.js'
export { buildAuthorizationUrl, parseCallback, completeAuthorization } from './grants/authorization-code.js'
export type { AuthorizationUrlOptions, PendingAuthorization, CompleteAuthorizationOptions } from './grants/authorization-code.js'
export { clientCredentialsGrant } from './grants/client-credentials.js'
export type { ClientCredentialsOptions } from './grants/client-credentials.js'
export { refreshGrant } from './grants/refresh.js'
export type { RefreshOptions } from './grants/refresh.js'
export { passwordGrant } from './grants/password.js'
export type { PasswordGrantOptions } from './grants/password.js'
export { startDeviceAuthorization } from './grants/device.js'
export type { DeviceAuthorization, DeviceWaitOptions } from './grants/device.js'
export { revokeToken, introspectToken, fetchUserInfo, registerClient } from './grants/endpoints.js'
export type { TokenHintOptions, IntrospectionResult, UserInfoOptions, ClientMetadata, RegisterOptions } from './grants/endpoints.js'
export type { GrantParameters } from './grants/token.js'

export { OAuthKitError, ConfigError, NetworkError, ResponseError, OAuthServerError, isOAuthKitError } from './errors.js'
export type { ErrorCode, Recovery } from './errors.js'

export type { TokenSet, AuthorizationServerMetadata, ProtectedResourceMetadata, JsonValue } from './types.js'
export type { Clock } from './internal/clock.js'
export type { HttpOptions } from './http/transport.js'
export type { Dialect, Endpoint, OutgoingRequest } from './dialects/types.js'
export type { ExpiresInPolicy } from './wire/token.js'
