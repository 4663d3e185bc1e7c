// What createMcpAuth is given, and what it makes of it at once: the options' types, their
// checks (a typed error at construction, not at the first request), and which grant an
// authorization server gets.
import { ConfigError, redactUrl } from '../errors.js'
import type { DiscoveryCache } from '../discovery/index.js'
import type { DPoP } from '../dpop/proofs.js'
import type { TokenSource } from '../protocol/grants/exchange.js'
import { pickHttpOptions, type HttpOptions } from '../http/options.js'
import { parseUrl } from '../internal/url.js'
import type { AuthorizationServerMetadata } from '../types.js'
import { memoryKeyValueStore, type KeyValueStore } from '../token/store.js'
import { networkPolicy, type NetworkPolicy } from './network.js'
import { canonical } from './discovery.js'
import { DEVICE_CODE_GRANT } from '../protocol/grants/device.js'
import { checkMetadataUrl, type IdentityOptions, type McpClientIdentity, type McpPreregisteredClient } from './identity.js'

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

/** What the application is asked to do when the user must sign in. */
export interface McpSignIn {
  /** The authorization URL: open it in the user's browser. */
  url: string
  /** The authorization server the user signs in at. */
  issuer: string
  /** The scope asked for, if any. */
  scope?: string
  signal?: AbortSignal
}

/**
 * What the application shows a user who signs in on another device (the device grant, RFC 8628):
 * open `verificationUri` (or `verificationUriComplete`, which carries the code) and enter
 * `userCode`. The URLs passed the rules of every URL given to a person and the network policy.
 */
export interface McpDeviceSignIn {
  verificationUri: string
  verificationUriComplete?: string
  userCode: string
  /** When the code expires (epoch ms). */
  expiresAt: number
  /** The authorization server the user signs in at. */
  issuer: string
  /** The scope asked for, if any. */
  scope?: string
  signal?: AbortSignal
}

/** Options of {@link createMcpAuth}: the MCP server, how the user signs in, and who the client is. */
export interface McpAuthOptions extends HttpOptions {
  /** The MCP server's URL (its Streamable HTTP endpoint). The token is sent under it only. */
  serverUrl: string | URL
  /**
   * Where the authorization server sends the user back (a loopback URL for a CLI or desktop
   * app). With `signIn`, what a user's sign-in (the authorization code grant) needs.
   */
  redirectUri?: string
  /**
   * Lets the user sign in at `url` and resolves with the URL the browser came back to (the
   * redirect URI with `code`, `state` and `iss`). oauthkit checks it and redeems the code.
   */
  signIn?(request: McpSignIn): Promise<string | URL>
  /**
   * A headless agent's sign-in (the device grant, RFC 8628), where the authorization server has
   * a device authorization endpoint: show the user the URL and the code; oauthkit polls until
   * they approve (or refuse, or the code expires), with the resource indicator and the scope of
   * the redirect path, and keeps the tokens per MCP server as it does theirs. Registers a
   * client for the device grant where it must register.
   */
  deviceSignIn?(request: McpDeviceSignIn): void | Promise<void>
  /**
   * How tokens are obtained. Default: the first of these that the authorization server lists in
   * `grant_types_supported` (absent: `authorization_code` only, RFC 8414 §2) and this client is
   * given what it needs for — `authorization_code` (`signIn`, `redirectUri`), `device`
   * (`deviceSignIn`, and a device authorization endpoint at the server), `enterprise`
   * (`enterprise`), `workload` (`workloadToken`), `client_credentials` (a client registered by
   * hand with a secret or a private key); with no list, the first this client can do.
   */
  grant?: McpGrant
  /**
   * Workload identity (SEP-1933): the JWT your platform issues this workload (a Kubernetes
   * service account token, a cloud's identity token), sent as the RFC 7523 `assertion`. A
   * function is called for each token request (`tokenFile(path)` of `oauthkit/node` re-reads a
   * file the platform rotates).
   */
  workloadToken?: TokenSource
  /**
   * Enterprise-managed authorization (SEP-990): the user's enterprise identity provider. Its
   * ID token is exchanged there (RFC 8693) for an identity assertion grant (ID-JAG) for the MCP
   * server's authorization server, which takes it with the RFC 7523 jwt-bearer grant.
   */
  enterprise?: McpEnterprise
  /** `client_name` in a dynamic registration. Default `oauthkit MCP client`. */
  clientName?: string
  /** An https URL serving this client's metadata document (CIMD): used as `client_id` where the server accepts one. */
  clientMetadataUrl?: string
  /** `application_type` in a dynamic registration. Default: `native` for a loopback or custom-scheme redirect, else `web`. */
  applicationType?: 'native' | 'web'
  /** Clients registered by hand, by issuer; used with that authorization server only. */
  clients?: Record<string, McpPreregisteredClient>
  /**
   * A client registered by hand with the authorization server this MCP server names, when you
   * are not told its issuer (else `clients`): used with the first authorization server the
   * MCP server names, and kept to it (remembered in `storage`) — after a move, another one
   * never gets its credentials.
   */
  client?: McpPreregisteredClient
  /** Where registrations (one per authorization server) and tokens (one set per MCP server) outlive the process. Default: memory. */
  storage?: KeyValueStore
  /** The authorization servers you trust; an MCP server naming only others is refused. Default: any. */
  trustedIssuers?: Array<string | URL>
  /**
   * A DPoP key (`createDPoP()`, RFC 9449; SEP-1932): with an authorization server that lists
   * `dpop_signing_alg_values_supported`, token requests carry proofs and the DPoP-bound tokens go
   * to the MCP server with a fresh proof per request, each server's nonces kept and retried
   * with. Other servers get Bearer as before; a token the server issued as Bearer goes as Bearer.
   */
  dpop?: DPoP
  /** How many times one request may ask for more scope (403 `insufficient_scope`). Default 2. */
  maxStepUps?: number
  /** Discovery cache; `false` for none. Default: shared, one hour. */
  discoveryCache?: DiscoveryCache | false
  /**
   * Let an MCP server on the public internet make this client request loopback, private
   * (RFC 1918, ULA), link-local or unspecified addresses — its resource metadata, authorization
   * server, registration or token endpoint, or the sign-in page — by literal address,
   * `localhost`, or (in Node, Deno and Bun) a name that resolves there. Default false; a server
   * that is itself on loopback or a private network may always name its neighbours.
   */
  allowPrivateNetwork?: boolean
  /**
   * How host names are resolved for that check (your own resolver, or the one your HTTP agent
   * uses). Default: the platform's DNS in Node, Deno and Bun; in browsers only literal
   * addresses and `localhost` are judged.
   */
  resolveHost?: (hostname: string) => Promise<string[]> | string[]
}

