import { http, HttpResponse } from 'msw'

export const ISSUER = 'https://as.example.com'

/** Standard metadata of the mocked authorization server. */
export function metadata(issuer = ISSUER, extra: Record<string, unknown> = {}) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    revocation_endpoint: `${issuer}/revoke`,
    introspection_endpoint: `${issuer}/introspect`,
    userinfo_endpoint: `${issuer}/userinfo`,
    registration_endpoint: `${issuer}/register`,
    device_authorization_endpoint: `${issuer}/device`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    code_challenge_methods_supported: ['S256'],
    ...extra,
  }
}

/** The RFC 8414 well-known document of the mocked server. */
export function discoveryHandler(doc: Record<string, unknown> = metadata()) {
  return http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json(doc))
}

export function tokenJson(body: Record<string, unknown>, init: ResponseInit = {}) {
  return HttpResponse.json(body, { headers: { 'cache-control': 'no-store' }, ...init })
}

/** An unsigned-looking JWT with an RS256 header (oauth4webapi trusts TLS for code-flow ID tokens). */
export function fakeIdToken(claims: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
  return `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}.${Buffer.from('signature').toString('base64url')}`
}

/** The token endpoint of the mocked server answers `body`, every time (200 unless `init` says). */
export function tokenAnswer(
  msw: { server: { use(...handlers: unknown[]): void } },
  body: Record<string, unknown>,
  init: ResponseInit = {},
) {
  msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson(body, init)))
}

/** The token endpoint of the mocked server gives the answers in turn (the last one for good). */
export function tokenAnswers(msw: { server: { use(...handlers: unknown[]): void } }, ...replies: Array<() => Response>) {
  let n = 0
  msw.server.use(http.post(`${ISSUER}/token`, () => replies[Math.min(n++, replies.length - 1)]!()))
}

/** A 503 `temporarily_unavailable`: a passing failure. */
export const unavailable = () => tokenJson({ error: 'temporarily_unavailable' }, { status: 503 })
