import { ConfigError, redactUrl } from '../errors.js'
import { DEVICE_CODE_GRANT } from '../protocol/grants/device.js'
import { registerClient } from '../protocol/endpoints/endpoints.js'
import type { AuthMethod, ClientOptions } from '../protocol/run/client-auth.js'
import type { HttpOptions } from '../http/options.js'
import { assertSecureUrl, isLoopbackHost, parseUrl } from '../internal/url.js'
import type { AuthorizationServerMetadata } from '../types.js'
import { systemClock } from '../internal/clock.js'
import { swapValue, type KeyValueStore } from '../token/store.js'

/** A client registered by hand with one authorization server. */
export interface McpPreregisteredClient {
  clientId: string
  clientSecret?: string
  /** For `private_key_jwt` (SEP-1046): a private CryptoKey, optionally with the `kid` to put in the header. */
  privateKey?: ClientOptions['privateKey']
  tokenEndpointAuthMethod?: AuthMethod
}

/** How the client presents itself to an authorization server it has no registration with yet. */
export interface IdentityOptions {
  /** Where a user's sign-in comes back to: absent, no registration is made (a client without one runs another grant) — unless `device`. */
  redirectUri?: string
  /** Register for the device grant (RFC 8628): no redirect, the device_code grant type. */
  device?: boolean
  clientName: string
  /** An https URL serving this client's metadata document (CIMD): its `client_id` where the server accepts one. */
  clientMetadataUrl?: string
  applicationType?: 'native' | 'web'
  /** Clients registered by hand, by issuer. */
  clients?: Record<string, McpPreregisteredClient>
  /** A client registered by hand with the authorization server the MCP server names (its issuer not given): kept to the first one. */
  client?: McpPreregisteredClient
  /** The MCP server (canonical URL): what `client` is kept to an authorization server for. */
  server: string
  storage: KeyValueStore
  http: HttpOptions
}

/** The client for one authorization server, and how it was obtained. */
export interface McpClientIdentity extends ClientOptions {
  via: 'preregistered' | 'metadata-document' | 'registration'
}

interface StoredRegistration {
  issuer: string
  /** The redirect it was registered with; none: registered for the device grant. */
  redirectUri?: string
  clientId: string
  clientSecret?: string
  tokenEndpointAuthMethod?: AuthMethod
}

export const registrationKey = (issuer: string) => `oauthkit:mcp:client ${issuer}`
const pinKey = (server: string) => `oauthkit:mcp:client-issuer ${server}`

/**
 * The client identity for an authorization server, keyed by its issuer (a registration is only
 * good where it was made), in the order of the MCP authorization spec (2026-07-28): a client
 * registered by hand for this issuer; a client ID metadata document when the server accepts
 * one; a stored registration with this issuer; dynamic registration (RFC 7591) with
 * `application_type` and the token endpoint authentication method the server allows.
 */
export async function identityFor(
  metadata: AuthorizationServerMetadata,
  scope: string | undefined,
  options: IdentityOptions,
): Promise<McpClientIdentity>
export async function identityFor(
  metadata: AuthorizationServerMetadata,
  scope: string | undefined,
  options: IdentityOptions,
  mayRegister: false,
): Promise<McpClientIdentity | undefined>
export async function identityFor(
  metadata: AuthorizationServerMetadata,
  scope: string | undefined,
  options: IdentityOptions,
  mayRegister = true,
): Promise<McpClientIdentity | undefined> {
  const issuer = metadata.issuer
  const given = Object.entries(options.clients ?? {}).find(
    ([name]) => URL.canParse(name) && new URL(name).href === new URL(issuer).href,
  )?.[1]
  if (given) return { ...given, via: 'preregistered' }
  if (options.client && (await keptTo(options, issuer))) return { ...options.client, via: 'preregistered' }
  if (options.clientMetadataUrl && metadata.client_id_metadata_document_supported === true) {
    return { clientId: options.clientMetadataUrl, tokenEndpointAuthMethod: 'none', via: 'metadata-document' }
  }
  const stored = registrationIn(await options.storage.get(registrationKey(issuer)), issuer)
  if (fits(stored, options)) return { ...withoutBookkeeping(stored), via: 'registration' }
  if (!mayRegister || (options.redirectUri === undefined && !options.device)) return undefined
  if (typeof metadata.registration_endpoint !== 'string') {
    throw new ConfigError(
      'invalid_config',
      `the authorization server ${redactUrl(issuer)} takes neither client ID metadata documents${options.clientMetadataUrl ? '' : ' (none given: clientMetadataUrl)'} nor dynamic registration; register a client there and pass it as clients: { '${redactUrl(issuer)}': { clientId } }`,
    )
  }
  return registerOnce(metadata, scope, options)
}