/**
 * How an MCP client obtains tokens: a user's sign-in (`authorization_code`; `device` for a
 * user on another device, RFC 8628), a client's own
 * credentials (`client_credentials`, SEP-1046), a workload's JWT (`workload`, SEP-1933: RFC 7523
 * jwt-bearer), or an enterprise identity provider's ID-JAG (`enterprise`, SEP-990).
 */
export type McpGrant = 'authorization_code' | 'device' | 'client_credentials' | 'workload' | 'enterprise'

/** The enterprise identity provider of enterprise-managed authorization (SEP-990). */
export interface McpEnterprise {
  /** The identity provider's issuer: its metadata is discovered from it. */
  issuer: string
  /** This client at the identity provider. */
  clientId: string
  clientSecret?: string
  /** The user's ID token from the identity provider (a function is called for each exchange: return a current one). */
  idToken: TokenSource
}

/** The options checked, and what the client is made of: the transport with the network policy, the identity, the storage, the grants it can run. */
export function checkOptions(options: McpAuthOptions) {
  if (!options || typeof options !== 'object')
    throw new ConfigError('invalid_config', 'createMcpAuth needs { serverUrl, redirectUri, signIn }')
  const serverUrl = parseUrl(options.serverUrl, 'serverUrl')
  const interactive = checkSignIn(options)
  const ways = checkGrants(options, interactive)
  // Not kept: a signal belongs to a call (authorize({ signal }), fetch's init.signal).
  const { signal: _ignored, ...given } = pickHttpOptions(options)
  // Every OAuth request the server's answers lead to goes through the network policy; the MCP server's own requests do not need it.
  const network: NetworkPolicy = networkPolicy(serverUrl, options.allowPrivateNetwork, options.resolveHost)
  const http: HttpOptions = { ...given, fetch: network.guard(given.fetch) }
  const storage = options.storage ?? memoryKeyValueStore()
  const identity: IdentityOptions = {
    ...(options.redirectUri ? { redirectUri: options.redirectUri } : {}),
    clientName: options.clientName ?? 'oauthkit MCP client',
    ...(options.clientMetadataUrl ? { clientMetadataUrl: checkMetadataUrl(options.clientMetadataUrl, http.allowInsecureHttp) } : {}),
    ...(options.applicationType ? { applicationType: options.applicationType } : {}),
    ...(options.clients ? { clients: options.clients } : {}),
    ...(options.client ? { client: checkClient(options.client, 'client') } : {}),
    server: canonical(serverUrl),
    storage,
    http,
  }
  const discovery = {
    ...http,
    ...(options.discoveryCache === undefined ? {} : { discoveryCache: options.discoveryCache }),
    ...(options.trustedIssuers ? { trustedIssuers: options.trustedIssuers } : {}),
  }
  return { serverUrl, http, serverFetch: given.fetch, network, identity, storage, maxStepUps: options.maxStepUps ?? 2, discovery, ...ways }
}

