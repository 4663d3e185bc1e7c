/**
 * A real authorization server (panva's oidc-provider 8) and a small protected API, both on
 * 127.0.0.1 with ephemeral ports. Used by the end-to-end tests and by `npm run demo`.
 *
 * Configured as the issues ask: PKCE required, refresh-token rotation, a short access-token
 * lifetime, a confidential and a public client, device flow, introspection, revocation,
 * dynamic registration, client credentials with resource indicators, and a password grant
 * registered as a custom grant type (oidc-provider does not ship one: the grant is legacy).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import Provider, { errors } from 'oidc-provider'
import { checkDpopProof } from './dpop-proof.js'

export const CONFIDENTIAL = { clientId: 'confidential-app', clientSecret: 'confidential-secret-0123456789' }
export const PUBLIC = { clientId: 'public-app' }
/** A native app (RFC 8252): a loopback redirect on any port (§7.3). */
export const NATIVE = { clientId: 'native-app', redirectUri: 'http://127.0.0.1/callback' }
export const USER = { login: 'ada', password: 'correct horse battery staple', name: 'Ada Lovelace' }

export interface LocalServers {
  issuer: string
  /** The protected API's base URL; GET /me needs a valid access token. */
  api: string
  redirectUri: string
  provider: Provider
  /** How many times each grant type reached the token endpoint. */
  tokenRequests: Map<string, number>
  /** Access tokens the API accepted and refused. */
  apiCalls: { ok: number; unauthorized: number }
  stop(): Promise<void>
}

export interface LocalServerOptions {
  /** Access-token lifetime in seconds. Default 60. */
  accessTokenTtl?: number
  /** The authorization server's port (the API's is the next one); default: ephemeral ports. */
  port?: number
  /** A single-page app at this origin: a public client `spa-app` with its redirect and CORS. */
  spaOrigin?: string
  /** Require pushed authorization requests (RFC 9126; the endpoint is always there). */
  requirePar?: boolean
  /**
   * DPoP (RFC 9449) is always on at the server; these make the token endpoint and the API ask
   * for nonces (`use_dpop_nonce`) before they accept a proof.
   */
  dpopNonces?: { authorizationServer?: boolean; api?: boolean }
}

export const SPA = { clientId: 'spa-app' }

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'

/**
 * The identity provider whose JWT bearer assertions (RFC 7523) the server trusts, and its
 * ES256 key: `signAssertion` signs as it.
 */
export const ASSERTION_ISSUER = 'https://idp.example.test'
const assertionKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })

