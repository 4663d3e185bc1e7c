/**
 * Machine to machine, and nothing else: a client_credentials session with an authorized fetch.
 *
 * @module oauthkit/m2m
 */
// `oauthkit/m2m`: machine to machine, and nothing else — a client_credentials session with an
// authorized fetch. Bundles that start here carry no authorization code, device, password,
// introspection, userinfo or registration code.
export { createClientCredentialsSession } from '../m2m.js'
export type { ClientCredentialsSessionOptions } from '../m2m.js'
export type { Session } from '../session.js'
export type { HttpOptions, TraceStart, TraceEnd } from '../http/options.js'
export type { RetryPolicy, RetryEvent } from '../types.js'
export type { RenewalEvent } from '../token/renewal.js'
export { OAuthKitError, isOAuthKitError } from '../errors.js'
export type { ErrorCode, Recovery } from '../errors.js'
export type { TokenSet } from '../types.js'
