/**
 * An OAuth 2.0 authorization server and a protected API as msw handlers, for testing code
 * that uses oauthkit (or anything else) offline. Strict: it refuses what the standard — or
 * the vendor document it emulates — does not allow, with RFC 6749 §5.2 error bodies.
 */
import { base64url } from '../internal/base64url.js'
import { http, HttpResponse, type HttpHandler } from 'msw'

/**
 * A client the emulated server knows: its id, its secret (none for a public client), redirect URIs and grant types.
 */
export interface EmulatedClient {
  clientId: string
  /** Confidential clients have one; public clients none (then PKCE is required). */
  clientSecret?: string
  redirectUris?: string[]
  grantTypes?: string[]
}

/** The parameters of a token request, wherever the vendor puts them. */
export interface TokenRequestParts {
  params: URLSearchParams
  clientId?: string
  clientSecret?: string
}

/**
 * Thrown by emulator code to answer with an RFC 6749 §5.2 error body.
 *
 * @example
 * throw new EmulatorRejection('invalid_request', 'the x-scope header is required')
 */
export class EmulatorRejection extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description)
  }
}

/**
 * What the emulated server offers and how strict it is; the hooks make it a vendor.
 */
export interface EmulatorOptions {
  /** The issuer and base URL, e.g. `https://as.example.com`. */
  issuer: string
  clients: EmulatedClient[]
  /** username → password, for the password grant and for `approve`. */
  users?: Record<string, string>
  /** Endpoint paths; `false` turns one off. */
  paths?: Partial<Record<'token' | 'authorize' | 'revoke' | 'introspect' | 'userinfo' | 'register' | 'device', string | false>>
  /** Which well-known documents exist. Default both. */
  discovery?: { oauth?: boolean; openid?: boolean }
  /** Access-token lifetime in seconds. Default 3600. */
  accessTokenTtl?: number
  /** Rotate refresh tokens (a used one is refused afterwards). Default true. */
  rotateRefreshTokens?: boolean
  /** Issue a refresh token with client_credentials answers. Default false. */
  refreshTokenWithClientCredentials?: boolean
  /** Refuse a code exchange without PKCE. Default true. */
  requirePkce?: boolean
  /** Known scopes: a request for any other is refused with invalid_scope. */
  scopes?: string[]
  /** The protected API: any request under this base URL needs a valid bearer token. */
  api?: string
  /**
   * RFC 9728: this metadata URL serves `document`; the API's 401 names it unless
   * `inChallenge` is false (clients must then find it at the well-known URLs).
   */
  resourceMetadata?: { url: string; document: Record<string, unknown>; inChallenge?: boolean }
  /** Scopes the API requires (all of them), answered with 403 insufficient_scope otherwise. */
  apiScopes?: string[]
  /** Vendor hooks. */
  readTokenRequest?: (request: Request) => Promise<TokenRequestParts>
  /** Vendor hook: reads a revocation request (a token in a header, say). */
  readRevocation?: (request: Request) => Promise<{ token: string; clientId?: string; clientSecret?: string }>
  /** Vendor hook: the `expires_in` to send for a lifetime in seconds (milliseconds, a string). */
  expiresIn?: (seconds: number) => unknown
  /** Reshapes every successful token response (a vendor leaving out token_type, say). */
  tokenResponse?: (body: Record<string, unknown>) => Record<string, unknown>
  /** Checks an authorization request URL (throws EmulatorRejection); returns the redirect. */
  authorizationRedirect?: (redirectUri: string, answer: { code: string; state: string | null; iss: string }) => string
  /** Vendor hook: refuses an authorization request the vendor would (throw an EmulatorRejection). */
  checkAuthorizationRequest?: (url: URL) => void
  /** Whether an authorization code can be used without PKCE (servers without PKCE). */
  allowNoPkceFor?: (clientId: string) => boolean
  extraMetadata?: Record<string, unknown>
}

/**
 * What a token or code was issued for: client, user, scope, resource, nonce.
 */
export interface Grant {
  clientId: string
  user?: string
  scope: string
  resource?: string
  nonce?: string
}

/**
 * Reads a standard token request: form body, client auth by Basic (RFC 6749 §2.3.1) or body.
 *
 * @example
 * const emulator = createEmulator({ issuer, clients, readTokenRequest: async (r) => ({ ...(await readStandardTokenRequest(r)) }) })
 */
