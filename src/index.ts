/**
 * The main entry: clients, sessions, every grant and endpoint as plain functions, discovery, the errors.
 *
 * @module oauthkit
 */
// The public surface of oauthkit: named re-exports only. Anything not listed here is private
// on purpose (the transport, the operation runner, oauth4webapi objects) and may change
// without notice. No oauth4webapi type appears in the published declarations.

// ---- Start here: a client, a session, the one configuration shape, the errors.
export { createOAuthClient } from './client.js'
export type { OAuthClient, OAuthClientOptions, ExchangeCodeOptions, ClientSessionOptions } from './client.js'
export { createClientCredentialsSession } from './m2m.js'
export type { ClientCredentialsSessionOptions } from './m2m.js'
export { createSession } from './session.js'
export type { Session, SessionOptions, SessionGrant } from './session.js'
export type { HttpOptions, TraceStart, TraceEnd } from './http/options.js'
export { OAuthKitError, ConfigError, NetworkError, ResponseError, OAuthServerError, isOAuthKitError } from './errors.js'
export type { ErrorCode, Recovery, OAuthKitErrorOptions } from './errors.js'
export type {
  TokenSet,
  AuthorizationDetail,
  AuthorizationServerMetadata,
  ProtectedResourceMetadata,
  JsonValue,
  RetryPolicy,
  RetryEvent,
} from './types.js'

// ---- Building blocks: every protocol step as a plain function of a context.
export { createContext, createPublicContext, chooseAuthMethod } from './protocol/run/client-auth.js'
export type { ClientOptions, AuthMethod } from './protocol/run/client-auth.js'
export type { OAuthContext, ContextOptions } from './protocol/run/context.js'
export { resolveMetadata } from './discovery/resolve.js'
export type { MetadataSource } from './discovery/resolve.js'
export { discover, discoverResource, discoverFromResource, resourceMetadataUrl, DiscoveryCache } from './discovery/index.js'
export type { DiscoveryOptions, Discovered, ResourceDiscovery, ResourceDiscoveryOptions } from './discovery/index.js'
export { buildAuthorizationUrl, parseCallback, completeAuthorization, exchangeCode } from './protocol/grants/authorization-code.js'
export type {
  AuthorizationUrlOptions,
  PendingAuthorization,
  PendingCompletion,
  CompleteAuthorizationOptions,
} from './protocol/grants/authorization-code.js'
export { buildEndSessionUrl } from './protocol/endpoints/end-session.js'
export type { EndSessionOptions } from './protocol/endpoints/end-session.js'
export { clientCredentialsGrant } from './protocol/grants/client-credentials.js'
export type { ClientCredentialsOptions } from './protocol/grants/client-credentials.js'
export { refreshGrant } from './protocol/grants/refresh.js'
export type { RefreshOptions } from './protocol/grants/refresh.js'
export { passwordGrant } from './protocol/grants/password.js'
export { tokenExchangeGrant, jwtBearerGrant, TOKEN_TYPES } from './protocol/grants/exchange.js'
export { createDPoP } from './dpop/proofs.js'
export type { DPoP, DPoPOptions } from './dpop/proofs.js'
export type { TokenProof } from './types.js'
export type { TokenExchangeOptions, JwtBearerOptions, TokenSource } from './protocol/grants/exchange.js'
export type { PasswordGrantOptions } from './protocol/grants/password.js'
export { startDeviceAuthorization } from './protocol/grants/device.js'
export type { DeviceAuthorization, DeviceWaitOptions } from './protocol/grants/device.js'
export { startBackchannelAuthentication, validatePing } from './protocol/grants/ciba.js'
export type { BackchannelAuthentication, BackchannelAuthenticationOptions } from './protocol/grants/ciba.js'
export { revokeToken, introspectToken, fetchUserInfo, skipSubjectCheck, registerClient } from './protocol/endpoints/endpoints.js'
export { validateLogoutToken } from './protocol/endpoints/logout-token.js'
export type { LogoutTokenOptions, LogoutTokenClaims } from './protocol/endpoints/logout-token.js'
export type {
  TokenHintOptions,
  IntrospectionResult,
  UserInfo,
  UserInfoOptions,
  ClientMetadata,
  RegisterOptions,
} from './protocol/endpoints/endpoints.js'
export type { GrantParameters } from './protocol/run/token.js'

// ---- Tokens: the manager, stores, locks, and the authorized fetch.
export { TokenManager, DEFAULT_SKEW_MS } from './token/manager.js'
export type { TokenManagerOptions, TokenControl, TokenEvents, AccessTokenSource } from './token/manager.js'
export type { RenewalEvent } from './token/renewal.js'
export { memoryStore, webStorageStore, keyValueTokenStore, memoryKeyValueStore } from './token/store.js'
export type { TokenStore, StoredTokens, KeyValueStore, SyncKeyValueStore } from './token/store.js'
export { inProcessLock } from './token/lock.js'
export type { Lock } from './token/lock.js'
export { createAuthorizedFetch } from './fetch/authorized-fetch.js'
export type { AuthorizedFetchOptions } from './fetch/authorized-fetch.js'
export type { Clock } from './internal/clock.js'

// ---- Dialects: vendor quirks as declared data (presets live in `oauthkit/dialects`).
export { defineDialect, composeDialects } from './dialects/apply.js'
export type {
  Dialect,
  DialectSpec,
  Endpoint,
  Endpoints,
  OutgoingRequest,
  Placement,
  CredentialsPlacement,
  VendorPreset,
} from './dialects/types.js'
export type { ExpiresInPolicy } from './wire/token.js'
