import { createHash, randomBytes } from 'node:crypto'
import { http, HttpResponse } from 'msw'
import { metadata } from './as-mock.js'
import { checkDpopProof } from './dpop-proof.js'

/**
 * An MCP server and its authorization servers on strict msw: the MCP server answers 401 and
 * 403 `insufficient_scope` challenges as the MCP authorization spec has them, publishes RFC 9728
 * metadata, and accepts the tokens its authorization servers issued for its `resource`. Each
 * authorization server registers clients, redeems codes (PKCE checked), refreshes and records
 * what it was asked. `signIn` plays the user: it reads the authorization request and comes back
 * with a code, state and `iss`.
 */
export const MCP = 'https://mcp.example/mcp'
export const AS = 'https://auth.example'
export const OTHER_AS = 'https://login.other.example'
export const REDIRECT = 'http://127.0.0.1:33418/callback'
export const LEGACY = 'https://mcp.example'
export const CIMD = 'https://client.example/oauth/client.json'
/** An enterprise identity provider (SEP-990): it exchanges ID tokens for ID-JAGs. */
export const IDP = 'https://idp.example'
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
export const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag'

export interface WorldOptions {
  /** The PRM document, or 404 (a 2025-03-26 server); default names AS with scopes mcp:read mcp:write. */
  resourceMetadata?: Record<string, unknown> | 404
  /** Extra metadata of each authorization server, or 404 for no metadata at all. */
  asMetadata?: Record<string, Record<string, unknown> | 404>
  /** The scope a tool call needs beyond mcp:read (the 403's challenge). */
  writeScope?: string
  /** The scope in the 401's challenge; default none. */
  challengeScope?: string
  accessTokenTtl?: number
  /** The MCP server refuses every token (to test the bound on sign-ins). */
  refuseAll?: boolean
  /** The MCP server's origin is an authorization server too (a 2025-03-26 server). */
  legacyAs?: boolean
  /**
   * Registration answers as some servers ship them (Cloudflare's workers-oauth-provider until
   * 2026, the MCP Python SDK's): a client_secret for every client, public ones too, and no
   * client_secret_expires_at.
   */
  sloppyRegistration?: boolean
  /** The token endpoint knows only the clients it registered: another (one it forgot: `clients.delete`) is 401 invalid_client. */
  strictClients?: boolean
  /** What the identity provider says it issued (default an ID-JAG). */
  issuedTokenType?: string
  /**
   * DPoP (RFC 9449) at the authorization servers — they advertise ES256, bind tokens to the
   * key of the token request's proof — and at the MCP server, which takes a bound token only
   * with a proof for it; `nonce`: both demand their own nonce first (§8, §9).
   */
  dpop?: { nonce?: boolean }
  /**
   * Atlassian's shape: the resource names a tenant's authorization server (`AS/<tenant>`), whose
   * metadata (served at the tenant's path-insertion URL) names the issuer `AS`, a path-ancestor.
   */
  tenant?: string
  /** A device authorization endpoint (RFC 8628) at each authorization server; `approveDevice(userCode)` plays the user. */
  device?: boolean
  /** The device authorization's verification_uri (default `<issuer>/activate`). */
  verificationUri?: string
}

export const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code'

const AS_NONCE = 'as-nonce-1'
const RS_NONCE = 'rs-nonce-1'

/** The JWK thumbprint (RFC 7638) of a DPoP proof's key, and its `nonce`. */
function proofKey(proof: string): { jkt: string; nonce?: string } {
  const [header, payload] = proof
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>)
  const { crv, kty, x, y } = header!.jwk as Record<string, string>
  return {
    jkt: createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url'),
    ...(typeof payload!.nonce === 'string' ? { nonce: payload!.nonce } : {}),
  }
}

interface Issued {
  issuer: string
  scope: string
  resource: string | null
  clientId: string
  expiresAt: number
  /** The thumbprint of the key a DPoP-bound token is bound to. */
  jkt?: string
}