export async function readStandardTokenRequest(request: Request): Promise<TokenRequestParts> {
  const type = request.headers.get('content-type') ?? ''
  if (!type.startsWith('application/x-www-form-urlencoded')) {
    throw new EmulatorRejection('invalid_request', 'token requests must be application/x-www-form-urlencoded (RFC 6749 §4.1.3)')
  }
  const params = new URLSearchParams(await request.text())
  const parts: TokenRequestParts = { params }
  const basic = /^Basic (.+)$/i.exec(request.headers.get('authorization') ?? '')
  if (basic) {
    const decoded = atob(basic[1]!)
    const i = decoded.indexOf(':')
    const decode = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '))
    parts.clientId = decode(decoded.slice(0, i))
    parts.clientSecret = decode(decoded.slice(i + 1))
    if (params.has('client_secret'))
      throw new EmulatorRejection('invalid_request', 'client credentials in both the header and the body (RFC 6749 §2.3)')
  } else {
    const id = params.get('client_id')
    const secret = params.get('client_secret')
    if (id !== null) parts.clientId = id
    if (secret !== null) parts.clientSecret = secret
  }
  return parts
}

const random = (prefix: string) => `${prefix}-${base64url(crypto.getRandomValues(new Uint8Array(12)))}`
async function s256(verifier: string) {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))))
}

type Code = Grant & { redirectUri: string; challenge?: string; nonce?: string; used?: boolean }
type Device = Grant & { userCode: string; approved?: string; denied?: boolean; expiresAt: number }
type Endpoints = Record<keyof NonNullable<EmulatorOptions['paths']>, string | undefined>

/** What one emulated server knows: its options, endpoints, clients and issued grants. */
interface State {
  options: EmulatorOptions
  issuer: string
  endpoints: Endpoints
  ttl: number
  clients: Map<string, EmulatedClient>
  codes: Map<string, Code>
  accessTokens: Map<string, Grant & { expiresAt: number }>
  refreshTokens: Map<string, Grant>
  devices: Map<string, Device>
  stats: { tokenRequests: number; grants: string[]; revoked: string[] }
}

function endpointsOf(issuer: string, paths: EmulatorOptions['paths'] = {}): Endpoints {
  const path = (name: keyof Endpoints, fallback: string) => (paths[name] === false ? undefined : `${issuer}${paths[name] ?? fallback}`)
  return {
    token: path('token', '/token'),
    authorize: path('authorize', '/authorize'),
    revoke: path('revoke', '/revoke'),
    introspect: path('introspect', '/introspect'),
    userinfo: path('userinfo', '/userinfo'),
    register: path('register', '/register'),
    device: path('device', '/device'),
  }
}

function metadataOf(s: State) {
  const e = s.endpoints
  return {
    issuer: s.issuer,
    token_endpoint: e.token,
    authorization_endpoint: e.authorize,
    revocation_endpoint: e.revoke,
    introspection_endpoint: e.introspect,
    userinfo_endpoint: e.userinfo,
    registration_endpoint: e.register,
    device_authorization_endpoint: e.device,
    response_types_supported: ['code'],
    grant_types_supported: [
      'authorization_code',
      'refresh_token',
      'client_credentials',
      'password',
      'urn:ietf:params:oauth:grant-type:device_code',
    ],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    ...s.options.extraMetadata,
  }
}

function checkScope(s: State, scope: string | null) {
  if (!s.options.scopes || !scope) return
  const unknown = scope.split(' ').filter((x) => x && !s.options.scopes!.includes(x))
  if (unknown.length) throw new EmulatorRejection('invalid_scope', `unknown scope ${unknown.join(' ')}`)
}

const rejection = (e: EmulatorRejection) =>
  HttpResponse.json({ error: e.error, error_description: e.description }, { status: e.status, headers: { 'cache-control': 'no-store' } })

/** Turns a thrown EmulatorRejection into its RFC 6749 §5.2 error response. */
const guard =
  (run: (request: Request) => Promise<Response>) =>
  async ({ request }: { request: Request }) => {
    try {
      return await run(request)
    } catch (e) {
      if (e instanceof EmulatorRejection) return rejection(e)
      throw e
    }
  }

function authenticate(s: State, parts: { clientId?: string; clientSecret?: string }): EmulatedClient {
  const client = parts.clientId ? s.clients.get(parts.clientId) : undefined
  if (!client) throw new EmulatorRejection('invalid_client', 'unknown client', 401)
  if (client.clientSecret !== undefined && client.clientSecret !== parts.clientSecret)
    throw new EmulatorRejection('invalid_client', 'client authentication failed', 401)
  if (client.clientSecret === undefined && parts.clientSecret !== undefined)
    throw new EmulatorRejection('invalid_client', 'public clients have no secret', 401)
  return client
}