/** An ES256 JWT signed by ASSERTION_ISSUER's key; `iss` and a 5-minute `exp` are added. */
export function signAssertion(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  const input = `${part({ alg: 'ES256', typ: 'JWT' })}.${part({ iss: ASSERTION_ISSUER, iat: now, exp: now + 300, jti: randomBytes(8).toString('hex'), ...claims })}`
  return `${input}.${sign('sha256', Buffer.from(input), { key: assertionKey.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
}

/** The claims of an assertion signed by ASSERTION_ISSUER for `audience`, or undefined. */
function verifiedAssertion(jwt: string, audience: string[]): Record<string, unknown> | undefined {
  const [header, payload, signature] = jwt.split('.')
  if (!header || !payload || !signature) return undefined
  const ok = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    { key: assertionKey.publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  )
  const claims = ok ? (JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>) : undefined
  if (!claims || claims.iss !== ASSERTION_ISSUER || !audience.includes(claims.aud as string) || typeof claims.sub !== 'string')
    return undefined
  return typeof claims.exp === 'number' && claims.exp * 1000 > Date.now() ? claims : undefined
}

/**
 * oidc-provider prints a WARNING or NOTICE for every development shortcut a test server takes
 * on purpose (in-memory storage, generated keys, its built-in login, device and logout pages). Those
 * lines are dropped, once, for this process; anything else it prints still shows.
 */
const EXPECTED_NOTICES = /oidc-provider (?:WARNING|NOTICE): (?:a quick start development-only|default features\.\w+\.\w+Source function)/
let quieted = false
export function quietExpectedNotices() {
  if (quieted) return
  quieted = true
  for (const method of ['warn', 'info'] as const) {
    const original = console[method].bind(console)
    console[method] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && EXPECTED_NOTICES.test(args[0])) return
      original(...args)
    }
  }
}

/** For the scripts a person reads (the demo, the sandbox): every line oidc-provider writes to the console is left out. */
export function hushOidcProvider() {
  for (const level of ['warn', 'info'] as const) {
    const original = console[level].bind(console)
    console[level] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider')) return
      original(...args)
    }
  }
}

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

export async function startLocalServers(options: LocalServerOptions = {}): Promise<LocalServers> {
  const ttl = options.accessTokenTtl ?? 60
  // Reserve the ports first: the issuer must be known before the provider is built.
  const asServer = createServer()
  const apiServer = createServer()
  const issuer = `http://127.0.0.1:${await listen(asServer, options.port)}`
  const api = `http://127.0.0.1:${await listen(apiServer, options.port ? options.port + 1 : 0)}`
  const redirectUri = `${api}/callback`

  quietExpectedNotices()
  const provider = new Provider(issuer, {
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: [
      {
        client_id: CONFIDENTIAL.clientId,
        client_secret: CONFIDENTIAL.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [
          'authorization_code',
          'refresh_token',
          'client_credentials',
          'urn:ietf:params:oauth:grant-type:device_code',
          'password',
          TOKEN_EXCHANGE,
          JWT_BEARER,
        ],
        response_types: ['code'],
        redirect_uris: [redirectUri],
        scope: 'openid offline_access profile email api:read',
      },
      {
        client_id: PUBLIC.clientId,
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        redirect_uris: [redirectUri],
      },
      {
        client_id: NATIVE.clientId,
        token_endpoint_auth_method: 'none' as const,
        application_type: 'native' as const,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code' as const],
        redirect_uris: [NATIVE.redirectUri],
      },
      ...(options.spaOrigin
        ? [
            {
              client_id: SPA.clientId,
              token_endpoint_auth_method: 'none' as const,
              application_type: 'web' as const,
              grant_types: ['authorization_code', 'refresh_token'],
              response_types: ['code' as const],
              // The page, and a service worker's own callback page (test/browser).
              redirect_uris: [`${options.spaOrigin}/`, `${options.spaOrigin}/sw-callback`],
              post_logout_redirect_uris: [`${options.spaOrigin}/`],
            },
          ]
        : []),
    ],
    ...(options.spaOrigin
      ? {
          // The SPA calls the token and revocation endpoints cross-origin.
          clientBasedCORS: (_ctx: unknown, origin: string, client: { clientId: string }) =>
            client.clientId === SPA.clientId && origin === options.spaOrigin,
          // As oidc-provider's documentation suggests for public web clients doing code flow: a
          // refresh token without offline_access (which it grants only with prompt=consent). The
          // SPA then holds a refresh token for less scope than it asked for.
          issueRefreshToken: async (
            _ctx: unknown,
            client: { grantTypeAllowed(type: string): boolean; clientAuthMethod?: string | undefined },
            code: { scopes: Set<string> },
          ) => client.grantTypeAllowed('refresh_token') && (code.scopes.has('offline_access') || client.clientAuthMethod === 'none'),
        }
      : {}),
    pkce: { required: () => true },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      AuthorizationCode: 300,
      DeviceCode: 600,
      RefreshToken: 24 * 3600,
      IdToken: 3600,
      Grant: 24 * 3600,
      Interaction: 3600,
      Session: 24 * 3600,
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'api:read'],
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, name: id === USER.login ? USER.name : id, email: `${id}@example.com` }),
    }),
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      introspection: {
        enabled: true,
        // A public client may introspect only its own tokens (oidc-provider's default, stated).
        allowedPolicy: async (ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId,
      },
      revocation: { enabled: true },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: options.requirePar === true },
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => options.dpopNonces?.authorizationServer === true },
      registration: { enabled: true },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      // OpenID Connect Back-Channel Logout: a client that registered a backchannel_logout_uri gets a logout token there.
      backchannelLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined as unknown as string,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx, resource) => ({
          scope: 'api:read',
          audience: resource,
          accessTokenTTL: ttl,
          accessTokenFormat: 'opaque',
        }),
      },
    },
    // Advertise RFC 9207 `iss` in authorization responses (oidc-provider sends it).
    discovery: { authorization_response_iss_parameter_supported: true },
    // A token exchanged on someone's behalf records who acts (RFC 8693 §4.1 `act`).
    extraTokenClaims: (_ctx, token) => {
      const act = (token as { act?: Record<string, unknown> }).act
      return act ? { act } : undefined
    },
  })

  // Legacy password grant (RFC 6749 §4.3) for the tests of oauthkit's password support.
  provider.registerGrantType(
    'password',
    async (ctx, next) => {
      const { username, password } = ctx.oidc.params as Record<string, string>
      if (username !== USER.login || password !== USER.password) throw new errors.InvalidGrant('invalid resource owner credentials')
      const scope = String(ctx.oidc.params?.scope ?? 'openid')
      const client = ctx.oidc.client!
      const grant = new provider.Grant({ clientId: client.clientId, accountId: username })
      grant.addOIDCScope(scope)
      const grantId = await grant.save()
      const token = new provider.AccessToken({ accountId: username, client, grantId, gty: 'password', scope })
      const value = await token.save()
      ctx.body = { access_token: value, token_type: 'Bearer', expires_in: token.expiration, scope }
      await next()
    },
    ['username', 'password', 'scope'],
  )

  registerExchangeGrants(provider, issuer)

  const tokenRequests = new Map<string, number>()
  provider.use(async (ctx, next) => {
    if (ctx.path === '/token' && ctx.method === 'POST') {
      await next()
      const gty = String((ctx.oidc?.params as Record<string, unknown> | undefined)?.grant_type ?? 'unknown')
      tokenRequests.set(gty, (tokenRequests.get(gty) ?? 0) + 1)
      return
    }
    await next()
    // The device flow's polling interval, stated (RFC 8628 §3.2; oidc-provider states none, so
    // clients wait the default 5 s): a second, so that no sign-in here waits longer than it must.
    if (ctx.path === '/device/auth' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object')
      ctx.body = { ...ctx.body, interval: 1 }
  })
  asServer.on('request', provider.callback())

  const apiCalls = { ok: 0, unauthorized: 0 }
  const apiNonce = randomBytes(16).toString('base64url')
  const seenProofs = new Set<string>()
  /** Why the API refuses a DPoP request (an RFC 9449 §7.1 error), or undefined when the proof checks. */
  function dpopRefusal(req: IncomingMessage, url: URL, scheme: string, token: string, bound: string | undefined): string | undefined {
    if (scheme !== 'DPoP' || !bound) return 'invalid_token'
    const proof = checkDpopProof(String(req.headers.dpop ?? ''), {
      method: req.method ?? 'GET',
      url: `${api}${url.pathname}`,
      token,
      jkt: bound,
    })
    if (!proof) return 'invalid_dpop_proof'
    if (seenProofs.has(proof.jti)) return 'invalid_dpop_proof'
    seenProofs.add(proof.jti)
    return options.dpopNonces?.api && proof.nonce !== apiNonce ? 'use_dpop_nonce' : undefined
  }
  apiServer.on('request', (req, res) => void handleApi(req, res))
  async function handleApi(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', api)
    if (options.spaOrigin) {
      res.setHeader('access-control-allow-origin', options.spaOrigin)
      res.setHeader('access-control-expose-headers', 'www-authenticate, dpop-nonce')
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-headers': 'authorization, content-type, dpop',
          'access-control-allow-methods': 'GET, POST',
        })
        res.end()
        return
      }
    }
    if (url.pathname === '/.well-known/oauth-protected-resource') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ resource: api, authorization_servers: [issuer], scopes_supported: ['api:read'] }))
      return
    }
    if (url.pathname === '/callback') {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('signed in')
      return
    }
    const match = /^(Bearer|DPoP) ([^\s]+)$/.exec(req.headers.authorization ?? '')
    const value = match?.[2]
    const token = value ? ((await provider.AccessToken.find(value)) ?? (await provider.ClientCredentials.find(value))) : undefined
    // RFC 9449 §7: a DPoP-bound token needs the DPoP scheme and a proof that checks; a bearer token neither.
    const bound = (token as { jkt?: string } | undefined)?.jkt
    const refusal = token && (bound || match?.[1] === 'DPoP') ? dpopRefusal(req, url, match![1]!, value!, bound) : undefined
    if (refusal) {
      apiCalls.unauthorized++
      res.writeHead(401, {
        'www-authenticate': `DPoP error="${refusal}"`,
        ...(refusal === 'use_dpop_nonce' ? { 'dpop-nonce': apiNonce } : {}),
      })
      res.end()
      return
    }
    if (!token || token.isExpired) {
      apiCalls.unauthorized++
      res.writeHead(401, {
        'www-authenticate': `Bearer error="invalid_token", resource_metadata="${api}/.well-known/oauth-protected-resource"`,
      })
      res.end()
      return
    }
    apiCalls.ok++
    res.writeHead(200, { 'content-type': 'application/json' })
    const act = (token.extra as Record<string, unknown> | undefined)?.act
    res.end(
      JSON.stringify({
        sub: ('accountId' in token ? token.accountId : undefined) ?? null,
        client: token.clientId,
        scope: token.scope ?? '',
        path: url.pathname,
        ...(act ? { act } : {}),
      }),
    )
  }

  return {
    issuer,
    api,
    redirectUri,
    provider,
    tokenRequests,
    apiCalls,
    async stop() {
      for (const server of [asServer, apiServer]) {
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
      }
    },
  }
}

