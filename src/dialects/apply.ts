import { ConfigError, redactUrl } from '../errors.js'
import { checkDialectSpec } from './check.js'
import { HOOKS, hooksOf, type Dialect, type DialectHooks, type DialectSpec, type Endpoint, type OutgoingRequest } from './types.js'

/**
 * Declares a dialect: checks its data field by field (an unknown key, a value of the wrong kind
 * or not among those allowed is `invalid_config` naming the field — JSON-loaded specs too) and compiles its data and its own hooks into the two
 * transforms the operation path runs, so bundles that use no dialect carry none of this code.
 * Idempotent: a declared dialect comes back as it is.
 *
 * @example
 * const acme = defineDialect({ name: 'Acme', expiresIn: { unit: 'milliseconds' }, token: { placement: 'json' } })
 * const client = await createOAuthClient({ issuer, clientId, clientSecret, dialect: acme })
 *
 * @group Dialects
 */
export function defineDialect(spec: DialectSpec | Dialect): Dialect {
  if (hooksOf(spec)) return spec as Dialect
  if (typeof spec?.name !== 'string' || spec.name === '') {
    throw new ConfigError('invalid_config', 'a dialect needs a name (the vendor or document it follows), for messages')
  }
  checkDialectSpec(spec)
  const hooks = {
    request: (endpoint: Endpoint, request: OutgoingRequest) => dialectRequest(spec, endpoint, request),
    response: (endpoint: Endpoint, body: Record<string, unknown>) => dialectResponseBody(spec, endpoint, body),
    error: (text: string) => (spec.errors ? standardError(spec.errors, text) : text),
    ...(spec.discovery?.ancestorIssuer ? { issuer: declaredIssuer(spec.name, spec.discovery.ancestorIssuer) } : {}),
  }
  return Object.freeze({ ...spec, [HOOKS]: hooks }) as Dialect
}

/**
 * The declared deviation of `discovery.ancestorIssuer`: a discovery answer for an issuer under
 * `declared` (same origin, its path below) that names exactly `declared` is held to it, with a
 * warning each time; any other answer is held to the issuer asked for (a server that fixed its
 * metadata passes as well, one that names anything else fails as it would without the dialect).
 */
function declaredIssuer(dialect: string, value: string): NonNullable<DialectHooks['issuer']> {
  const declared = new URL(value)
  const base = declared.pathname.replace(/\/$/, '')
  return async (expected, answer, onWarning) => {
    const under = expected.origin === declared.origin && expected.pathname.startsWith(`${base}/`) && expected.href !== declared.href
    const named: unknown = under
      ? (
          (await answer
            .clone()
            .json()
            .catch(() => undefined)) as { issuer?: unknown } | undefined
        )?.issuer
      : undefined
    if (typeof named !== 'string' || !URL.canParse(named) || new URL(named).href !== declared.href) return undefined
    onWarning?.({
      code: 'declared_issuer',
      message: `${dialect}: the metadata for ${redactUrl(expected)} names the issuer ${value}, the deviation the dialect declares (discovery.ancestorIssuer); ${value} is the issuer every later check holds the server to`,
    })
    return declared
  }
}

/**
 * Applies a dialect's data to an outgoing request: where token parameters and client
 * credentials go and under which names, and how revocation sends the token. Pure.
 */
function dialectRequest(dialect: DialectSpec, endpoint: Endpoint, request: OutgoingRequest): OutgoingRequest {
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

function reshapeToken(shape: NonNullable<DialectSpec['token']>, request: OutgoingRequest): OutgoingRequest {
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
function dialectResponseBody(dialect: DialectSpec, endpoint: Endpoint, body: Record<string, unknown>): Record<string, unknown> {
  let out = body
  if (
    endpoint === 'token' &&
    dialect.defaultTokenType &&
    (out.token_type === undefined || out.token_type === null || out.token_type === '')
  ) {
    out = { ...out, token_type: dialect.defaultTokenType }
  }
  return dialect.responseBody ? dialect.responseBody(endpoint, out) : out
}

/** An OAuth error body with a vendor's code, rewritten with the standard code it maps to (the vendor's code leads the description). */
function standardError(errors: Record<string, string>, text: string): string {
  let body: Record<string, unknown>
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    return text
  }
  const code = body?.error
  if (typeof code !== 'string' || !Object.hasOwn(errors, code)) return text
  const description = typeof body.error_description === 'string' ? `${code}: ${body.error_description}` : code
  return JSON.stringify({ ...body, error: errors[code], error_description: description })
}

/**
 * Combines dialects: later ones override the data of earlier ones field by field, and their
 * own hooks run after the earlier ones'.
 *
 * @example
 * const dialect = composeDialects(epturaPreset({ site, redirectUri, scope }).dialect, { name: 'my tweaks', defaultTokenType: 'bearer' })
 *
 * @group Dialects
 */
export function composeDialects(...dialects: Array<DialectSpec | Dialect>): Dialect {
  if (dialects.some((d) => typeof d !== 'object' || d === null))
    throw new ConfigError('invalid_config', 'composeDialects takes dialects (objects with a name)')
  const requests = dialects.map((d) => d.request).filter((f): f is NonNullable<DialectSpec['request']> => !!f)
  const bodies = dialects.map((d) => d.responseBody).filter((f): f is NonNullable<DialectSpec['responseBody']> => !!f)
  const merged: DialectSpec = { name: dialects.map((d) => d.name).join(' + ') }
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
    if (d.errors) merged.errors = { ...merged.errors, ...d.errors }
    if (d.discovery) merged.discovery = { ...merged.discovery, ...d.discovery }
  }
  if (requests.length) merged.request = (endpoint, request) => requests.reduce((r, f) => f(endpoint, r), request)
  if (bodies.length) merged.responseBody = (endpoint, body) => bodies.reduce((b, f) => f(endpoint, b), body)
  return defineDialect(merged)
}