function issue(s: State, grant: Grant, withRefresh: boolean) {
  const access = random('at')
  s.accessTokens.set(access, { ...grant, expiresAt: Date.now() + s.ttl * 1000 })
  const body: Record<string, unknown> = {
    access_token: access,
    token_type: 'Bearer',
    expires_in: s.options.expiresIn ? s.options.expiresIn(s.ttl) : s.ttl,
    scope: grant.scope,
  }
  if (grant.user && grant.scope.split(' ').includes('openid')) body.id_token = idToken(s.issuer, grant)
  if (withRefresh) {
    const refresh = random('rt')
    s.refreshTokens.set(refresh, grant)
    body.refresh_token = refresh
  }
  return HttpResponse.json(s.options.tokenResponse ? s.options.tokenResponse(body) : body, { headers: { 'cache-control': 'no-store' } })
}

/**
 * An ID token with the claims OpenID Connect Core §2 requires. Its signature is not made
 * with real keys: code-flow clients may rely on TLS instead of the signature (§3.1.3.7),
 * which is what the protocol layer does for code-flow ID tokens; a client that verifies signatures needs a real server.
 */
function idToken(issuer: string, grant: Grant): string {
  const now = Math.floor(Date.now() / 1000)
  const part = (v: unknown) => base64url(new TextEncoder().encode(JSON.stringify(v)))
  const claims = {
    iss: issuer,
    sub: grant.user,
    aud: grant.clientId,
    iat: now,
    exp: now + 300,
    ...(grant.nonce ? { nonce: grant.nonce } : {}),
  }
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.${base64url(crypto.getRandomValues(new Uint8Array(32)))}`
}

type GrantHandler = (s: State, p: URLSearchParams, client: EmulatedClient) => Promise<Response> | Response

const GRANTS: Record<string, GrantHandler> = {
  async authorization_code(s, p, client) {
    const code = s.codes.get(p.get('code') ?? '')
    if (!code || code.used || code.clientId !== client.clientId)
      throw new EmulatorRejection('invalid_grant', 'unknown, used or foreign authorization code')
    code.used = true
    if (p.get('redirect_uri') !== code.redirectUri)
      throw new EmulatorRejection('invalid_grant', 'redirect_uri does not match the authorization request')
    if (code.challenge) {
      const verifier = p.get('code_verifier')
      if (!verifier || (await s256(verifier)) !== code.challenge) throw new EmulatorRejection('invalid_grant', 'PKCE verification failed')
    } else if ((s.options.requirePkce ?? true) && !s.options.allowNoPkceFor?.(client.clientId)) {
      throw new EmulatorRejection('invalid_grant', 'PKCE is required')
    }
    return issue(s, code, true)
  },
  refresh_token(s, p, client) {
    const presented = p.get('refresh_token') ?? ''
    const grant = s.refreshTokens.get(presented)
    if (!grant || grant.clientId !== client.clientId) throw new EmulatorRejection('invalid_grant', 'unknown or rotated-out refresh token')
    const rotate = s.options.rotateRefreshTokens ?? true
    if (rotate) s.refreshTokens.delete(presented)
    return issue(s, { ...grant, scope: p.get('scope') ?? grant.scope }, rotate)
  },
  client_credentials(s, p, client) {
    if (client.clientSecret === undefined)
      throw new EmulatorRejection('unauthorized_client', 'client_credentials needs a confidential client')
    const resource = p.get('resource')
    return issue(
      s,
      { clientId: client.clientId, scope: p.get('scope') ?? '', ...(resource ? { resource } : {}) },
      s.options.refreshTokenWithClientCredentials ?? false,
    )
  },
  password(s, p, client) {
    const user = p.get('username') ?? ''
    const users = s.options.users
    if (!users || users[user] === undefined || users[user] !== p.get('password'))
      throw new EmulatorRejection('invalid_grant', 'invalid resource owner credentials')
    return issue(s, { clientId: client.clientId, user, scope: p.get('scope') ?? '' }, true)
  },
  'urn:ietf:params:oauth:grant-type:device_code'(s, p, client) {
    const device = s.devices.get(p.get('device_code') ?? '')
    if (!device || device.clientId !== client.clientId) throw new EmulatorRejection('invalid_grant', 'unknown device code')
    if (Date.now() > device.expiresAt) throw new EmulatorRejection('expired_token', 'the device code expired')
    if (device.denied) throw new EmulatorRejection('access_denied', 'the user refused')
    if (!device.approved) throw new EmulatorRejection('authorization_pending', 'waiting for the user')
    s.devices.delete(p.get('device_code') ?? '')
    return issue(s, { clientId: client.clientId, user: device.approved, scope: device.scope }, true)
  },
}

async function token(s: State, request: Request) {
  s.stats.tokenRequests++
  const parts = await (s.options.readTokenRequest ?? readStandardTokenRequest)(request)
  const client = authenticate(s, parts)
  const grantType = parts.params.get('grant_type') ?? ''
  s.stats.grants.push(grantType)
  checkScope(s, parts.params.get('scope'))
  if (client.grantTypes && !client.grantTypes.includes(grantType))
    throw new EmulatorRejection('unauthorized_client', `${grantType} is not enabled for this client`)
  const handler = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined
  if (!handler) throw new EmulatorRejection('unsupported_grant_type', `grant_type ${JSON.stringify(grantType)} is not supported`)
  return handler(s, parts.params, client)
}

async function revoke(s: State, request: Request) {
  const read =
    s.options.readRevocation ??
    (async (r: Request) => {
      const parts = await readStandardTokenRequest(r)
      return {
        token: parts.params.get('token') ?? '',
        ...(parts.clientId ? { clientId: parts.clientId } : {}),
        ...(parts.clientSecret ? { clientSecret: parts.clientSecret } : {}),
      }
    })
  const { token: value, ...auth } = await read(request)
  if (!s.options.readRevocation) authenticate(s, auth)
  if (!value) throw new EmulatorRejection('invalid_request', 'no token to revoke')
  s.accessTokens.delete(value)
  s.refreshTokens.delete(value)
  s.stats.revoked.push(value)
  return new HttpResponse(null, { status: 200 })
}

async function introspect(s: State, request: Request) {
  const parts = await readStandardTokenRequest(request)
  authenticate(s, parts)
  const value = parts.params.get('token') ?? ''
  const grant = s.accessTokens.get(value)
  const active = !!grant && grant.expiresAt > Date.now()
  return HttpResponse.json(
    active
      ? { active, scope: grant.scope, client_id: grant.clientId, sub: grant.user, exp: Math.floor(grant.expiresAt / 1000) }
      : { active: s.refreshTokens.has(value) },
  )
}

async function register(s: State, request: Request) {
  const body = (await request.json().catch(() => undefined)) as Record<string, unknown> | undefined
  const redirectUris = body?.redirect_uris
  const badUri = (u: unknown) => typeof u !== 'string' || !/^https:|^http:\/\/(127\.0\.0\.1|localhost)/.test(u)
  if (!body || (redirectUris !== undefined && (!Array.isArray(redirectUris) || redirectUris.some(badUri)))) {
    throw new EmulatorRejection('invalid_redirect_uri', 'redirect_uris must be https (or loopback) URLs')
  }
  const method = (body.token_endpoint_auth_method as string | undefined) ?? 'client_secret_basic'
  const grantTypes = (body.grant_types as string[] | undefined) ?? ['authorization_code', 'refresh_token']
  const registered: EmulatedClient = { clientId: random('client'), redirectUris: (redirectUris as string[] | undefined) ?? [], grantTypes }
  if (method !== 'none') registered.clientSecret = random('secret')
  s.clients.set(registered.clientId, registered)
  const secret = registered.clientSecret ? { client_secret: registered.clientSecret, client_secret_expires_at: 0 } : {}
  return HttpResponse.json(
    { ...body, client_id: registered.clientId, grant_types: grantTypes, token_endpoint_auth_method: method, ...secret },
    { status: 201 },
  )
}

async function deviceAuthorization(s: State, request: Request) {
  const parts = await readStandardTokenRequest(request)
  const client = authenticate(s, parts)
  const deviceCode = random('dc')
  const userCode = base64url(crypto.getRandomValues(new Uint8Array(6)))
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, 'X')
    .slice(0, 8)
  s.devices.set(deviceCode, {
    clientId: client.clientId,
    scope: parts.params.get('scope') ?? '',
    userCode,
    expiresAt: Date.now() + 600_000,
  })
  return HttpResponse.json({
    device_code: deviceCode,
    user_code: userCode,
    verification_uri: `${s.issuer}/activate`,
    verification_uri_complete: `${s.issuer}/activate?user_code=${userCode}`,
    expires_in: 600,
    interval: 1,
  })
}

/** The grant behind a request's bearer token, when it is valid. */
function bearer(s: State, request: Request) {
  const value = /^Bearer (\S+)$/.exec(request.headers.get('authorization') ?? '')?.[1]
  const grant = value ? s.accessTokens.get(value) : undefined
  return grant && grant.expiresAt > Date.now() ? grant : undefined
}

function unauthorized(s: State) {
  const metadata =
    s.options.resourceMetadata && s.options.resourceMetadata.inChallenge !== false
      ? `, resource_metadata="${s.options.resourceMetadata.url}"`
      : ''
  return new HttpResponse(null, { status: 401, headers: { 'www-authenticate': `Bearer error="invalid_token"${metadata}` } })
}

function userinfo(s: State, request: Request) {
  if (request.method !== 'GET' && request.method !== 'POST') return new HttpResponse(null, { status: 405 })
  const grant = bearer(s, request)
  if (!grant?.user) return unauthorized(s)
  return HttpResponse.json({ sub: grant.user, name: grant.user })
}

function apiAnswer(s: State, request: Request) {
  const grant = bearer(s, request)
  if (!grant) return unauthorized(s)
  const scopes = new Set(grant.scope.split(' '))
  const required = s.options.apiScopes ?? []
  if (required.some((x) => !scopes.has(x))) {
    return new HttpResponse(null, {
      status: 403,
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${required.join(' ')}"` },
    })
  }
  return HttpResponse.json({
    sub: grant.user ?? null,
    client: grant.clientId,
    scope: grant.scope,
    resource: grant.resource ?? null,
    path: new URL(request.url).pathname,
  })
}