/** Whether a stored registration is the one these options make: the same redirect, or none for the device grant. */
function fits(stored: { clientId?: string; redirectUri?: string } | undefined, options: IdentityOptions): stored is StoredRegistration {
  return (
    Boolean(stored?.clientId) &&
    stored!.redirectUri === options.redirectUri &&
    (options.redirectUri !== undefined || options.device === true)
  )
}

/** How long a process's claim to register with an issuer holds others off (they take it over after: its holder died). */
const CLAIM_MS = 30_000

/**
 * Dynamic registration once for every process on the storage: the first to claim the issuer's
 * key (compare-and-swap) registers and stores the client there; the others wait for it and use
 * it — one registration, one client id, so no process's tokens are another client's. A claim
 * whose holder died is taken over after 30 s.
 */
async function registerOnce(
  metadata: AuthorizationServerMetadata,
  scope: string | undefined,
  options: IdentityOptions,
): Promise<McpClientIdentity> {
  const { storage } = options
  const key = registrationKey(metadata.issuer)
  const clock = options.http.clock ?? systemClock
  const claim = JSON.stringify({ issuer: metadata.issuer, claim: crypto.randomUUID(), until: clock.now() + CLAIM_MS })
  for (;;) {
    const held = (await storage.get(key)) ?? undefined
    const found = registrationIn(held, metadata.issuer)
    if (fits(found, options)) return { ...withoutBookkeeping(found), via: 'registration' }
    if (found?.until !== undefined && found.until > clock.now()) await clock.sleep(100)
    else if (await swapValue(storage, key, held, claim)) break
  }
  let record: StoredRegistration
  try {
    record = await register(metadata, scope, options)
  } catch (err) {
    await swapValue(storage, key, claim, undefined).catch(() => false)
    throw err
  }
  // Taken over meanwhile (this process was thought dead): the client is still good for this one.
  await swapValue(storage, key, claim, JSON.stringify(record))
  return { ...withoutBookkeeping(record), via: 'registration' }
}

/**
 * Forgets a registration the authorization server no longer knows (`invalid_client`), if the
 * storage still holds that one: the next sign-in registers anew (once, for every process).
 */
export async function forgetRegistration(storage: KeyValueStore, issuer: string, clientId: string): Promise<void> {
  const key = registrationKey(issuer)
  const held = (await storage.get(key)) ?? undefined
  if (registrationIn(held, issuer)?.clientId === clientId) await swapValue(storage, key, held, undefined)
}

/**
 * Whether `client` (registered by hand, its issuer not given) is for `issuer`: the first
 * authorization server the MCP server names gets it, and is remembered in the storage (first
 * writer wins where the storage has `setOnce`); another one, after a move, never gets it.
 */
async function keptTo(options: IdentityOptions, issuer: string): Promise<boolean> {
  const key = pinKey(options.server)
  const kept = await options.storage.get(key)
  if (typeof kept === 'string') return kept === issuer
  if (options.storage.setOnce) return (await options.storage.setOnce(key, issuer)) === issuer
  await options.storage.set(key, issuer)
  return true
}

