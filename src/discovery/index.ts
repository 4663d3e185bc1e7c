import * as o from 'oauth4webapi'
import { ConfigError, ResponseError, cleanText, redactUrl, type OAuthKitError } from '../errors.js'
import { untilAborted } from '../internal/abort.js'
import { systemClock } from '../internal/clock.js'
import { assertSecureUrl, parseUrl } from '../internal/url.js'
import { bearerChallenge } from '../internal/www-authenticate.js'
import { pickHttpOptions, type HttpOptions } from '../http/options.js'
import { hooksOf } from '../dialects/types.js'
import { runOperation } from '../protocol/run/operation.js'
import { parseAuthorizationServerMetadata, parseProtectedResourceMetadata } from '../wire/metadata.js'
import type { AuthorizationServerMetadata, ProtectedResourceMetadata } from '../types.js'
import { DiscoveryCache, configurationKey, sharedDiscoveryCache } from './cache.js'

/**
 * Discovery options: the {@link HttpOptions} fields, flat, and the cache to use.
 *
 * @group Discovery
 */
export interface DiscoveryOptions extends HttpOptions {
  /**
   * A cache of your own, or `false` for none. Default: one shared cache, one hour TTL, whose
   * entries are keyed by everything that changes the answer (`fetch`, dialect, headers, the
   * http policy): two configurations never share a result.
   */
  discoveryCache?: DiscoveryCache | false
  /**
   * Which document to ask for first: `oauth-authorization-server` (RFC 8414, the default) or
   * `openid-configuration` (OpenID Connect). In a browser every miss is a console error (a 404
   * without CORS headers), so the browser client asks an OpenID provider's first.
   */
  wellKnownFirst?: 'oauth-authorization-server' | 'openid-configuration'
}

/**
 * Runs `load` through the cache the options name, under a key that includes the configuration.
 * A shared load is no one caller's: it runs without any caller's `signal` (the transport's
 * timeout bounds it), and each caller stops waiting on its own signal — one caller's abort
 * never fails the others.
 */
function cached<T>(key: string, options: DiscoveryOptions, http: HttpOptions, load: (http: HttpOptions) => Promise<T>): Promise<T> {
  const cache = options.discoveryCache
  if (cache === false) return load(http)
  const { signal, ...shared } = http
  return untilAborted(signal, 'discovery', () =>
    (cache ?? sharedDiscoveryCache()).get(`${key} ${configurationKey(http)}`, (http.clock ?? systemClock).now(), () => load(shared)),
  )
}

/**
 * A discovered document: the metadata, the URL that served it, and when.
 *
 * @group Discovery
 */
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
 * 3. RFC 8414 §5: `/.well-known/openid-configuration` inserted before the issuer's path
 *
 * (with `wellKnownFirst: 'openid-configuration'`, 2 and 3 before 1).
 *
 * A 4xx moves on to the next; anything else that is not valid metadata stops with a typed
 * error. The document's `issuer` must be identical to the one asked for (RFC 8414 §3.3).
 *
 * @example
 * const { metadata, url } = await discover('https://auth.example.com')
 *
 * @group Discovery
 */
export async function discover(issuer: string | URL, options: DiscoveryOptions = {}): Promise<Discovered<AuthorizationServerMetadata>> {
  options ??= {}
  const expected = parseUrl(issuer, 'issuer')
  if (expected.search || expected.hash) {
    throw new ConfigError('invalid_config', `issuer ${redactUrl(expected)} must have no query or fragment (RFC 8414 §2)`)
  }
  const http = pickHttpOptions(options)
  assertSecureUrl(expected, http.allowInsecureHttp, 'the issuer')
  const first = options.wellKnownFirst ?? 'oauth-authorization-server'
  return cached(`as ${first} ${expected.href}`, options, http, (h) => discoverUncached(expected, h, first))
}

function wellKnownCandidates(issuer: URL, first: DiscoveryOptions['wellKnownFirst']): string[] {
  const path = issuer.pathname.replace(/\/$/, '')
  const oauth = `${issuer.origin}/.well-known/oauth-authorization-server${path}`
  const list = [`${issuer.origin}${path}/.well-known/openid-configuration`, `${issuer.origin}/.well-known/openid-configuration${path}`]
  return [...new Set(first === 'openid-configuration' ? [...list, oauth] : [oauth, ...list])]
}