function handlersOf(s: State, metadata: ReturnType<typeof metadataOf>): HttpHandler[] {
  const { endpoints: e, options } = s
  const on = (run: (s: State, request: Request) => Promise<Response>) => guard((request) => run(s, request))
  const handlers: HttpHandler[] = []
  if (options.discovery?.oauth ?? true)
    handlers.push(http.get(`${s.issuer}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata)))
  if (options.discovery?.openid ?? true)
    handlers.push(http.get(`${s.issuer}/.well-known/openid-configuration`, () => HttpResponse.json(metadata)))
  if (e.token) handlers.push(http.post(e.token, on(token)))
  if (e.revoke) handlers.push(http.post(e.revoke, on(revoke)))
  if (e.introspect) handlers.push(http.post(e.introspect, on(introspect)))
  if (e.userinfo) handlers.push(http.all(e.userinfo, ({ request }) => userinfo(s, request)))
  if (e.register) handlers.push(http.post(e.register, on(register)))
  if (e.device) handlers.push(http.post(e.device, on(deviceAuthorization)))
  if (options.resourceMetadata) {
    const { url, document } = options.resourceMetadata
    handlers.push(http.get(url, () => HttpResponse.json(document)))
  }
  if (options.api) {
    const api = options.api.replace(/\/$/, '')
    const answer = ({ request }: { request: Request }) => apiAnswer(s, request)
    handlers.push(http.all(api, answer), http.all(`${api}/*`, answer))
  }
  return handlers
}

/** Checks an authorization request as the server would (RFC 6749 §4.1.1, RFC 7636 §4.3); returns what it asked for. */
function checkAuthorizationRequest(s: State, url: URL) {
  const { endpoints, options } = s
  if (!endpoints.authorize || `${url.origin}${url.pathname}` !== endpoints.authorize)
    throw new EmulatorRejection('invalid_request', `not this server's authorization endpoint: ${url.origin}${url.pathname}`)
  options.checkAuthorizationRequest?.(url)
  const q = url.searchParams
  checkScope(s, q.get('scope'))
  const client = s.clients.get(q.get('client_id') ?? '')
  if (!client) throw new EmulatorRejection('invalid_request', 'unknown client_id')
  const redirectUri = q.get('redirect_uri') ?? ''
  if (client.redirectUris && !client.redirectUris.includes(redirectUri))
    throw new EmulatorRejection('invalid_request', 'redirect_uri is not registered')
  if (q.get('response_type') !== 'code') throw new EmulatorRejection('unsupported_response_type', 'only response_type=code')
  const challenge = q.get('code_challenge') ?? undefined
  if (challenge && q.get('code_challenge_method') !== 'S256') throw new EmulatorRejection('invalid_request', 'only S256 PKCE')
  if (!challenge && (options.requirePkce ?? true) && !options.allowNoPkceFor?.(client.clientId))
    throw new EmulatorRejection('invalid_request', 'PKCE (S256) is required')
  return {
    client,
    redirectUri,
    challenge,
    state: q.get('state'),
    scope: q.get('scope') ?? '',
    resource: q.get('resource'),
    nonce: q.get('nonce'),
  }
}

/** Plays the user at the authorization endpoint: checks the request, then returns where the browser goes back to. */
function approve(s: State, authorizationUrl: string, as: { user: string; deny?: boolean }): string {
  const asked = checkAuthorizationRequest(s, new URL(authorizationUrl))
  const answer = new URL(asked.redirectUri)
  if (as.deny) {
    answer.searchParams.set('error', 'access_denied')
    if (asked.state) answer.searchParams.set('state', asked.state)
    return answer.href
  }
  const code = random('code')
  s.codes.set(code, {
    clientId: asked.client.clientId,
    user: as.user,
    scope: asked.scope,
    redirectUri: asked.redirectUri,
    ...(asked.nonce ? { nonce: asked.nonce } : {}),
    ...(asked.challenge ? { challenge: asked.challenge } : {}),
    ...(asked.resource ? { resource: asked.resource } : {}),
  })
  if (s.options.authorizationRedirect)
    return s.options.authorizationRedirect(asked.redirectUri, { code, state: asked.state, iss: s.issuer })
  answer.searchParams.set('code', code)
  if (asked.state) answer.searchParams.set('state', asked.state)
  answer.searchParams.set('iss', s.issuer)
  return answer.href
}

function approveDevice(s: State, userCode: string, as: { user: string; deny?: boolean }) {
  for (const device of s.devices.values()) {
    if (device.userCode !== userCode) continue
    if (as.deny) device.denied = true
    else device.approved = as.user
    return
  }
  throw new EmulatorRejection('invalid_request', `no pending device authorization for user code ${userCode}`)
}

/**
 * A strict authorization server and protected API as msw handlers: standard by default, a
 * vendor's by its hooks (`oauthkit/testing`'s vendor servers are built on it).
 *
 * @example
 * const as = createEmulator({ issuer: 'https://as.example.com', clients: [{ clientId: 'svc', clientSecret: 's' }], api: 'https://api.example.com' })
 * const server = setupServer(...as.handlers) // from msw/node
 */
export function createEmulator(options: EmulatorOptions) {
  const issuer = options.issuer.replace(/\/$/, '')
  const s: State = {
    options,
    issuer,
    endpoints: endpointsOf(issuer, options.paths),
    ttl: options.accessTokenTtl ?? 3600,
    clients: new Map(options.clients.map((c) => [c.clientId, c])),
    codes: new Map(),
    accessTokens: new Map(),
    refreshTokens: new Map(),
    devices: new Map(),
    stats: { tokenRequests: 0, grants: [], revoked: [] },
  }
  const metadata = metadataOf(s)
  const firstUser = Object.keys(options.users ?? { user: '' })[0] ?? 'user'
  return {
    handlers: handlersOf(s, metadata),
    metadata,
    stats: s.stats,
    /** Registers a client at run time (as if configured at the vendor). */
    addClient: (client: EmulatedClient) => void s.clients.set(client.clientId, client),
    /** Plays the user at the authorization endpoint: checks the request as the server would, then returns the URL the browser is sent back to. */
    approve: async (authorizationUrl: string, as: { user: string; deny?: boolean } = { user: firstUser }): Promise<string> =>
      approve(s, authorizationUrl, as),
    /** Plays the user on the device verification page. */
    approveDevice: (userCode: string, as: { user: string; deny?: boolean }) => approveDevice(s, userCode, as),
    /** The grant behind a request's bearer token, if it is valid (for vendor API handlers). */
    verify: (request: Request) => bearer(s, request),
    /** The 401 a protected API answers without a valid token. */
    unauthorized: () => unauthorized(s),
    /** Issues an authorization code directly (for vendor endpoints that hand out codes). */
    createCode(grant: { clientId: string; user: string; scope: string; redirectUri: string }): string {
      const code = random('code')
      s.codes.set(code, grant)
      return code
    },
    /** Makes every access token issued so far expire (to test refresh). */
    expireAccessTokens() {
      for (const grant of s.accessTokens.values()) grant.expiresAt = 0
    },
  }
}

/**
 * A running emulator: its msw handlers, metadata and statistics, and the ways to play the user.
 */
export type Emulator = ReturnType<typeof createEmulator>
