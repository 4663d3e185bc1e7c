import { ConfigError } from '../errors.js'
import type { Endpoints } from '../dialects/types.js'
import { pickHttpOptions, type HttpOptions } from '../http/options.js'
import { parseUrl } from '../internal/url.js'
import type { AuthorizationServerMetadata } from '../types.js'
import { parseAuthorizationServerMetadata } from '../wire/metadata.js'
import type { ContextOptions, OAuthContext } from '../protocol/run/context.js'
import { discover, type DiscoveryCache, type DiscoveryOptions } from './index.js'

/**
 * Where a client's server metadata comes from: given, built from endpoints, or discovered.
 *
 * @group Discovery
 */
export interface MetadataSource {
  /** The issuer identifier: discovery runs from it unless `metadata` or `endpoints.token` is given. */
  issuer?: string | URL
  /** Metadata given by hand (no discovery). */
  metadata?: AuthorizationServerMetadata
  /** Endpoints given one by one; they override discovered or given metadata. */
  endpoints?: Endpoints
  /** Discovery cache; `false` for none. Default: shared, one hour, keyed by the configuration too. */
  discoveryCache?: DiscoveryCache | false
  /** Which well-known document discovery asks for first (see `discover`). */
  wellKnownFirst?: DiscoveryOptions['wellKnownFirst']
}

/** Each endpoint that may be given by hand, and the metadata field it fills. */
export const ENDPOINT_FIELDS: Record<keyof Endpoints, keyof AuthorizationServerMetadata & string> = {
  authorization: 'authorization_endpoint',
  token: 'token_endpoint',
  revocation: 'revocation_endpoint',
  introspection: 'introspection_endpoint',
  userinfo: 'userinfo_endpoint',
  registration: 'registration_endpoint',
  deviceAuthorization: 'device_authorization_endpoint',
  endSession: 'end_session_endpoint',
  jwks: 'jwks_uri',
}

/**
 * Resolves the server metadata a source describes, validated: given, built from endpoints, or
 * discovered (with the {@link HttpOptions} given, or those in the source itself).
 *
 * @example
 * const metadata = await resolveMetadata({ issuer: 'https://auth.example.com', endpoints: { revocation: 'https://auth.example.com/revoke' } })
 *
 * @group Discovery
 */
export async function resolveMetadata(
  source: MetadataSource & HttpOptions,
  http: HttpOptions = pickHttpOptions(source),
): Promise<AuthorizationServerMetadata> {
  if (!source || typeof source !== 'object')
    throw new ConfigError('invalid_config', 'resolveMetadata needs an issuer, metadata or endpoints.token')
  const byHand: Record<string, string> = {}
  for (const [key, field] of Object.entries(ENDPOINT_FIELDS)) {
    const value = source.endpoints?.[key as keyof Endpoints]
    if (value !== undefined) byHand[field] = value
  }
  let base: Record<string, unknown>
  if (source.metadata) {
    base = { ...source.metadata }
  } else if (byHand.token_endpoint) {
    base = { issuer: source.issuer ? String(source.issuer) : parseUrl(byHand.token_endpoint, 'endpoints.token').origin }
  } else if (source.issuer) {
    const { discoveryCache, wellKnownFirst } = source
    const found = await discover(source.issuer, {
      ...http,
      ...(discoveryCache === undefined ? {} : { discoveryCache }),
      ...(wellKnownFirst ? { wellKnownFirst } : {}),
    })
    base = { ...found.metadata }
  } else {
    throw new ConfigError('invalid_config', 'a client needs an issuer (for discovery), metadata, or endpoints.token')
  }
  return parseAuthorizationServerMetadata({ ...base, ...byHand }, 'the client options')
}

/**
 * What every constructor resolves a client from: where the server is ({@link MetadataSource}),
 * the {@link HttpOptions} (transport and runtime policy: timeout, retry, clock, dialect, …) and
 * a DPoP key, flat — the constructor's own fields beside them are not read.
 */
export interface ClientSource extends MetadataSource, HttpOptions {
  /** A DPoP key, or the promise of one (the browser's, read from IndexedDB). */
  dpop?: ContextOptions['dpop'] | Promise<NonNullable<ContextOptions['dpop']>> | undefined
}

/**
 * The one resolution of a client, called by every constructor (`createOAuthClient`,
 * `createClientCredentialsSession`, `createBrowserClient`, and `createMcpAuth` for each
 * authorization server it meets): the server metadata (given, from endpoints, or discovered —
 * `signal` cancels that discovery and is never kept), then the context `identify` makes of it
 * with the transport and policy options and the DPoP key. `identify` is the client identity:
 * a confidential client's authentication (with or without the private_key_jwt signer) or a
 * public client's, so that each entry carries only the code it uses.
 */
export async function resolveClient(
  name: string,
  source: ClientSource,
  identify: (metadata: AuthorizationServerMetadata, options: ContextOptions) => OAuthContext,
): Promise<OAuthContext> {
  if (!source || typeof source !== 'object') throw new ConfigError('invalid_config', `${name} needs an options object`)
  const { signal, ...http } = pickHttpOptions(source)
  const metadata = await resolveMetadata(source, signal ? { ...http, signal } : http)
  const dpop = await source.dpop
  return identify(metadata, dpop ? { ...http, dpop } : http)
}