async function discoverUncached(
  expected: URL,
  http: HttpOptions,
  first: DiscoveryOptions['wellKnownFirst'],
): Promise<Discovered<AuthorizationServerMetadata>> {
  const tried: string[] = []
  let networkError: OAuthKitError | undefined
  for (const url of wellKnownCandidates(expected, first)) {
    let found: Discovered<AuthorizationServerMetadata> | number
    try {
      found = await runOperation(http, {
        name: `discovery at ${redactUrl(url)}`,
        endpoint: 'discovery',
        url,
        request: (_, send) => send(url, { method: 'GET', headers: { accept: 'application/json' } }),
        // A 4xx moves on to the next location.
        process: async (response) =>
          response.status >= 400 && response.status < 500
            ? response.status
            : {
                metadata: parseAuthorizationServerMetadata(
                  // A deviation the dialect declares for this server (a path-ancestor issuer), else the issuer asked for.
                  await o.processDiscoveryResponse(
                    (await hooksOf(http.dialect)?.issuer?.(expected, response, http.onWarning)) ?? expected,
                    response,
                  ),
                  url,
                ),
                url,
                fetchedAt: (http.clock ?? systemClock).now(),
              },
      })
    } catch (err) {
      // In a browser a 404 without CORS headers (common for unknown well-known paths) is a
      // network error: try the next location; report the failure only if none answers.
      if ((err as OAuthKitError).code !== 'network_error') throw err
      networkError = err as OAuthKitError
      tried.push(`${url} (network error)`)
      continue
    }
    if (typeof found !== 'number') return found
    tried.push(`${url} (${found})`)
  }
  if (networkError && tried.every((t) => t.endsWith('(network error)'))) throw networkError
  throw new ResponseError(
    'discovery_failed',
    `no discovery document for issuer ${redactUrl(expected)} (tried ${tried.join(', ')}); check the issuer, or give the endpoints by hand`,
    { url: redactUrl(expected) },
  )
}

/**
 * Fetches RFC 9728 protected resource metadata.
 *
 * `resource` is the resource identifier (the URL you call). The metadata is read from
 * `metadataUrl` when given (as in a 401's `resource_metadata`); else from
 * `/.well-known/oauth-protected-resource` inserted before the resource's path (RFC 9728 §3.1),
 * and when that answers 4xx, from the same name at the root, which describes the origin (as the
 * MCP authorization spec has clients try). The document's `resource` must be identical to the
 * resource identifier the URL was built from (RFC 9728 §3.3): the resource, or for the root
 * document its origin.
 *
 * @example
 * const { metadata } = await discoverResource('https://mcp.example.com/mcp')
 * const issuer = metadata.authorization_servers?.[0]
 *
 * @group Discovery
 */
export async function discoverResource(
  resource: string | URL,
  options: DiscoveryOptions & { metadataUrl?: string | URL } = {},
): Promise<Discovered<ProtectedResourceMetadata>> {
  options ??= {}
  const id = parseUrl(resource, 'resource')
  assertSecureUrl(id, options.allowInsecureHttp, 'the resource')
  id.hash = ''
  const http = pickHttpOptions(options)
  if (options.metadataUrl) return resourceDocument(id, parseUrl(options.metadataUrl, 'resource_metadata').href, options, http)
  const root = `${id.origin}/.well-known/oauth-protected-resource`
  const pathAware = `${root}${id.pathname.replace(/\/$/, '')}${id.search}`
  const found = pathAware === root ? undefined : await resourceDocument(id, pathAware, options, http, true)
  return found ?? resourceDocument(new URL(id.origin), root, options, http)
}

/** One protected resource metadata document, cached; with `orMissing`, undefined for a 4xx. */
function resourceDocument(
  id: URL,
  url: string,
  options: DiscoveryOptions,
  http: HttpOptions,
): Promise<Discovered<ProtectedResourceMetadata>>
function resourceDocument(
  id: URL,
  url: string,
  options: DiscoveryOptions,
  http: HttpOptions,
  orMissing: true,
): Promise<Discovered<ProtectedResourceMetadata> | undefined>
function resourceDocument(
  id: URL,
  url: string,
  options: DiscoveryOptions,
  http: HttpOptions,
  orMissing = false,
): Promise<Discovered<ProtectedResourceMetadata> | undefined> {
  const load = (h: HttpOptions) =>
    runOperation(h, {
      name: `resource discovery at ${redactUrl(url)}`,
      endpoint: 'resource_metadata',
      url,
      request: (_, send) => send(url, { method: 'GET', headers: { accept: 'application/json' } }),
      process: async (response) =>
        orMissing && response.status >= 400 && response.status < 500
          ? undefined
          : {
              metadata: parseProtectedResourceMetadata(await o.processResourceDiscoveryResponse(id, response), redactUrl(url)),
              url,
              fetchedAt: (h.clock ?? systemClock).now(),
            },
    })
  return cached(`pr ${id.href} ${url}`, options, http, load)
}