export function mcpWorld(options: WorldOptions = {}) {
  const log = {
    registrations: [] as Array<{ issuer: string; body: Record<string, unknown> }>,
    authorizations: [] as URLSearchParams[],
    tokenRequests: [] as Array<{ issuer: string; params: URLSearchParams; authorization: string | null; dpop?: string | null }>,
    deviceAuthorizations: [] as URLSearchParams[],
    mcpCalls: [] as Array<{ authorization: string | null; tool: string | undefined; dpop?: string | null }>,
  }
  const tokens = new Map<string, Issued>()
  const refreshTokens = new Map<string, Issued>()
  const codes = new Map<string, Issued & { challenge: string; redirectUri: string }>()
  const clients = new Map<string, { issuer: string; secret?: string; method: string }>()
  /** Device authorizations by device code: what was asked, and whether the user approved. */
  const devices = new Map<string, Issued & { userCode: string; approved: boolean }>()
  let clientSeq = 0

  const prm = () =>
    options.resourceMetadata === undefined
      ? {
          resource: MCP,
          authorization_servers: [options.tenant ? `${AS}/${options.tenant}` : AS],
          scopes_supported: ['mcp:read', 'mcp:write'],
        }
      : options.resourceMetadata
  const asDoc = (issuer: string) => {
    const extra = options.asMetadata?.[issuer]
    if (extra === 404) return 404
    return metadata(issuer, {
      scopes_supported: ['mcp:read', 'mcp:write', 'offline_access'],
      authorization_response_iss_parameter_supported: true,
      grant_types_supported: ['authorization_code', 'refresh_token', ...(options.device ? [DEVICE_CODE] : [])],
      ...(options.dpop ? { dpop_signing_alg_values_supported: ['ES256'] } : {}),
      device_authorization_endpoint: options.device ? `${issuer}/device` : undefined,
      ...extra,
    })
  }

  /** What a user's sign-in (a code, a device code) was asked for, by which client. */
  const asked = (params: URLSearchParams, issuer: string): Issued => ({
    issuer,
    scope: params.get('scope') ?? '',
    resource: params.get('resource'),
    clientId: params.get('client_id') ?? '',
    expiresAt: 0,
  })

  function issue(issued: Issued, jkt?: string) {
    const from = { ...issued, ...(jkt ? { jkt } : {}) }
    const accessToken = `at-${randomBytes(6).toString('hex')}`
    tokens.set(accessToken, { ...from, expiresAt: Date.now() + (options.accessTokenTtl ?? 3600) * 1000 })
    const offline = from.scope.split(' ').includes('offline_access')
    const refreshToken = offline ? `rt-${randomBytes(6).toString('hex')}` : undefined
    if (refreshToken) refreshTokens.set(refreshToken, from)
    return HttpResponse.json(
      {
        access_token: accessToken,
        token_type: from.jkt ? 'DPoP' : 'Bearer',
        expires_in: options.accessTokenTtl ?? 3600,
        scope: from.scope,
        ...(refreshToken ? { refresh_token: refreshToken } : {}),
      },
      { headers: { 'cache-control': 'no-store' } },
    )
  }

  function authServer(issuer: string) {
    const served = () => {
      const doc = asDoc(issuer)
      return doc === 404 ? new HttpResponse(null, { status: 404 }) : HttpResponse.json(doc)
    }
    return [
      http.get(`${issuer}/.well-known/oauth-authorization-server`, served),
      ...(options.tenant && issuer === AS ? [http.get(`${AS}/.well-known/oauth-authorization-server/${options.tenant}`, served)] : []),
      http.get(`${issuer}/.well-known/openid-configuration`, () => new HttpResponse(null, { status: 404 })),
      http.post(`${issuer}/register`, async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>
        log.registrations.push({ issuer, body })
        const clientId = `client-${++clientSeq}`
        const method = String(body.token_endpoint_auth_method ?? 'client_secret_basic')
        const secret = method === 'none' ? undefined : `secret-${randomBytes(6).toString('hex')}`
        clients.set(clientId, { issuer, method, ...(secret ? { secret } : {}) })
        const issued = options.sloppyRegistration
          ? { client_secret: secret ?? `unasked-${randomBytes(6).toString('hex')}` }
          : secret
            ? { client_secret: secret, client_secret_expires_at: 0 }
            : {}
        return HttpResponse.json({ ...body, client_id: clientId, ...issued }, { status: 201 })
      }),
      http.post(`${issuer}/device`, async ({ request }) => {
        const params = new URLSearchParams(await request.text())
        log.deviceAuthorizations.push(params)
        const userCode = `WDJB-${randomBytes(2).toString('hex').toUpperCase()}`
        const deviceCode = `dc-${randomBytes(6).toString('hex')}`
        devices.set(deviceCode, {
          ...asked(params, issuer),
          userCode,
          approved: false,
        })
        return HttpResponse.json({
          device_code: deviceCode,
          user_code: userCode,
          verification_uri: options.verificationUri ?? `${issuer}/activate`,
          expires_in: 600,
          interval: 5,
        })
      }),
      http.post(`${issuer}/token`, async ({ request }) => {
        const params = new URLSearchParams(await request.text())
        log.tokenRequests.push({ issuer, params, authorization: request.headers.get('authorization'), dpop: request.headers.get('dpop') })
        const proof = options.dpop && request.headers.get('dpop') ? proofKey(request.headers.get('dpop')!) : undefined
        if (proof && options.dpop?.nonce && proof.nonce !== AS_NONCE)
          return HttpResponse.json({ error: 'use_dpop_nonce' }, { status: 400, headers: { 'dpop-nonce': AS_NONCE } })
        const jkt = proof?.jkt
        const caller =
          params.get('client_id') ??
          Buffer.from((request.headers.get('authorization') ?? '').slice(6), 'base64')
            .toString()
            .split(':')[0]!
        if (options.strictClients && !clients.has(caller)) return HttpResponse.json({ error: 'invalid_client' }, { status: 401 })
        if (params.get('grant_type') === 'authorization_code') {
          const code = codes.get(params.get('code') ?? '')
          codes.delete(params.get('code') ?? '')
          const verifier = params.get('code_verifier') ?? ''
          if (
            !code ||
            code.issuer !== issuer ||
            createHash('sha256').update(verifier).digest('base64url') !== code.challenge ||
            params.get('redirect_uri') !== code.redirectUri
          ) {
            return HttpResponse.json({ error: 'invalid_grant' }, { status: 400 })
          }
          return issue(code, jkt)
        }
        if (params.get('grant_type') === DEVICE_CODE) {
          const flow = devices.get(params.get('device_code') ?? '')
          if (!flow || flow.issuer !== issuer || flow.clientId !== caller || flow.resource !== params.get('resource'))
            return HttpResponse.json({ error: 'invalid_grant' }, { status: 400 })
          if (!flow.approved) return HttpResponse.json({ error: 'authorization_pending' }, { status: 400 })
          devices.delete(params.get('device_code')!)
          return issue(flow, jkt)
        }
        // Grants without a user: whatever the client asked for, for the resource it named.
        if (params.get('grant_type') === 'client_credentials' || params.get('grant_type') === JWT_BEARER) {
          return issue({ issuer, scope: params.get('scope') ?? '', resource: params.get('resource'), clientId: caller, expiresAt: 0 }, jkt)
        }
        const refreshed = refreshTokens.get(params.get('refresh_token') ?? '')
        if (!refreshed || refreshed.issuer !== issuer) return HttpResponse.json({ error: 'invalid_grant' }, { status: 400 })
        return issue(refreshed, jkt)
      }),
    ]
  }

  // A 2025-03-26 server (no resource metadata) names none in its challenge.
  const challenge = (extra = '') =>
    prm() === 404
      ? `Bearer realm="mcp"${extra}`
      : `Bearer resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp"${extra}`
  /** The identity provider: an RFC 8693 exchange of an ID token for an ID-JAG (SEP-990), recorded in `tokenRequests`. */
  const identityProvider = [
    http.get(`${IDP}/.well-known/oauth-authorization-server`, () => new HttpResponse(null, { status: 404 })),
    http.get(`${IDP}/.well-known/openid-configuration`, () => HttpResponse.json(metadata(IDP))),
    http.post(`${IDP}/token`, async ({ request }) => {
      const params = new URLSearchParams(await request.text())
      log.tokenRequests.push({ issuer: IDP, params, authorization: request.headers.get('authorization') })
      if (params.get('subject_token') !== 'user-id-token') return HttpResponse.json({ error: 'invalid_grant' }, { status: 400 })
      return HttpResponse.json({
        access_token: `jag-${randomBytes(6).toString('hex')}`,
        issued_token_type: options.issuedTokenType ?? ID_JAG,
        token_type: 'N_A',
        expires_in: 300,
      })
    }),
  ]
  const handlers = [
    ...identityProvider,
    ...authServer(AS),
    ...authServer(OTHER_AS),
    ...(options.legacyAs ? authServer(LEGACY) : []),
    http.get('https://mcp.example/.well-known/oauth-protected-resource/mcp', () => {
      const doc = prm()
      return doc === 404 ? new HttpResponse(null, { status: 404 }) : HttpResponse.json(doc)
    }),
    http.get('https://mcp.example/.well-known/oauth-protected-resource', () => new HttpResponse(null, { status: 404 })),
    http.post(MCP, async ({ request }) => {
      const body = (await request.json()) as { method?: string; params?: { name?: string } }
      const tool = body.method === 'tools/call' ? body.params?.name : undefined
      const authorization = request.headers.get('authorization')
      log.mcpCalls.push({ authorization, tool, dpop: request.headers.get('dpop') })
      const [scheme, value = ''] = (authorization ?? '').split(' ')
      const token = tokens.get(value)
      // A DPoP-bound token only as DPoP, with a proof of its key for this request (RFC 9449 §7.1), the nonce first where demanded.
      if (token?.jkt) {
        const proof = checkDpopProof(request.headers.get('dpop') ?? '', { method: 'POST', url: MCP, token: value, jkt: token.jkt })
        if (scheme !== 'DPoP' || !proof)
          return new HttpResponse(null, { status: 401, headers: { 'www-authenticate': 'DPoP error="invalid_token"' } })
        if (options.dpop?.nonce && proof.nonce !== RS_NONCE)
          return new HttpResponse(null, {
            status: 401,
            headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': RS_NONCE },
          })
      } else if (token && scheme !== 'Bearer') return new HttpResponse(null, { status: 401, headers: { 'www-authenticate': challenge() } })
      // Tokens of the authorization servers the resource names today, for this resource (its audience).
      const doc = prm()
      const named = doc === 404 ? [LEGACY] : (doc.authorization_servers as string[])
      // A tenant's authorization server issues its tokens as its issuer, the path-ancestor.
      const trusted = named.map((name) => (options.tenant && name === `${AS}/${options.tenant}` ? AS : name))
      const valid = token && !options.refuseAll && token.expiresAt > Date.now() && token.resource === MCP && trusted.includes(token.issuer)
      if (!valid) {
        const scope = options.challengeScope ? `, scope="${options.challengeScope}"` : ''
        return new HttpResponse(null, {
          status: 401,
          headers: { 'www-authenticate': challenge(authorization ? `, error="invalid_token"${scope}` : scope) },
        })
      }
      const needed = tool === 'write' ? (options.writeScope ?? 'mcp:write') : 'mcp:read'
      if (!needed.split(' ').every((s) => token.scope.split(' ').includes(s))) {
        return new HttpResponse(null, {
          status: 403,
          headers: { 'www-authenticate': challenge(`, error="insufficient_scope", scope="${needed}"`) },
        })
      }
      return HttpResponse.json({ jsonrpc: '2.0', id: 1, result: { issuer: token.issuer, scope: token.scope, tool: tool ?? null } })
    }),
  ]

  /** Plays the user at whichever authorization server the URL is for: grants what was asked, or `answer` overrides the callback. */
  async function signIn({ url }: { url: string }, answer?: (params: URLSearchParams, issuer: string) => string): Promise<string> {
    const request = new URL(url)
    log.authorizations.push(request.searchParams)
    const issuer = request.origin
    const params = request.searchParams
    if (answer) return answer(params, issuer)
    const code = `code-${randomBytes(6).toString('hex')}`
    codes.set(code, {
      ...asked(params, issuer),
      challenge: params.get('code_challenge') ?? '',
      redirectUri: params.get('redirect_uri') ?? '',
    })
    return `${params.get('redirect_uri')}?code=${code}&state=${params.get('state')}&iss=${encodeURIComponent(issuer)}`
  }

  /** A JSON-RPC call as a transport sends it. */
  const call = (fetcher: typeof fetch, tool?: string) =>
    fetcher(MCP, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(
        tool
          ? { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: {} } }
          : { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      ),
    })

  /** Plays the user of a device sign-in: approves the code shown. */
  function approveDevice(userCode: string) {
    for (const flow of devices.values()) if (flow.userCode === userCode) flow.approved = true
  }

  return { handlers, log, signIn, approveDevice, call, clients, tokens, options }
}
