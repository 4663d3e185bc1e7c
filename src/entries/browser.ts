/**
 * The single-page-app client, and what an SPA needs beside it.
 *
 * @module oauthkit/browser
 */
// `oauthkit/browser`: the single-page-app client, and what an SPA needs beside it (one import).
export { createBrowserClient } from '../browser/client.js'
export { getUserInfo } from '../browser/userinfo.js'
export { skipSubjectCheck } from '../protocol/endpoints/endpoints.js'
export { browserDPoP } from '../dpop/browser-key.js'
export type { DPoP } from '../dpop/proofs.js'
export type { BrowserClient, BrowserClientOptions, BrowserEvents, LoginOptions, LogoutResult } from '../browser/client.js'
export { OAuthKitError, ConfigError, NetworkError, ResponseError, OAuthServerError, isOAuthKitError } from '../errors.js'
export type { ErrorCode, Recovery } from '../errors.js'
export type { TokenSet } from '../types.js'
export type { UserInfo } from '../protocol/endpoints/endpoints.js'
export type { TokenStore, StoredTokens } from '../token/store.js'
export { webLock } from '../token/lock.js'
export { defineDialect } from '../dialects/apply.js'
export type { HttpOptions } from '../http/options.js'
