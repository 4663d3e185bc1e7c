/**
 * An OAuth client for MCP servers, per the MCP authorization spec (2025-03-26 to 2026-07-28).
 *
 * @module oauthkit/mcp
 */
// `oauthkit/mcp`: discovery from an MCP server's 401 to its authorization server, client ID
// metadata documents or dynamic registration, code + PKCE + resource, refresh and step-up, and
// the grants without a user (client credentials, workload identity, enterprise-managed
// authorization), offered as a `fetch` and as the SDK transports' auth provider. Nothing here
// is in the other entries' bundles.
export { createMcpAuth } from '../mcp/client.js'
export { memoryKeyValueStore } from '../token/store.js'
export { createDPoP } from '../dpop/proofs.js'
export type { DPoP, DPoPOptions } from '../dpop/proofs.js'
export type { KeyValueStore, SyncKeyValueStore } from '../token/store.js'
export type { McpAuth } from '../mcp/client.js'
export type { McpAuthOptions, McpSignIn, McpDeviceSignIn, McpGrant, McpEnterprise } from '../mcp/options.js'
export type { McpServerInfo } from '../mcp/discovery.js'
export type { McpPreregisteredClient } from '../mcp/identity.js'
export type { HttpOptions, TraceStart, TraceEnd } from '../http/options.js'
export { OAuthKitError, ConfigError, NetworkError, ResponseError, OAuthServerError, isOAuthKitError } from '../errors.js'
export type { ErrorCode, Recovery } from '../errors.js'
export type { TokenSet, AuthorizationServerMetadata, ProtectedResourceMetadata } from '../types.js'
export type { AuthMethod } from '../protocol/run/client-auth.js'
export type { TokenSource } from '../protocol/grants/exchange.js'
export type { DiscoveryCache } from '../discovery/index.js'
