/**
 * Emulators of the five documented vendors (docs/dialects.md), each following its
 * document exactly and refusing what it does not allow — so a test that passes against one
 * proves the quirk is handled.
 */
import { http, HttpResponse } from 'msw'
import { createEmulator, EmulatorRejection, readStandardTokenRequest, type EmulatedClient } from './emulator.js'

const hostUrl = (value: string) => (/^https?:\/\//.test(value) ? value : `https://${value}`).replace(/\/$/, '')

/**
 * EPISHIP (its "OAuth Authentication API" page): no discovery; password, code, refresh; scopes like "all billing"; personal access tokens.
 *
 * @example
 * const epishp = epishipServer({ baseUrl, clients: [{ clientId: 'app', clientSecret: 's' }], users: { ann: 'pw' } })
 * const server = setupServer(...epishp.handlers)
 */
export function epishipServer(options: { baseUrl: string; clients: EmulatedClient[]; users: Record<string, string> }) {
  const baseUrl = hostUrl(options.baseUrl)
  const emulator = createEmulator({
    issuer: baseUrl,
    clients: options.clients,
    users: options.users,
    paths: {
      token: '/oauth/token',
      authorize: '/oauth/authorize',
      revoke: '/oauth/revoke',
      introspect: false,
      userinfo: false,
      register: false,
      device: false,
    },
    discovery: { oauth: false, openid: false },
    scopes: ['all', 'billing', 'general'],
    api: `${baseUrl}/api`,
  })
  const personal = new Map<string, Array<{ id: string; name: string; scope: string }>>()
  for (const user of Object.keys(options.users)) {
    personal.set(user, [
      { id: 'pat-1', name: 'CI deploys', scope: 'general' },
      { id: 'pat-2', name: 'billing export', scope: 'billing' },
    ])
  }
  const handlers = [
    http.get(`${baseUrl}/oauth/personal_access_tokens`, ({ request }) => {
      const grant = emulator.verify(request)
      if (!grant?.user) return emulator.unauthorized()
      return HttpResponse.json(personal.get(grant.user) ?? [])
    }),
    http.delete(`${baseUrl}/oauth/personal_access_tokens/:id`, ({ request, params }) => {
      const grant = emulator.verify(request)
      if (!grant?.user) return emulator.unauthorized()
      const list = personal.get(grant.user) ?? []
      const i = list.findIndex((t) => t.id === params.id)
      if (i < 0) return new HttpResponse(null, { status: 404 })
      list.splice(i, 1)
      return new HttpResponse(null, { status: 204 })
    }),
    ...emulator.handlers,
  ]
  return { ...emulator, handlers, personalAccessTokens: personal }
}

/**
 * Epismo (its "OAuth" page): both well-known documents, registration at /oauth/register, code +
 * PKCE (an exchange without PKCE is refused), /oauth/token, /oauth/userinfo (GET and POST),
 * /oauth/revoke, /oauth/introspect; and an MCP server whose 401 points to RFC 9728 metadata
 * (or, with `mcpChallengeNamesMetadata: false`, only serves it at the path-aware well-known URL).
 *
 * @example
 * const epismo = epismoServer({ issuer: 'https://auth.epismo.test', mcp: 'https://mcp.epismo.test/mcp' })
 */
export function epismoServer(options: {
  issuer: string
  clients?: EmulatedClient[]
  users?: Record<string, string>
  mcp?: string
  api?: string
  mcpChallengeNamesMetadata?: boolean
}) {
  const issuer = hostUrl(options.issuer)
  const mcp = options.mcp ? new URL(options.mcp) : undefined
  const emulator = createEmulator({
    issuer,
    clients: options.clients ?? [],
    users: options.users ?? { ann: 'pw' },
    paths: {
      token: '/oauth/token',
      authorize: '/oauth/authorize',
      revoke: '/oauth/revoke',
      introspect: '/oauth/introspect',
      userinfo: '/oauth/userinfo',
      register: '/oauth/register',
      device: false,
    },
    requirePkce: true,
    scopes: ['openid', 'profile', 'read', 'write', 'mcp', 'offline_access'],
    ...(mcp
      ? {
          api: mcp.href,
          apiScopes: ['mcp'],
          resourceMetadata: {
            url: `${mcp.origin}/.well-known/oauth-protected-resource${mcp.pathname.replace(/\/$/, '')}`,
            document: { resource: mcp.href.replace(/\/$/, ''), authorization_servers: [issuer], scopes_supported: ['mcp'] },
            inChallenge: options.mcpChallengeNamesMetadata ?? true,
          },
        }
      : options.api
        ? { api: options.api }
        : {}),
  })
  return emulator
}

/**
 * Eptura Workplace (its "Using OAuth 2.0 to Access the API" page): login.html with exactly five parameters; the code in the
 * fragment with appCode and no state; every token parameter in an x- header (a body is
 * refused), Content-Type application/json; expires_in in milliseconds; rotating refresh
 * tokens; revocation by the x-token header; the browserless code request with x-auth-*.
 *
 * @example
 * const eptura = epturaServer({ site: 'https://acme.eptura.test', clients: [{ clientId: 'app', clientSecret: 's' }], users: { ann: 'pw' } })
 */
export function epturaServer(options: { site: string; clients: EmulatedClient[]; users: Record<string, string> }) {
  const site = hostUrl(options.site)
  const FIVE = ['client_id', 'redirect_uri', 'response_type', 'scope', 'state']
  const emulator = createEmulator({
    issuer: site,
    clients: options.clients,
    users: options.users,
    paths: {
      token: '/external/api/oauth2/token',
      authorize: '/login.html',
      revoke: '/external/api/oauth2/revoke',
      introspect: false,
      userinfo: false,
      register: false,
      device: false,
    },
    discovery: { oauth: false, openid: false },
    requirePkce: false,
    allowNoPkceFor: () => true,
    expiresIn: (seconds) => seconds * 1000,
    api: `${site}/external/api/rest/v2`,
    checkAuthorizationRequest(url) {
      const keys = [...url.searchParams.keys()].sort()
      if (keys.join() !== FIVE.join())
        throw new EmulatorRejection('invalid_request', `login.html needs exactly ${FIVE.join(', ')}; got ${keys.join(', ')}`)
      for (const key of FIVE)
        if (!url.searchParams.get(key)) throw new EmulatorRejection('invalid_request', `login.html needs a non-empty ${key}`)
    },
    authorizationRedirect: (redirectUri, { code }) => `${redirectUri}#code=${encodeURIComponent(code)}&appCode=APP-${code.slice(-4)}`,
    async readTokenRequest(request) {
      const body = await request.text()
      if (body.trim() !== '' && body.trim() !== '{}')
        throw new EmulatorRejection('invalid_request', 'Eptura reads token parameters from x- headers, not from the body')
      if (!(request.headers.get('content-type') ?? '').startsWith('application/json'))
        throw new EmulatorRejection('invalid_request', "Content-Type must be 'application/json'")
      const h = (name: string) => request.headers.get(name)
      const grantType = h('x-grant-type')
      const params = new URLSearchParams()
      const need =
        grantType === 'refresh_token'
          ? ['x-redirect-uri', 'x-client-id', 'x-scope', 'x-refresh-token']
          : ['x-redirect-uri', 'x-client-id', 'x-scope', 'x-auth-code']
      for (const name of need) if (!h(name)) throw new EmulatorRejection('invalid_request', `missing header ${name}`)
      params.set('grant_type', grantType ?? '')
      params.set('redirect_uri', h('x-redirect-uri')!)
      if (h('x-auth-code')) params.set('code', h('x-auth-code')!)
      if (h('x-refresh-token')) params.set('refresh_token', h('x-refresh-token')!)
      const secret = h('x-client-secret')
      return { params, clientId: h('x-client-id')!, ...(secret ? { clientSecret: secret } : {}) }
    },
    async readRevocation(request) {
      const token = request.headers.get('x-token')
      if (!token) throw new EmulatorRejection('invalid_request', 'the x-token header is required')
      return { token }
    },
  })
  // Specific routes first: the generic API handler would answer users/me otherwise.
  return { ...emulator, handlers: [...epturaRoutes(site, options, emulator), ...emulator.handlers] }
}

/** Eptura's own routes: the browserless code request (x-auth-*) and the API's users/me. */
function epturaRoutes(
  site: string,
  options: { clients: EmulatedClient[]; users: Record<string, string> },
  emulator: ReturnType<typeof createEmulator>,
) {
  return [
    http.post(`${site}/external/api/oauth2/auth`, ({ request }) => {
      const h = (name: string) => request.headers.get(name) ?? ''
      const client = options.clients.find((c) => c.clientId === h('x-client-id'))
      if (!client || options.users[h('x-auth-username')] !== h('x-auth-password') || !h('x-auth-password'))
        return HttpResponse.json({ message: 'invalid credentials' }, { status: 401 })
      if (client.redirectUris && !client.redirectUris.includes(h('x-redirect-uri')))
        return HttpResponse.json({ message: 'redirect uri mismatch' }, { status: 400 })
      return HttpResponse.json({
        code: emulator.createCode({
          clientId: client.clientId,
          user: h('x-auth-username'),
          scope: h('x-scope'),
          redirectUri: h('x-redirect-uri'),
        }),
      })
    }),
    http.get(`${site}/external/api/rest/v2/users/me`, ({ request }) => {
      const grant = emulator.verify(request)
      if (!grant) return emulator.unauthorized()
      return HttpResponse.json({ id: 42, userName: grant.user, email: `${grant.user}@example.com` })
    }),
  ]
}

/**
 * Organization API (its "Authentication" page): client_credentials at /oauth2/token answered with a refresh
 * token. In `basic` mode credentials must come as Basic (in the body they are refused); in
 * `query` mode everything must come in the query string of the POST URL.
 *
 * @example
 * const org = organizationApiServer({ server: 'org.example.test', clients: [{ clientId: 'svc', clientSecret: 's' }] })
 */
export function organizationApiServer(options: { server: string; clients: EmulatedClient[]; credentials?: 'basic' | 'query' }) {
  const root = hostUrl(options.server)
  const query = options.credentials === 'query'
  return createEmulator({
    issuer: root,
    clients: options.clients,
    paths: { token: '/oauth2/token', authorize: false, revoke: false, introspect: false, userinfo: false, register: false, device: false },
    discovery: { oauth: false, openid: false },
    refreshTokenWithClientCredentials: true,
    api: `${root}/api`,
    async readTokenRequest(request) {
      if (query) {
        const params = new URL(request.url).searchParams
        if ((await request.text()).trim() !== '')
          throw new EmulatorRejection('invalid_request', 'query-parameter mode: the body must be empty')
        if (request.headers.has('authorization'))
          throw new EmulatorRejection('invalid_request', 'query-parameter mode: no Authorization header')
        const id = params.get('client_id')
        const secret = params.get('client_secret')
        if (!id || !secret) throw new EmulatorRejection('invalid_client', 'client_id and client_secret are required in the query', 401)
        return { params, clientId: id, clientSecret: secret }
      }
      if (!/^Basic /i.test(request.headers.get('authorization') ?? ''))
        throw new EmulatorRejection('invalid_client', 'client credentials must come in an Authorization: Basic header', 401)
      const parts = await readStandardTokenRequest(request)
      if (parts.params.has('client_id') || parts.params.has('client_secret'))
        throw new EmulatorRejection('invalid_request', 'client credentials are not accepted in the body')
      return parts
    },
  })
}

/**
 * Bipsync (its "OAuth Introduction" page): RFC 8414 metadata at https://{client}-api.bipsync.com; confidential
 * and public applications (public ones must use PKCE); authorization code (users and service
 * accounts), refresh, client_credentials, device authorization.
 *
 * @example
 * const bipsync = bipsyncServer({ client: 'acme', clients: [{ clientId: 'app' }], users: { ann: 'pw' } })
 */
export function bipsyncServer(options: { client: string; clients: EmulatedClient[]; users: Record<string, string> }) {
  const issuer = `https://${options.client}-api.bipsync.com`
  const confidential = new Set(options.clients.filter((c) => c.clientSecret !== undefined).map((c) => c.clientId))
  return createEmulator({
    issuer,
    clients: options.clients,
    users: options.users,
    discovery: { oauth: true, openid: false },
    requirePkce: true,
    allowNoPkceFor: (clientId) => confidential.has(clientId),
    api: `${issuer}/v1`,
  })
}
