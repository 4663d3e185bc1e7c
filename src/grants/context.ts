import * as o from 'oauth4webapi'
import { ConfigError } from '../errors.js'
import { systemClock, type Clock } from '../internal/clock.js'
import { send, type HttpOptions } from '../http/transport.js'
import { isCompiled, type Endpoint } from '../dialects/types.js'
import type { AuthorizationServerMetadata } from '../types.js'

// Type-only: the secret- and key-based methods stay out of bundles that do not use them.
import type { AuthMethod } from './client-auth.js'

export interface ContextOptions {
  http?: HttpOptions
  clock?: Clock
}

/**
 * Everything a protocol operation needs: server metadata, client, how it authenticates, how it
 * talks HTTP and what time it is. Immutable; build one with {@link createContext}.
 */
export interface OAuthContext {
  readonly metadata: AuthorizationServerMetadata
  readonly clientId: string
  readonly authMethod: AuthMethod
  readonly http: HttpOptions
  readonly clock: Clock
  /** @internal */
  readonly as: o.AuthorizationServer
  /** @internal */
  readonly client: o.Client
  /** @internal */
  readonly clientAuth: o.ClientAuth
}

/**
 * A context for a public client (`token_endpoint_auth_method` `none`: browsers, native apps,
 * CLIs), without the code of the secret- and key-based methods.
 */
export function createPublicContext(metadata: AuthorizationServerMetadata, clientId: string, options: ContextOptions = {}): OAuthContext {
  if (options.http?.dialect && !isCompiled(options.http.dialect)) {
    throw new ConfigError('invalid_config', `dialect ${options.http.dialect.name}: pass compileDialect(dialect) or a preset to createPublicContext`)
  }
  return contextOf(metadata, clientId, 'none', o.None(), undefined, options)
}

/** @internal Assembles a context once the client authentication is decided. */
export function contextOf(
  metadata: AuthorizationServerMetadata,
  clientId: string,
  authMethod: AuthMethod,
  clientAuth: o.ClientAuth,
  idTokenSignedResponseAlg: string | undefined,
  options: ContextOptions,
): OAuthContext {
  if (typeof clientId !== 'string' || clientId === '') {
    throw new ConfigError('invalid_config', 'clientId is required: the client identifier the authorization server issued')
  }
  const clock = options.clock ?? systemClock
  const client: o.Client = {
    client_id: clientId,
    ...(idTokenSignedResponseAlg ? { id_token_signed_response_alg: idTokenSignedResponseAlg } : {}),
  }
  // oauth4webapi validates JWT times against its own clock; skew it to ours.
  Object.defineProperty(client, o.clockSkew, {
    get: () => Math.round((clock.now() - Date.now()) / 1000),
    enumerable: false,
  })
  return { metadata, clientId, authMethod, http: options.http ?? {}, clock, as: metadata as o.AuthorizationServer, client, clientAuth }
}

/** oauth4webapi request options that route through the oauthkit transport. */
export function requestOptions(ctx: Pick<OAuthContext, 'http'>, endpoint: Endpoint, signal?: AbortSignal) {
  return {
    [o.customFetch]: (url: string, init: Parameters<typeof send>[2]) => send(endpoint, url, init, ctx.http),
    // The transport enforces the http: policy (loopback allowed, others only by opt-in).
    [o.allowInsecureRequests]: true,
    ...(signal ? { signal } : {}),
  }
}

/** Throws a ConfigError when the server metadata lacks an endpoint an operation needs. */
export function requireEndpoint(ctx: OAuthContext, field: keyof AuthorizationServerMetadata & string, operation: string): string {
  const value = ctx.metadata[field]
  if (typeof value !== 'string') {
    throw new ConfigError(
      'missing_endpoint',
      `${operation} needs ${field}, which the metadata of ${ctx.metadata.issuer} lacks; give it in endpoints`,
    )
  }
  return value
}
