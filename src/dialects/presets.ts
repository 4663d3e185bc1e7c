/**
 * One preset per documented vendor (docs/dialects.md lists them). Each is data built from the
 * dialect parts, with a comment naming the vendor document it follows; spread one into
 * `createOAuthClient`: `createOAuthClient({ ...eptura({ site, redirectUri, scope }), clientId })`.
 */
import { ConfigError } from '../errors.js'
import type { Dialect, DialectSpec, VendorPreset } from './types.js'
import { defineDialect } from './apply.js'

/** A vendor's base URL from a host name or URL: `https://` when no scheme is given, the path kept, no trailing slash. */
export function base(value: string, what: string): string {
  const withScheme = /^https?:\/\//i.test(value) ? value : `https://${value}`
  try {
    const url = new URL(withScheme)
    return `${url.origin}${url.pathname.replace(/\/$/, '')}`
  } catch {
    throw new ConfigError('invalid_config', `${what} must be a host name or URL, got ${JSON.stringify(value)}`)
  }
}

/**
 * EPISHIP OAuth Authentication API (its "OAuth Authentication API" page): standard grants (`authorization_code`,
 * `password`, `refresh_token`), space-separated scopes, no discovery document and no paths
 * published — so every path is configurable; these defaults are the common ones.
 *
 * @example
 * const client = await createOAuthClient({ ...epishipPreset({ baseUrl: 'https://api.epishiphq.com' }), clientId, clientSecret })
 */
export function epishipPreset(options: {
  baseUrl: string
  paths?: { authorization?: string; token?: string; revocation?: string }
}): VendorPreset {
  const root = base(options.baseUrl, 'EPISHIP baseUrl')
  const paths = { authorization: '/oauth/authorize', token: '/oauth/token', revocation: '/oauth/revoke', ...options.paths }
  return {
    dialect: defineDialect({ name: 'EPISHIP' }),
    issuer: root,
    endpoints: { authorization: root + paths.authorization, token: root + paths.token, revocation: root + paths.revocation },
  }
}

/**
 * Epismo (its "OAuth" page): standard OAuth 2.0 + OpenID Connect with RFC 8414 and OpenID
 * discovery, dynamic registration, PKCE, userinfo, revocation, introspection. Nothing to
 * bend: the preset is the issuer. MCP clients start from the MCP server with
 * `discoverFromResource` (RFC 9728).
 *
 * @example
 * const client = await createOAuthClient({ ...epismoPreset({ issuer: 'https://auth.epismo.ai' }), clientId })
 */
export function epismoPreset(options: { issuer: string }): VendorPreset {
  return { dialect: defineDialect({ name: 'Epismo' }), issuer: base(options.issuer, 'Epismo issuer') }
}

/**
 * Atlassian's remote MCP server (`https://mcp.atlassian.com/v1/mcp/authv2`), as its metadata is
 * published: the protected resource metadata names a tenant's authorization server,
 * `https://auth.atlassian.com/<tenant>`, whose metadata says `"issuer": "https://auth.atlassian.com"`
 * — a path-ancestor on the same origin, where RFC 8414 §3.3 wants the tenant's URL. The preset
 * declares exactly that deviation and nothing else: an answer naming any other issuer is still
 * `issuer_mismatch`, each use is reported through `onWarning` (`declared_issuer`), and
 * `https://auth.atlassian.com` is then the issuer every later check holds the server to.
 *
 * @example
 * const mcp = createMcpAuth({ serverUrl: 'https://mcp.atlassian.com/v1/mcp/authv2', ...atlassianMcpPreset(), redirectUri, signIn })
 */
export function atlassianMcpPreset(): { dialect: Dialect } {
  return { dialect: defineDialect({ name: "Atlassian's MCP server", discovery: { ancestorIssuer: 'https://auth.atlassian.com' } }) }
}