/**
 * The `resource_metadata` URL of a 401's `WWW-Authenticate: Bearer` challenge (RFC 9728 §5.1),
 * or undefined when there is none.
 *
 * @example
 * const url = resourceMetadataUrl(response) // from WWW-Authenticate: Bearer resource_metadata="…"
 *
 * @group Discovery
 */
export function resourceMetadataUrl(responseOrHeader: Response | string | null): string | undefined {
  const header =
    typeof responseOrHeader === 'string'
      ? responseOrHeader
      : responseOrHeader instanceof Response
        ? responseOrHeader.headers.get('www-authenticate')
        : null
  return bearerChallenge(header)?.params.resource_metadata
}

/**
 * What discoverFromResource found: the protected resource metadata and its authorization server.
 *
 * @group Discovery
 */
export interface ResourceDiscovery {
  resource: Discovered<ProtectedResourceMetadata>
  authorizationServer: Discovered<AuthorizationServerMetadata>
}

/**
 * Options of discoverFromResource: discovery options, the 401 to start from, and the
 * authorization servers the application trusts.
 *
 * @group Discovery
 */
export interface ResourceDiscoveryOptions extends DiscoveryOptions {
  /** The 401 (or its `WWW-Authenticate` header): its `resource_metadata` is used when it has one. */
  challenge?: Response | string
  /**
   * The issuers the application trusts. The first authorization server the resource names
   * that is in this list is used; when it names none of them, an `untrusted_issuer` error.
   * Without it, the first one named is followed, whoever it is.
   */
  trustedIssuers?: Array<string | URL>
}

/**
 * From a protected resource to its authorization server: RFC 9728 metadata (from the
 * `resource_metadata` of a 401 when `challenge` has one, else from the resource's well-known
 * URLs, path-aware first, then the root), then RFC 8414 / OpenID Connect discovery of the first
 * authorization server it names (of those in `trustedIssuers`, when given).
 *
 * @example
 * const res = await fetch(mcpUrl)
 * if (res.status === 401) {
 *   const { authorizationServer } = await discoverFromResource(mcpUrl, { challenge: res })
 * }
 *
 * @group Discovery
 */
export async function discoverFromResource(resource: string | URL, options: ResourceDiscoveryOptions = {}): Promise<ResourceDiscovery> {
  options ??= {}
  const fromChallenge = options.challenge === undefined ? undefined : resourceMetadataUrl(options.challenge)
  const pr = await discoverResource(resource, { ...options, ...(fromChallenge ? { metadataUrl: fromChallenge } : {}) })
  const issuer = authorizationServerOf(pr, options.trustedIssuers)
  return { resource: pr, authorizationServer: await discover(issuer, options) }
}

/**
 * The authorization server a protected resource sends clients to: the first it names, of
 * `trustedIssuers` when given (`untrusted_issuer` when it names none of them); a resource that
 * names none is `invalid_metadata`.
 */
export function authorizationServerOf(pr: Discovered<ProtectedResourceMetadata>, trustedIssuers?: Array<string | URL>): string {
  const named = pr.metadata.authorization_servers ?? []
  const where = { url: redactUrl(pr.url) }
  if (!named.length)
    throw new ResponseError('invalid_metadata', `protected resource metadata from ${where.url} names no authorization_servers`, where)
  const trusted = trustedIssuers?.map((issuer) => parseUrl(issuer, 'trustedIssuers').href)
  const issuer = trusted ? named.find((name) => URL.canParse(name) && trusted.includes(new URL(name).href)) : named[0]
  if (!issuer) {
    throw new ResponseError(
      'untrusted_issuer',
      `the resource names authorization servers ${cleanText(named.join(', '), 200)}, none of them in trustedIssuers; refusing to follow it (add the issuer if you trust it)`,
      where,
    )
  }
  return issuer
}

export { DiscoveryCache } from './cache.js'
