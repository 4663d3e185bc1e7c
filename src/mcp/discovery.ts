import { isOAuthKitError, redactUrl } from '../errors.js'
import {
  authorizationServerOf,
  discover,
  discoverResource,
  resourceMetadataUrl,
  type Discovered,
  type DiscoveryOptions,
} from '../discovery/index.js'
import { parseAuthorizationServerMetadata } from '../wire/metadata.js'
import type { AuthorizationServerMetadata, ProtectedResourceMetadata } from '../types.js'

/** Where an MCP server's tokens come from: its resource identifier and authorization server. */
export interface McpServerInfo {
  /** The RFC 8707 `resource` to ask tokens for: the metadata's `resource`, else the server URL. */
  resource: string
  /** The protected resource metadata (RFC 9728), when the server publishes it. */
  resourceMetadata?: ProtectedResourceMetadata
  /** The authorization server's metadata: discovered, or its default endpoints (2025-03-26). */
  metadata: AuthorizationServerMetadata
  /** Which revision's discovery answered: `2025-06-18` and later (RFC 9728), or `2025-03-26`. */
  revision: 'rfc9728' | '2025-03-26'
}

/** A 4xx: the document is not there (anything else, a bad document included, stops). */
const missing = (err: unknown) => isOAuthKitError(err) && err.status !== undefined && err.status >= 400 && err.status < 500

/**
 * From an MCP server to its authorization server (MCP authorization, 2025-03-26 to 2026-07-28):
 *
 * 1. RFC 9728 metadata from the challenge's `resource_metadata`, else the server's well-known
 *    URLs (path-aware, then the root). Its `resource` must be the server URL (or, for the root
 *    document, its origin) before anything else is sent (RFC 9728 §3.3); `discoverResource`
 *    checks it.
 * 2. The first authorization server it names (of `trustedIssuers`, when given), through RFC 8414
 *    and OpenID Connect discovery.
 * 3. No resource metadata (a 2025-03-26 server): the server's origin is the authorization server;
 *    and when that has no metadata either, its default endpoints (`/authorize`, `/token`,
 *    `/register`).
 */
export async function discoverMcpServer(
  serverUrl: URL,
  challenge: Response | undefined,
  options: DiscoveryOptions & { trustedIssuers?: Array<string | URL> },
): Promise<McpServerInfo> {
  const fromChallenge = challenge ? resourceMetadataUrl(challenge) : undefined
  let found: Discovered<ProtectedResourceMetadata> | undefined
  try {
    found = await discoverResource(serverUrl, { ...options, ...(fromChallenge ? { metadataUrl: fromChallenge } : {}) })
  } catch (err) {
    // A challenge that names a document which is not there is the server's fault: say so.
    if (fromChallenge || !missing(err)) throw err
  }
  if (!found) return { ...(await legacyServer(serverUrl, options)), resource: canonical(serverUrl), revision: '2025-03-26' }
  const metadata = (await discover(authorizationServerOf(found, options.trustedIssuers), options)).metadata
  return { resource: found.metadata.resource, resourceMetadata: found.metadata, metadata, revision: 'rfc9728' }
}

/** A 2025-03-26 server: its origin is the authorization server, discovered or at the default paths. */
async function legacyServer(serverUrl: URL, options: DiscoveryOptions): Promise<{ metadata: AuthorizationServerMetadata }> {
  const issuer = serverUrl.origin
  try {
    return { metadata: (await discover(issuer, options)).metadata }
  } catch (err) {
    if (!isOAuthKitError(err) || err.code !== 'discovery_failed') throw err
  }
  const metadata = {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/register`,
    code_challenge_methods_supported: ['S256'],
  }
  return { metadata: parseAuthorizationServerMetadata(metadata, `the default endpoints of ${redactUrl(issuer)}`) }
}

/** The canonical URI of an MCP server (the spec's resource identifier): no fragment, no trailing slash but the root's. */
export function canonical(url: URL): string {
  const copy = new URL(url.href)
  copy.hash = ''
  const href = copy.href
  return copy.pathname !== '/' && href.endsWith('/') && !copy.search ? href.slice(0, -1) : href
}
