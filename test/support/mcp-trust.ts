/**
 * What the MCP world's authorization servers trust besides their clients (test/support/mcp-server.ts):
 * a workload platform that signs its workloads' JWTs (SEP-1933), and an enterprise identity
 * provider (SEP-990) — on 127.0.0.1, an ephemeral port — that issues users' ID tokens and
 * exchanges them (RFC 8693) for identity assertion grants (ID-JAGs) naming an authorization
 * server and a resource. Both sign ES256 with keys made for the run.
 */
import { createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
export const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag'
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token'
/** The MCP application's client at the identity provider, and its client at the MCP server's authorization servers. */
export const IDP_CLIENT = 'acme-mcp-app'
export const AS_CLIENT = 'mcp-app'

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

function signJwt(key: KeyObject, typ: string, claims: Record<string, unknown>): string {
  const body = `${part({ alg: 'ES256', typ })}.${part({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 300, jti: randomUUID(), ...claims })}`
  return `${body}.${sign('sha256', Buffer.from(body), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
}

/** The claims of a JWT of type `typ` signed by `key` and not expired, or undefined. */
function verifiedJwt(jwt: string, key: KeyObject, typ: string): Record<string, unknown> | undefined {
  const [h, p, s] = jwt.split('.')
  if (!h || !p || !s) return undefined
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { typ?: string; alg?: string }
    if (header.alg !== 'ES256' || header.typ !== typ) return undefined
    if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) return undefined
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
    return typeof claims.exp === 'number' && claims.exp > Date.now() / 1000 ? claims : undefined
  } catch {
    return undefined
  }
}

const platform = generateKeyPairSync('ec', { namedCurve: 'P-256' })

/** A workload JWT as a platform issues it: for `audience` (the authorization server), about `subject`. */
export function workloadJwt(audience: string, subject: string): string {
  return signJwt(platform.privateKey, 'JWT', { iss: 'https://platform.example', aud: audience, sub: subject })
}

/** The assertion of a jwt-bearer grant at `issuer`: a platform's workload JWT, or an ID-JAG of the identity provider for `resource`. */
export function trustedAssertion(
  assertion: string,
  issuer: string,
  resource: string,
  idp: IdentityProvider,
): { sub: string; via: 'workload' | 'id-jag' } | undefined {
  const audience = (claims: Record<string, unknown>) => [issuer, `${issuer}/`].includes(String(claims.aud))
  const workload = verifiedJwt(assertion, platform.publicKey, 'JWT')
  if (workload && audience(workload)) return { sub: String(workload.sub), via: 'workload' }
  const jag = verifiedJwt(assertion, idp.publicKey, 'oauth-id-jag+jwt')
  if (jag && audience(jag) && jag.iss === idp.issuer && jag.resource === resource && jag.client_id === AS_CLIENT)
    return { sub: String(jag.sub), via: 'id-jag' }
  return undefined
}

export interface IdentityProvider {
  issuer: string
  publicKey: KeyObject
  /** An ID token for `sub`, as a sign-in at the identity provider gives the MCP application. */
  idToken(sub: string): string
  /** Exchanges seen (answered with an ID-JAG). */
  seen: { exchanges: number }
  server: Server
}

/** The identity provider: its OpenID configuration and a token endpoint that exchanges its ID tokens for ID-JAGs. */
export async function startIdentityProvider(): Promise<IdentityProvider> {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const seen = { exchanges: 0 }
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body))
  server.on('request', (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname
    if (req.method === 'GET' && path === '/.well-known/openid-configuration')
      return json(res, 200, {
        issuer,
        token_endpoint: `${issuer}/token`,
        grant_types_supported: [TOKEN_EXCHANGE],
        token_endpoint_auth_methods_supported: ['none'],
      })
    if (req.method !== 'POST' || path !== '/token') return json(res, 404, { error: 'not_found' })
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const p = new URLSearchParams(Buffer.concat(chunks).toString())
      const subject = verifiedJwt(p.get('subject_token') ?? '', keys.publicKey, 'JWT')
      if (p.get('grant_type') !== TOKEN_EXCHANGE || p.get('client_id') !== IDP_CLIENT) return json(res, 400, { error: 'invalid_request' })
      if (p.get('subject_token_type') !== ID_TOKEN || p.get('requested_token_type') !== ID_JAG || !p.get('audience') || !p.get('resource'))
        return json(res, 400, { error: 'invalid_request' })
      if (!subject || subject.iss !== issuer || subject.aud !== IDP_CLIENT) return json(res, 400, { error: 'invalid_grant' })
      seen.exchanges++
      const jag = signJwt(keys.privateKey, 'oauth-id-jag+jwt', {
        iss: issuer,
        sub: subject.sub,
        aud: p.get('audience'),
        resource: p.get('resource'),
        client_id: AS_CLIENT,
        ...(p.get('scope') ? { scope: p.get('scope') } : {}),
      })
      json(res, 200, { access_token: jag, issued_token_type: ID_JAG, token_type: 'N_A', expires_in: 300 })
    })
  })
  return {
    issuer,
    publicKey: createPublicKey(keys.privateKey),
    idToken: (sub) => signJwt(keys.privateKey, 'JWT', { iss: issuer, aud: IDP_CLIENT, sub }),
    seen,
    server,
  }
}