/** Whether a user can sign in: `signIn` and `redirectUri` both, or neither (then another grant must be possible). */
function checkSignIn(options: McpAuthOptions): boolean {
  if (options.signIn === undefined && options.redirectUri === undefined) return false
  if (typeof options.signIn !== 'function')
    throw new ConfigError(
      'invalid_config',
      'createMcpAuth needs signIn(request) beside redirectUri: it opens request.url for the user and resolves with the URL they came back to',
    )
  if (typeof options.redirectUri !== 'string')
    throw new ConfigError(
      'invalid_config',
      'createMcpAuth needs redirectUri beside signIn: where the authorization server sends the user back',
    )
  parseUrl(options.redirectUri, 'redirectUri')
  return true
}

const GRANTS: McpGrant[] = ['authorization_code', 'device', 'client_credentials', 'workload', 'enterprise']

/** What the options let this client do, checked now: a way to get tokens at all, and each grant's own settings. */
function checkGrants(options: McpAuthOptions, interactive: boolean) {
  const { grant, workloadToken, enterprise, deviceSignIn } = options
  if (deviceSignIn !== undefined && typeof deviceSignIn !== 'function')
    throw new ConfigError('invalid_config', 'deviceSignIn(request) shows the user request.verificationUri and request.userCode')
  if (grant !== undefined && !GRANTS.includes(grant))
    throw new ConfigError('invalid_config', `grant ${JSON.stringify(grant)} is not one of ${GRANTS.join(', ')}`)
  if (workloadToken !== undefined && typeof workloadToken !== 'function' && (typeof workloadToken !== 'string' || !workloadToken))
    throw new ConfigError('invalid_config', 'workloadToken is the JWT your platform issues, or a function returning the current one')
  if (enterprise !== undefined) {
    if (!enterprise || typeof enterprise !== 'object' || typeof enterprise.clientId !== 'string' || enterprise.idToken === undefined)
      throw new ConfigError(
        'invalid_config',
        'enterprise needs { issuer, clientId, idToken } of the identity provider (clientSecret if it has one)',
      )
    parseUrl(enterprise.issuer, 'enterprise.issuer')
  }
  const confidential = [options.client, ...Object.values(options.clients ?? {})].some((c) => c?.clientSecret || c?.privateKey)
  const can: Record<McpGrant, boolean> = {
    authorization_code: interactive,
    device: deviceSignIn !== undefined,
    client_credentials: confidential,
    workload: workloadToken !== undefined,
    enterprise: enterprise !== undefined,
  }
  const needs: Record<McpGrant, string> = {
    authorization_code: 'signIn and redirectUri',
    device: 'deviceSignIn',
    client_credentials: 'a client with a clientSecret or privateKey (client or clients)',
    workload: 'workloadToken',
    enterprise: 'enterprise',
  }
  if (grant !== undefined && !can[grant]) throw new ConfigError('invalid_config', `grant ${grant} needs ${needs[grant]}`)
  if (!GRANTS.some((g) => can[g]))
    throw new ConfigError(
      'invalid_config',
      `createMcpAuth needs a way to get tokens: ${GRANTS.map((g) => `${needs[g]} (${g})`).join('; ')}`,
    )
  return { grant, can }
}

/** A client registered by hand: its id, and a secret or key of the right type. */
function checkClient(client: McpPreregisteredClient, name: string): McpPreregisteredClient {
  if (!client || typeof client !== 'object' || typeof client.clientId !== 'string' || !client.clientId)
    throw new ConfigError('invalid_config', `${name} needs its clientId (and clientSecret or privateKey for a confidential client)`)
  return client
}

/**
 * The grant for an authorization server: the one given, else the first it lists in
 * `grant_types_supported` that this client can do (a secret or key of a client registered by
 * hand for it, for client_credentials), else — the list absent — the first this client can do.
 */
export function chooseGrant(
  metadata: AuthorizationServerMetadata,
  config: ReturnType<typeof checkOptions>,
  id: McpClientIdentity | undefined,
): McpGrant {
  if (config.grant) return config.grant
  const can = {
    ...config.can,
    client_credentials: id?.via === 'preregistered' && Boolean(id.clientSecret || id.privateKey),
    device: config.can.device && typeof metadata.device_authorization_endpoint === 'string',
  }
  const listed = metadata.grant_types_supported
  const types: Record<McpGrant, string> = {
    authorization_code: 'authorization_code',
    device: DEVICE_CODE_GRANT,
    client_credentials: 'client_credentials',
    workload: JWT_BEARER,
    enterprise: JWT_BEARER,
  }
  const order: McpGrant[] = ['authorization_code', 'device', 'enterprise', 'workload', 'client_credentials']
  const found = Array.isArray(listed) ? order.find((g) => can[g] && listed.includes(types[g])) : order.find((g) => can[g])
  if (found) return found
  throw new ConfigError(
    'invalid_config',
    `the authorization server ${redactUrl(metadata.issuer)} offers the grants ${Array.isArray(listed) ? listed.join(', ') : '(none listed)'}, none of which this client is set up for (${order.filter((g) => can[g]).join(', ') || 'nothing'}); see the grant option`,
  )
}