/**
 * Plays the user in a browser over plain HTTP: follows redirects with a cookie jar and
 * submits the login, consent and device-confirmation forms of oidc-provider's development
 * interactions. Stops at `until` (returns that URL) or at a page without a form.
 */
export async function actAsUser(
  start: string,
  options: { until?: string; login?: string; password?: string; jar?: Map<string, string> } = {},
): Promise<string> {
  const end = await walk(start, options)
  if (typeof end !== 'string') throw new Error(`the sign-in ended in a form posted to ${end.url}, not a redirect`)
  return end
}

/**
 * Plays the user up to the form the browser would post to `until` (response_mode=form_post:
 * the answer is an auto-submitting form): returns that POST as the Request the app's server gets.
 */
export async function actAsUserUntilPost(start: string, until: string): Promise<Request> {
  const end = await walk(start, { until })
  if (typeof end === 'string') throw new Error(`the sign-in ended at ${end}, not in a form posted to ${until}`)
  return end
}

async function walk(
  start: string,
  options: { until?: string; login?: string; password?: string; jar?: Map<string, string> },
): Promise<string | Request> {
  // The browser's cookies: one walk's own, or a jar shared by several (a sign-in, then its logout).
  const jar = options.jar ?? new Map<string, string>()
  let url = new URL(start)
  let init: RequestInit = { method: 'GET' }
  for (let step = 0; step < 25; step++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    })
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') jar.delete(name)
      else jar.set(name, value)
    }
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location')!, url)
      if (options.until && next.href.startsWith(options.until)) return next.href
      url = next
      init = { method: 'GET' }
      continue
    }
    const html = await res.text()
    const form = /<form[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html)
    if (!form) {
      if (res.status >= 400) throw new Error(`the authorization server answered ${res.status} at ${url.pathname}: ${html.slice(0, 300)}`)
      return url.href
    }
    const action = /action="([^"]*)"/.exec(form[0])?.[1] ?? url.href
    const fields = new URLSearchParams()
    for (const input of form[1]!.matchAll(/<input([^>]*)>/gi)) {
      const name = /name="([^"]*)"/.exec(input[1]!)?.[1]
      if (!name) continue
      const value = /value="([^"]*)"/.exec(input[1]!)?.[1] ?? ''
      if (name === 'login') fields.set(name, options.login ?? USER.login)
      else if (name === 'password') fields.set(name, options.password ?? USER.password)
      else fields.set(name, value)
    }
    url = new URL(action.replace(/&amp;/g, '&'), url)
    init = { method: 'POST', body: fields.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
    if (options.until && url.href.startsWith(options.until)) return new Request(url, init)
  }
  throw new Error(`sign-in did not finish within 25 steps (last at ${url.pathname})`)
}

