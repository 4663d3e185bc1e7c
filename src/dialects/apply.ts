import { COMPILED, isCompiled, type Dialect, type Endpoint, type OutgoingRequest } from './types.js'

/**
 * Turns a dialect's data into its `request` / `responseBody` transforms (keeping the ones it
 * had, which run after), so the transport only ever calls hooks — and bundles that use no
 * dialect carry none of this code. Idempotent. `createOAuthClient`, `createContext` and the
 * presets compile for you; with `createPublicContext`, pass `compileDialect(dialect)`.
 */
export function compileDialect(dialect: Dialect): Dialect {
  if (isCompiled(dialect)) return dialect
  return {
    ...dialect,
    request: (endpoint, request) => dialectRequest(dialect, endpoint, request),
    responseBody: (endpoint, body) => dialectResponseBody(dialect, endpoint, body),
    source: dialect,
    [COMPILED]: true,
  } as Dialect
}

/**
 * Applies a dialect's data to an outgoing request: where token parameters and client
 * credentials go and under which names, and how revocation sends the token. Pure.
 */
function dialectRequest(dialect: Dialect, endpoint: Endpoint, request: OutgoingRequest): OutgoingRequest {
  let out = request
  if (endpoint === 'token' && dialect.token) out = reshapeToken(dialect.token, out)
  if (endpoint === 'revocation' && dialect.revocation) {
    const token = new URLSearchParams(out.body ?? '').get('token') ?? ''
    const headers = new Headers(out.headers)
    headers.delete('content-type')
    headers.set(dialect.revocation.header, token)
    out = { ...out, headers, body: undefined }
  }
  return dialect.request ? dialect.request(endpoint, out) : out
}

function reshapeToken(shape: NonNullable<Dialect['token']>, request: OutgoingRequest): OutgoingRequest {
  const params = new URLSearchParams(request.body ?? '')
  for (const [key, value] of Object.entries(shape.addParameters ?? {})) if (!params.has(key)) params.set(key, value)
  const url = new URL(request.url)
  const headers = new Headers(request.headers)
  const name = (key: string) => shape.names?.[key] ?? key
  if (shape.credentials === 'query') {
    for (const key of ['client_id', 'client_secret']) {
      const value = params.get(key)
      if (value === null) continue
      url.searchParams.set(name(key), value)
      params.delete(key)
    }
  }
  let body: string | undefined
  switch (shape.placement ?? 'form') {
    case 'form': {
      const form = new URLSearchParams()
      for (const [key, value] of params) form.append(name(key), value)
      body = form.toString()
      break
    }
    case 'json': {
      const json: Record<string, string> = {}
      for (const [key, value] of params) json[name(key)] = value
      body = JSON.stringify(json)
      headers.set('content-type', 'application/json')
      break
    }
    case 'query':
      for (const [key, value] of params) url.searchParams.append(name(key), value)
      headers.delete('content-type')
      break
    case 'header':
      for (const [key, value] of params) headers.set(name(key), value)
      headers.delete('content-type')
      break
  }
  for (const [key, value] of Object.entries(shape.headers ?? {})) headers.set(key, value)
  return { ...request, url, headers, body }
}

/** Applies a dialect to a successful JSON body before validation. Pure. */
function dialectResponseBody(dialect: Dialect, endpoint: Endpoint, body: Record<string, unknown>): Record<string, unknown> {
  let out = body
  if (endpoint === 'token' && dialect.defaultTokenType && (out.token_type === undefined || out.token_type === null || out.token_type === '')) {
    out = { ...out, token_type: dialect.defaultTokenType }
  }
  return dialect.responseBody ? dialect.responseBody(endpoint, out) : out
}

/**
 * Combines dialects: later ones override the data of earlier ones field by field, and their
 * transforms run after the earlier ones'.
 */
export function composeDialects(...input: Dialect[]): Dialect {
  // A compiled dialect's hooks already apply its data: compose from the data and the hooks it was given.
  const dialects = input.map((d) => (isCompiled(d) ? (d as Dialect & { source?: Dialect }).source ?? d : d))
  const requests = dialects.map((d) => d.request).filter((f): f is NonNullable<Dialect['request']> => !!f)
  const bodies = dialects.map((d) => d.responseBody).filter((f): f is NonNullable<Dialect['responseBody']> => !!f)
  const merged: Dialect = { name: dialects.map((d) => d.name).join(' + ') }
  for (const d of dialects) {
    if (d.token) {
      merged.token = {
        ...merged.token,
        ...d.token,
        names: { ...merged.token?.names, ...d.token.names },
        headers: { ...merged.token?.headers, ...d.token.headers },
        addParameters: { ...merged.token?.addParameters, ...d.token.addParameters },
      }
    }
    if (d.expiresIn) merged.expiresIn = { ...merged.expiresIn, ...d.expiresIn }
    if (d.defaultTokenType) merged.defaultTokenType = d.defaultTokenType
    if (d.authorizationRequest) merged.authorizationRequest = { ...merged.authorizationRequest, ...d.authorizationRequest }
    if (d.authorizationResponse) merged.authorizationResponse = { ...merged.authorizationResponse, ...d.authorizationResponse }
    if (d.revocation) merged.revocation = d.revocation
  }
  if (requests.length) merged.request = (endpoint, request) => requests.reduce((r, f) => f(endpoint, r), request)
  if (bodies.length) merged.responseBody = (endpoint, body) => bodies.reduce((b, f) => f(endpoint, b), body)
  return compileDialect(merged)
}
