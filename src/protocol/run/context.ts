import * as o from 'oauth4webapi'
import type { DPoP, ProvingKey } from '../../dpop/proofs.js'
import { ConfigError } from '../../errors.js'
import { systemClock, type Clock } from '../../internal/clock.js'
import { hooksOf } from '../../dialects/types.js'
import { skewOf } from '../../http/skew.js'
import { pickHttpOptions, type HttpOptions } from '../../http/options.js'
import type { AuthorizationServerMetadata } from '../../types.js'

/**
 * How the client authenticates at the token, revocation and introspection endpoints.
 *
 * - `client_secret_basic`: RFC 6749 §2.3.1 — id and secret form-urlencoded, then Basic. Only
 *   what the encoding needs is escaped: letters, digits and `-._~` go as they are, so a UUID
 *   client id reads the same to a server that never decodes.
 * - `client_secret_basic_unencoded`: Basic over the raw `id:secret`, for servers that never
 *   decode a secret with other characters (`+`, `%`, `/`, …).
 * - `client_secret_post`: id and secret in the form body.
 * - `private_key_jwt`: a signed client assertion (RFC 7523 §2.2, OpenID Connect Core §9).
 * - `none`: a public client; sends `client_id` only (and relies on PKCE).
 *
 * @group Contexts
 */
export type AuthMethod = 'client_secret_basic' | 'client_secret_basic_unencoded' | 'client_secret_post' | 'private_key_jwt' | 'none'

/**
 * Options of createContext and createPublicContext: the {@link HttpOptions}, flat, and a DPoP key.
 *
 * @group Contexts
 */
export interface ContextOptions extends HttpOptions {
  /** Sender-constrained tokens (RFC 9449): the DPoP key from `createDPoP()`. */
  dpop?: DPoP
}

/**
 * Everything a protocol operation needs — server metadata, client, how it authenticates, how
 * it talks HTTP and what time it is — as one immutable value. Build one with `createContext`
 * (any client) or `createPublicContext` (public clients); its internals are private.
 *
 * @group Contexts
 */
export interface OAuthContext {
  readonly metadata: AuthorizationServerMetadata
  readonly clientId: string
  readonly authMethod: AuthMethod
}

/** What operations read from a context; never part of the published types. */
export interface ContextInternals {
  as: o.AuthorizationServer
  client: o.Client
  clientAuth: o.ClientAuth
  options: HttpOptions
  clock: Clock
  /** The DPoP key (RFC 9449). */
  dpop?: DPoP
  /**
   * How this context checks an ID token in a token answer (createContext, createPublicContext:
   * protocol/run/id-token.ts's readIdToken). The machine-to-machine entry and the MCP client ask
   * for none, and drop one that comes anyway (protocol/run/token.ts).
   */
  idTokens: IdTokenReader
}

/**
 * What the ID token of an authorization code's answer is held to beyond OpenID Connect Core
 * §3.1.3.7: its nonce is compared — the one sent must come back, and none may come when none was
 * sent (§3.1.3.7 (11)). Other grants give none: their ID token's nonce is not compared.
 */
export interface IdTokenCheck {
  /** The nonce the authorization request sent: then an ID token is required. */
  nonce?: string | undefined
  /** The `max_age` the authorization request sent, in seconds: `auth_time` is then required and may not be older (§3.1.3.7 (13)). */
  maxAge?: number | undefined
}

/** Checks a token answer's ID token (possibly absent, when one is required): the answer's body with the ID token's claims. */
export type IdTokenReader = (
  internals: ContextInternals,
  body: Record<string, unknown>,
  name: string,
  check: IdTokenCheck | undefined,
) => Promise<{ body: Record<string, unknown>; claims?: Record<string, unknown> }>

// A module-level WeakMap keeps the internals off the public object (and out of its types).
const internals = new WeakMap<OAuthContext, ContextInternals>()

/** The internals of a context made by createContext / createPublicContext. */
export function int(ctx: OAuthContext): ContextInternals {
  const found = internals.get(ctx)
  if (!found)
    throw new ConfigError(
      'invalid_config',
      'not an oauthkit context: make one with createContext or createPublicContext (or use client.context)',
    )
  return found
}

/** Assembles a context once the client authentication is decided. */
export function contextOf(
  metadata: AuthorizationServerMetadata,
  clientId: string,
  authMethod: AuthMethod,
  clientAuth: o.ClientAuth,
  idTokenSignedResponseAlg: string | undefined,
  given: ContextOptions,
  idTokens: IdTokenReader,
): OAuthContext {
  if (typeof clientId !== 'string' || clientId === '') {
    throw new ConfigError('invalid_config', 'clientId is required: the client identifier the authorization server issued')
  }
  // A signal belongs to a call, never to a configuration: one kept here would cancel every later request for good.
  const { signal: _call, ...options } = pickHttpOptions(given)
  if (options.dialect !== undefined && !hooksOf(options.dialect)) {
    throw new ConfigError('invalid_config', 'dialect: declare it with defineDialect(…) (or use a preset); a plain object would be ignored')
  }
  const clock = options.clock ?? systemClock
  // The ID token's algorithm: the one configured, else one the server lists — but never `none`
  // for the listing alone (OpenID Connect Core §2: RS256 by default; unsigned only when configured).
  // oauth4webapi takes a list here as well as one algorithm.
  const listed = metadata.id_token_signing_alg_values_supported
  const signed =
    idTokenSignedResponseAlg ?? (Array.isArray(listed) && listed.includes('none') ? listed.filter((a) => a !== 'none') : undefined)
  const client: o.Client = { client_id: clientId, ...(signed ? { id_token_signed_response_alg: signed as string } : {}) }
  // oauth4webapi validates JWT times against its own clock: skew it to ours, and ours to the
  // server's as its Date headers measured it (ID token iat, exp, auth_time are its times).
  Object.defineProperty(client, o.clockSkew, {
    get: () => Math.round((clock.now() - Date.now() + skewOf(options)) / 1000),
    enumerable: false,
  })
  const ctx: OAuthContext = Object.freeze({ metadata, clientId, authMethod })
  // Proofs to resource servers dated as the token requests' are: this context's clock and the server's measured skew.
  const dpop = given.dpop && ((given.dpop as ProvingKey).at?.(() => clock.now() + skewOf(options)) ?? given.dpop)
  internals.set(ctx, {
    as: metadata as o.AuthorizationServer,
    client,
    clientAuth,
    options,
    clock,
    ...(dpop ? { dpop } : {}),
    idTokens,
  })
  return ctx
}