/** A user's access token for `accountId`, under a new grant for `scope`. */
async function userToken(
  provider: Provider,
  client: InstanceType<Provider['Client']>,
  accountId: string,
  scope: string,
  gty: string,
  extra?: Record<string, unknown>,
) {
  const grant = new provider.Grant({ clientId: client.clientId, accountId })
  grant.addOIDCScope(scope)
  const token = new provider.AccessToken({ accountId, client, grantId: await grant.save(), gty, scope })
  // Read by extraTokenClaims as the token is saved.
  Object.assign(token, extra)
  return { value: await token.save(), expiresIn: token.expiration }
}

/**
 * Token exchange (RFC 8693): a user's access token for a new one, narrower if `scope` says so,
 * with `act` (the actor's client) when an actor token comes along. JWT bearer (RFC 7523 §2.1):
 * an assertion signed by ASSERTION_ISSUER, for the issuer or the token endpoint, for its `sub`.
 */
function registerExchangeGrants(provider: Provider, issuer: string) {
  provider.registerGrantType(
    TOKEN_EXCHANGE,
    async (ctx, next) => {
      const params = ctx.oidc.params as Record<string, string | undefined>
      if (params.subject_token_type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest('subject_token_type must be an access token')
      if (params.requested_token_type && params.requested_token_type !== ACCESS_TOKEN_TYPE)
        throw new errors.InvalidRequest('only access tokens are issued')
      const subject = await provider.AccessToken.find(params.subject_token ?? '')
      if (!subject || subject.isExpired) throw new errors.InvalidGrant('the subject token is not active')
      let act: Record<string, unknown> | undefined
      if (params.actor_token) {
        const actor = (await provider.ClientCredentials.find(params.actor_token)) ?? (await provider.AccessToken.find(params.actor_token))
        if (!actor || actor.isExpired || params.actor_token_type !== ACCESS_TOKEN_TYPE)
          throw new errors.InvalidGrant('the actor token is not active')
        act = { sub: actor.clientId }
      }
      const held = new Set(String(subject.scope ?? '').split(' '))
      const scope = params.scope
        ? params.scope
            .split(' ')
            .filter((s) => held.has(s))
            .join(' ')
        : String(subject.scope ?? '')
      const token = await userToken(provider, ctx.oidc.client!, subject.accountId, scope, 'token-exchange', act ? { act } : undefined)
      ctx.body = {
        access_token: token.value,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'Bearer',
        expires_in: token.expiresIn,
        scope,
      }
      await next()
    },
    ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'scope', 'audience'],
  )
  provider.registerGrantType(
    JWT_BEARER,
    async (ctx, next) => {
      const params = ctx.oidc.params as Record<string, string | undefined>
      const claims = verifiedAssertion(params.assertion ?? '', [issuer, `${issuer}/token`])
      if (!claims) throw new errors.InvalidGrant('the assertion is not signed by a trusted issuer for this server, or expired')
      const scope = params.scope ?? 'openid'
      const token = await userToken(provider, ctx.oidc.client!, claims.sub as string, scope, 'jwt-bearer')
      ctx.body = { access_token: token.value, token_type: 'Bearer', expires_in: token.expiresIn, scope }
      await next()
    },
    ['assertion', 'scope'],
  )
}