async function register(
  metadata: AuthorizationServerMetadata,
  scope: string | undefined,
  options: IdentityOptions,
): Promise<StoredRegistration> {
  const method = authMethodFor(metadata)
  const grants = metadata.grant_types_supported
  const refresh = !Array.isArray(grants) || grants.includes('refresh_token') ? ['refresh_token'] : []
  const { redirectUri } = options
  // A user who signs in: the code grant, with a redirect; a device's user: the device grant, no redirect (RFC 8628).
  const how = redirectUri
    ? {
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', ...refresh],
        response_types: ['code'],
        application_type: options.applicationType ?? applicationTypeOf(redirectUri),
      }
    : { grant_types: [DEVICE_CODE_GRANT, ...refresh], response_types: [], application_type: 'native' }
  const registered = await registerClient(
    metadata,
    { client_name: options.clientName, ...how, token_endpoint_auth_method: method, ...(scope ? { scope } : {}) },
    options.http,
  )
  const answered =
    typeof registered.token_endpoint_auth_method === 'string' ? (registered.token_endpoint_auth_method as AuthMethod) : method
  // A secret for a client that authenticates with none (many servers issue one anyway) is
  // never used, so never kept.
  const secret = answered !== 'none' && typeof registered.client_secret === 'string' ? registered.client_secret : undefined
  if (answered === 'none' && registered.client_secret !== undefined)
    options.http.onWarning?.({
      code: 'unrequested_secret_ignored',
      message: `the authorization server ${redactUrl(metadata.issuer)} issued a client_secret to a public client (token_endpoint_auth_method none); ignored, not stored`,
    })
  const record: StoredRegistration = {
    issuer: metadata.issuer,
    ...(redirectUri ? { redirectUri } : {}),
    clientId: registered.client_id,
    ...(secret ? { clientSecret: secret } : {}),
    tokenEndpointAuthMethod: answered,
  }
  return record
}

/** `none` (a public client, as MCP clients mostly are) where the server allows it, else a secret by the first method it lists. */
function authMethodFor(metadata: AuthorizationServerMetadata): AuthMethod {
  const listed = metadata.token_endpoint_auth_methods_supported
  // RFC 8414 §2: an absent list means client_secret_basic.
  const supported = Array.isArray(listed) ? listed : ['client_secret_basic']
  const method = (['none', 'client_secret_basic', 'client_secret_post'] as const).find((m) => supported.includes(m))
  if (method) return method
  throw new ConfigError(
    'unsupported_auth_method',
    `the authorization server ${redactUrl(metadata.issuer)} allows only ${supported.join(', ')} at its token endpoint, which dynamic registration cannot set up; register a client by hand (clients)`,
  )
}

/** RFC 8252 / OpenID Connect Registration: a loopback or private-use redirect is a native app's. */
function applicationTypeOf(redirectUri: string): 'native' | 'web' {
  const url = new URL(redirectUri)
  return url.protocol === 'https:' && !isLoopbackHost(url.hostname) ? 'web' : 'native'
}

/** What the storage holds for an issuer: a registration, a process's claim to make one (`until`), or nothing usable. */
function registrationIn(
  text: string | undefined,
  issuer: string,
): (StoredRegistration & { until?: undefined }) | { until: number; clientId?: undefined } | undefined {
  if (typeof text !== 'string') return undefined
  try {
    const value = JSON.parse(text) as Partial<StoredRegistration> & { until?: number }
    if (value.issuer !== issuer) return undefined
    if (typeof value.until === 'number') return { until: value.until }
    return typeof value.clientId === 'string' && typeof value.redirectUri === 'string' ? (value as StoredRegistration) : undefined
  } catch {
    return undefined
  }
}

function withoutBookkeeping({ clientId, clientSecret, tokenEndpointAuthMethod }: StoredRegistration): ClientOptions {
  return { clientId, ...(clientSecret ? { clientSecret } : {}), ...(tokenEndpointAuthMethod ? { tokenEndpointAuthMethod } : {}) }
}

/** Checks a client ID metadata document URL: https (loopback http for tests), with a path (the CIMD draft). */
export function checkMetadataUrl(value: string, allowInsecureHttp: boolean | undefined): string {
  const url = parseUrl(value, 'clientMetadataUrl')
  assertSecureUrl(url, allowInsecureHttp, 'clientMetadataUrl')
  if (url.pathname === '/' || url.hash)
    throw new ConfigError('invalid_config', `clientMetadataUrl ${redactUrl(url)} needs a path and no fragment: it is the client_id`)
  return url.href
}
