import * as o from 'oauth4webapi'
import { ConfigError, ResponseError, redactUrl, type OAuthKitError } from '../errors.js'
import { systemClock, type Clock } from '../internal/clock.js'
import { parseUrl } from '../internal/url.js'
import { bearerChallenge } from '../internal/www-authenticate.js'
import { send, type HttpOptions } from '../http/transport.js'
import { translateError } from '../grants/translate.js'
import { parseAuthorizationServerMetadata, parseProtectedResourceMetadata } from '../wire/metadata.js'
import type { AuthorizationServerMetadata, ProtectedResourceMetadata } from '../types.js'
import { DiscoveryCache, sharedDiscoveryCache } from './cache.js'

export interface DiscoveryOptions {
  http?: HttpOptions
  clock?: Clock
  /** A cache of your own, or `false` for none. Default: one shared cache, one hour TTL. */
  cache?: DiscoveryCache | false
  signal?: AbortSignal
}

export interface Discovered<T> {
  metadata: T
  /** The URL that answered. */
  url: string
  /** When it answered (epoch ms). */
  fetchedAt: number
}

/**
 * Discovers an authorization server's metadata from its issuer identifier. Tries, in order:
 *
 * 1. RFC 8414 §3.1: `/.well-known/oauth-authorization-server` inserted before the issuer's path;
 * 2. OpenID Connect Discovery §4.1: `/.well-known/openid-configuration` appended to the issuer;
 * 3. RFC 8414 §5: `/.well-known/openid-configuration` inserted before the issuer's path.
 *
 * A 4xx moves on to the next; anything else that is not valid metadata stops with a typed
 * error. The document's `issuer` must be identical to the one asked for (RFC 8414 §3.3).
 */
export function discover(issuer: string | URL, options: DiscoveryOptions = {}): Promise<Discovered<AuthorizationServerMetadata>> {
  const expected = parseUrl(issuer, 'issuer')
  if (expected.search || expected.hash) {
    throw new ConfigError('invalid_config', `issuer ${redactUrl(expected)} must have no query or fragment (RFC 8414 §2)`)
  }
  const clock = options.clock ?? systemClock
  const load = () => discoverUncached(expected, options, clock)
  if (options.cache === false) return load()
  return (options.cache ?? sharedDiscoveryCache()).get(`as ${expected.href}`, clock.now(), load)
}

function wellKnownCandidates(issuer: URL): string[] {
  const path = issuer.pathname.replace(/\/$/, '')
  const list = [
    `${issuer.origin}/.well-known/oauth-authorization-server${path}`,
    `${issuer.origin}${path}/.well-known/openid-configuration`,
    `${issuer.origin}/.well-known/openid-configuration${path}`,
  ]
  return [...new Set(list)]
}

async function discoverUncached(expected: URL, options: DiscoveryOptions, clock: Clock): Promise<Discovered<AuthorizationServerMetadata>> {
  const tried: string[] = []
  let networkError: OAuthKitError | undefined
  for (const url of wellKnownCandidates(expected)) {
    let response: Response
    try {
      response = await send('discovery', url, { method: 'GET', headers: { accept: 'application/json' }, ...signalOf(options) }, options.http)
    } catch (err) {
      // In a browser a 404 without CORS headers (common for unknown well-known paths) is a
      // network error: try the next location; report the failure only if none answers.
      if ((err as OAuthKitError).code !== 'network_error') throw err
      networkError = err as OAuthKitError
      tried.push(`${url} (network error)`)
      continue
    }
    if (response.status >= 400 && response.status < 500) {
      tried.push(`${url} (${response.status})`)
      continue
    }
    let raw: o.AuthorizationServer
    try {
      raw = await o.processDiscoveryResponse(expected, response)
    } catch (err) {
      throw discoveryError(err, url, expected.href, 'issuer')
    }
    return { metadata: parseAuthorizationServerMetadata(raw, url), url, fetchedAt: clock.now() }
  }
  if (networkError && tried.every((t) => t.endsWith('(network error)'))) throw networkError
  throw new ResponseError(
    'discovery_failed',
    `no discovery document for issuer ${redactUrl(expected)} (tried ${tried.join(', ')}); check the issuer, or give the endpoints by hand`,
    { url: redactUrl(expected) },
  )
}