/**
 * Eptura Workplace (its "Using OAuth 2.0 to Access the API" page):
 * - browser sign-in at `<site>/login.html` with exactly `response_type`, `client_id`,
 *   `redirect_uri`, `scope`, `state`; the code comes back in the fragment with `appCode`,
 *   and the document shows no `state` in it;
 * - token and refresh at `<site>/external/api/oauth2/token` with every parameter in an
 *   `x-…` header and `Content-Type: application/json`; `x-scope` is the scope used for the
 *   code, `x-redirect-uri` is sent on refresh too; `expires_in` is in milliseconds; refresh
 *   tokens rotate;
 * - revocation at `<site>/external/api/oauth2/revoke` with the single header `x-token`.
 * The browserless code request (`x-auth-*` headers) is `requestEpturaCode` in `oauthkit/dialects`.
 *
 * @example
 * const client = await createOAuthClient({ ...epturaPreset({ site: 'acme.eptura.com', redirectUri, scope: 'email' }), clientId, clientSecret })
 */
export function epturaPreset(options: { site: string; redirectUri: string; scope: string }): VendorPreset {
  const site = base(options.site, 'Eptura site')
  const dialect: DialectSpec = {
    name: 'Eptura Workplace',
    token: {
      placement: 'header',
      credentials: 'parameters',
      names: {
        grant_type: 'x-grant-type',
        redirect_uri: 'x-redirect-uri',
        client_id: 'x-client-id',
        client_secret: 'x-client-secret',
        scope: 'x-scope',
        code: 'x-auth-code',
        refresh_token: 'x-refresh-token',
      },
      headers: { 'content-type': 'application/json' },
      addParameters: { redirect_uri: options.redirectUri, scope: options.scope },
    },
    expiresIn: { unit: 'milliseconds' },
    authorizationRequest: { parameters: 'exact' },
    authorizationResponse: { mode: 'fragment', extraFields: ['appCode'], stateEchoed: false },
    revocation: { header: 'x-token' },
  }
  return {
    dialect: defineDialect(dialect),
    issuer: site,
    redirectUri: options.redirectUri,
    endpoints: {
      authorization: `${site}/login.html`,
      token: `${site}/external/api/oauth2/token`,
      revocation: `${site}/external/api/oauth2/revoke`,
    },
  }
}

/**
 * Organization API (its "Authentication" page): `client_credentials` at
 * `https://{server}/oauth2/token` with the client credentials in `Authorization: Basic`;
 * the answer carries a refresh token (`expires_in` in seconds), refreshed with
 * `grant_type=refresh_token`, again with Basic. The document's alternative, "less secure":
 * every parameter, credentials included, in the query string of the POST URL.
 *
 * @example
 * const org = await createOAuthClient({ ...organizationApiPreset({ server }), clientId, clientSecret })
 * const session = org.session({ grant: 'client_credentials', apiUrls: [`https://${server}/api`] })
 */
export function organizationApiPreset(options: { server: string; credentials?: 'basic' | 'query' }): VendorPreset {
  const root = base(options.server, 'Organization API server')
  const dialect: DialectSpec =
    options.credentials === 'query'
      ? { name: 'Organization API (query parameters)', token: { placement: 'query', credentials: 'query' } }
      : { name: 'Organization API', token: { credentials: 'basic' } }
  return { dialect: defineDialect(dialect), issuer: root, endpoints: { token: `${root}/oauth2/token` } }
}

/**
 * Bipsync (its "OAuth Introduction" page): RFC 8414 metadata at
 * `https://{client}-api.bipsync.com/.well-known/oauth-authorization-server`; confidential
 * applications (a secret) and public ones (PKCE, no secret); authorization code for a user or
 * a service account (the same flow, signed in as the service account), refresh,
 * client_credentials and device authorization; RFC 6749 §5.2 errors; tokens sent unaltered
 * as `Bearer`. Standard throughout: the preset is the issuer.
 *
 * @example
 * const client = await createOAuthClient({ ...bipsyncPreset({ client: 'acme' }), clientId, clientSecret })
 */
export function bipsyncPreset(options: { client: string } | { issuer: string }): VendorPreset {
  const issuer = 'issuer' in options ? base(options.issuer, 'Bipsync issuer') : `https://${options.client}-api.bipsync.com`
  return { dialect: defineDialect({ name: 'Bipsync' }), issuer }
}