function discoveryError(err: unknown, url: string, expected: string, attribute: 'issuer' | 'resource'): OAuthKitError {
  const translated = translateError(err, `discovery at ${url}`, url)
  if (translated.code !== 'issuer_mismatch') return translated
  const body = ((err as { cause?: { body?: Record<string, unknown> } }).cause?.body ?? {}) as Record<string, unknown>
  return new ResponseError(
    attribute === 'issuer' ? 'issuer_mismatch' : 'resource_mismatch',
    `discovery at ${url} failed: the document names ${attribute} ${JSON.stringify(body[attribute])} but ${JSON.stringify(expected)} was asked for (RFC ${attribute === 'issuer' ? '8414 §3.3' : '9728 §3.3'}); refusing it`,
    { url, cause: err },
  )
}

function signalOf(options: { signal?: AbortSignal }) {
  return options.signal ? { signal: options.signal } : {}
}

/**
 * Fetches RFC 9728 protected resource metadata.
 *
 * `resource` is the resource identifier (the URL you call); the metadata is read from
 * `/.well-known/oauth-protected-resource` inserted before its path (RFC 9728 §3.1), or from
 * `metadataUrl` when given (as in a 401's `resource_metadata`). Either way the document's
 * `resource` must be identical to the resource identifier (RFC 9728 §3.3).
 */
export function discoverResource(
  resource: string | URL,
  options: DiscoveryOptions & { metadataUrl?: string | URL } = {},
): Promise<Discovered<ProtectedResourceMetadata>> {
  const id = parseUrl(resource, 'resource')
  id.hash = ''
  const metadataUrl = options.metadataUrl
    ? parseUrl(options.metadataUrl, 'resource_metadata')
    : new URL(`${id.origin}/.well-known/oauth-protected-resource${id.pathname.replace(/\/$/, '')}${id.search}`)
  const clock = options.clock ?? systemClock
  const load = async (): Promise<Discovered<ProtectedResourceMetadata>> => {
    const url = metadataUrl.href
    const response = await send('resource_metadata', url, { method: 'GET', headers: { accept: 'application/json' }, ...signalOf(options) }, options.http)
    let raw: o.ResourceServer
    try {
      raw = await o.processResourceDiscoveryResponse(id, response)
    } catch (err) {
      throw discoveryError(err, redactUrl(url), id.href, 'resource')
    }
    return { metadata: parseProtectedResourceMetadata(raw, redactUrl(url)), url, fetchedAt: clock.now() }
  }
  if (options.cache === false) return load()
  return (options.cache ?? sharedDiscoveryCache()).get(`pr ${id.href} ${metadataUrl.href}`, clock.now(), load)
}

/**
 * The `resource_metadata` URL of a 401's `WWW-Authenticate: Bearer` challenge (RFC 9728 §5.1),
 * or undefined when there is none.
 */
export function resourceMetadataUrl(responseOrHeader: Response | string | null): string | undefined {
  const header = typeof responseOrHeader === 'string' || responseOrHeader === null ? responseOrHeader : responseOrHeader.headers.get('www-authenticate')
  return bearerChallenge(header)?.params.resource_metadata
}

export interface ResourceDiscovery {
  resource: Discovered<ProtectedResourceMetadata>
  authorizationServer: Discovered<AuthorizationServerMetadata>
}

/**
 * From a protected resource to its authorization server: RFC 9728 metadata (from the resource
 * URL, or from the `resource_metadata` of a 401 when `challenge` is given), then RFC 8414 /
 * OpenID Connect discovery of the first authorization server it names.
 */
export async function discoverFromResource(
  resource: string | URL,
  options: DiscoveryOptions & { challenge?: Response | string } = {},
): Promise<ResourceDiscovery> {
  const fromChallenge = options.challenge === undefined ? undefined : resourceMetadataUrl(options.challenge)
  if (options.challenge !== undefined && !fromChallenge) {
    throw new ResponseError('invalid_response', 'the 401 carries no WWW-Authenticate Bearer challenge with resource_metadata (RFC 9728 §5.1)')
  }
  const pr = await discoverResource(resource, { ...options, ...(fromChallenge ? { metadataUrl: fromChallenge } : {}) })
  const issuer = pr.metadata.authorization_servers?.[0]
  if (!issuer) {
    throw new ResponseError('invalid_metadata', `protected resource metadata from ${redactUrl(pr.url)} names no authorization_servers`, {
      url: redactUrl(pr.url),
    })
  }
  return { resource: pr, authorizationServer: await discover(issuer, options) }
}

export { DiscoveryCache } from './cache.js'
