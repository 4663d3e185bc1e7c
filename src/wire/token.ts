import { ConfigError, ResponseError } from '../errors.js'
import type { AuthorizationDetail, TokenSet } from '../types.js'

/**
 * The `expires_in` policy (docs/tokens.md), applied to a token endpoint's JSON before the
 * protocol checks validate it:
 *
 * - a positive number, or a string of decimal digits (`"3600"`), is a lifetime in the unit
 *   the dialect declares (seconds when it declares none, as RFC 6749 §5.1 says). A declared
 *   unit is never second-guessed;
 * - absent, `null`, `""`, `0` or negative means "the server stated no usable lifetime": the
 *   field is dropped (kept raw in `extra.expires_in`) and `expiresAt` is `undefined`, so a
 *   token is never "already expired" by accident; the token manager relies on a 401 instead;
 * - a lifetime over `maxLifetimeSeconds` (default one year) is implausible: it is read from
 *   the access token's own `exp` when that is a JWT with a plausible one, else capped at the
 *   ceiling, with an `expires_in_implausible` warning either way, so no expiry can overflow a
 *   timer or keep a token for ever;
 * - anything else (`"abc"`, `"12abc"`, `true`, an object) is a malformed response:
 *   a ResponseError with code `invalid_response`. Nothing is coerced blindly.
 *
 * @group Dialects
 */
export interface ExpiresInPolicy {
  /** The unit the server uses: RFC 6749 says seconds (the default); some vendors send milliseconds. */
  unit?: 'seconds' | 'milliseconds'
  /** The longest lifetime believed, in seconds. Default one year. */
  maxLifetimeSeconds?: number
}

const DEFAULT_MAX_LIFETIME_SECONDS = 365 * 24 * 60 * 60

const DECIMAL = /^\s*\d+(\.\d+)?\s*$/

/** Where a token response is normalised: the dialect's policy, the time, and who hears of deviations. */
export interface NormalizeContext {
  policy?: ExpiresInPolicy | undefined
  /** For messages (redacted). */
  url?: string
  /** Epoch ms, for a JWT access token's `exp`. */
  now: number
  onWarning?: ((warning: { code: string; message: string }) => void) | undefined
}

/**
 * RFC 6749 Appendix A.12–A.13: an access or refresh token is `1*VSCHAR` (0x20–0x7E); an ID
 * token is a JWT (base64url and dots). Anything else would be refused raw by the platform when
 * it goes into a header (CR/LF) or reach a terminal or a log (ESC), so it is refused here.
 */
const VSCHAR = /^[\x20-\x7e]+$/
const TOKEN_FIELDS = [
  ['access_token', 'accessToken'],
  ['refresh_token', 'refreshToken'],
  ['id_token', 'idToken'],
] as const
const isVschar = (value: unknown) => typeof value !== 'string' || VSCHAR.test(value)

/** Normalises a token response body (nulls, scope separators, `expires_in`); returns a new object. Tokens outside VSCHAR are `invalid_response`. */
export function normalizeTokenResponseBody(body: Record<string, unknown>, context: NormalizeContext): Record<string, unknown> {
  const { policy = {}, onWarning } = context
  for (const [field] of TOKEN_FIELDS) {
    if (!isVschar(body[field]))
      throw new ResponseError(
        'invalid_response',
        `the token endpoint sent a ${field} with characters outside 0x20–0x7E (RFC 6749 VSCHAR)`,
        context.url ? { url: context.url } : {},
      )
  }
  const out = withSpacedScope(withoutNulls(body, onWarning), onWarning)
  if (!('expires_in' in out)) return out
  const raw = out.expires_in
  let seconds = lifetime(raw, context.url)
  if (seconds === undefined) {
    delete out.expires_in
    out['oauthkit:expires_in'] = raw
    return out
  }
  if (policy.unit === 'milliseconds') seconds /= 1000
  const max = policy.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS
  if (seconds > max) {
    const exp = jwtLifetime(out.access_token, context.now, max)
    onWarning?.({
      code: 'expires_in_implausible',
      message: `expires_in ${String(raw).slice(0, 20)} is over the ${max} s ceiling; read as ${exp ?? max} s${exp ? " (the access token's exp)" : ''}`,
    })
    seconds = exp ?? max
  } else if (seconds > 86_400 && policy.unit === undefined)
    // Lawful (refresh-token-like lifetimes exist), but the mark of a server counting milliseconds.
    onWarning?.({
      code: 'expires_in_long',
      message: `expires_in ${seconds} s is over a day; if this server counts milliseconds, declare its dialect's expiresIn: { unit: 'milliseconds' }`,
    })
  out.expires_in = seconds
  return out
}

/** A stated number of seconds (a number, or a string of decimal digits); `null` for a value that is neither, undefined for none stated. */
function seconds(raw: unknown): number | null | undefined {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw
  if (typeof raw === 'string' && DECIMAL.test(raw)) return Number(raw)
  return raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '') ? undefined : null
}

/** A stated lifetime (a positive number), undefined for "none stated", or a typed error for a malformed value. */
function lifetime(raw: unknown, url: string | undefined): number | undefined {
  const value = seconds(raw)
  if (value === null) {
    throw new ResponseError(
      'invalid_response',
      `token response "expires_in" must be a number of seconds; got ${describe(raw)}`,
      url === undefined ? {} : { url },
    )
  }
  return value !== undefined && value > 0 ? value : undefined
}

/** The seconds left before a JWT access token's `exp`, when it is a JWT with a plausible one; the token is not verified (it is the server's, not ours to check). */
function jwtLifetime(token: unknown, now: number, max: number): number | undefined {
  const payload = typeof token === 'string' ? token.split('.') : []
  if (payload.length !== 3) return undefined
  try {
    const claims = JSON.parse(atob(payload[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown }
    const left = typeof claims?.exp === 'number' ? Math.floor(claims.exp - now / 1000) : 0
    return left > 0 && left <= max ? left : undefined
  } catch {
    return undefined
  }
}

/**
 * `scope` with commas for separators (`"read,write"`, GitHub and others): read as the
 * space-separated list RFC 6749 §3.3 defines; the raw value is kept in `extra.scope`.
 */
function withSpacedScope(
  body: Record<string, unknown>,
  onWarning?: (warning: { code: string; message: string }) => void,
): Record<string, unknown> {
  const scope = body.scope
  const out = { ...body }
  if (typeof scope !== 'string' || !scope.includes(',')) return out
  out.scope = scope
    .split(/[\s,]+/)
    .filter(Boolean)
    .join(' ')
  out['oauthkit:scope'] = scope
  onWarning?.({ code: 'scope_commas', message: 'the token response separates scopes with commas; read as spaces (RFC 6749 §3.3)' })
  return out
}

/** Optional fields a server sends as `null` where it means "absent" (seen with every vendor). */
const OPTIONAL = [
  'refresh_token',
  'scope',
  'id_token',
  'refresh_token_expires_in',
  'refresh_token_timeout',
  'authorization_expires_in',
  'authorization_details',
]

function withoutNulls(
  body: Record<string, unknown>,
  onWarning?: (warning: { code: string; message: string }) => void,
): Record<string, unknown> {
  const nulls = OPTIONAL.filter((field) => body[field] === null)
  if (nulls.length === 0) return body
  onWarning?.({ code: 'null_field', message: `the token response has ${nulls.join(', ')} null; read as absent` })
  const out = { ...body }
  for (const field of nulls) delete out[field]
  return out
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`
  if (Array.isArray(value)) return 'an array'
  return value === null ? 'null' : `a ${typeof value}`
}

const NAMED = new Set(['access_token', 'token_type', 'expires_in', 'refresh_token', 'scope', 'id_token', 'authorization_details'])

/**
 * `authorization_details` as RFC 9396 §2 has them — an array of objects, each with a `type`
 * string — else the error of whoever got it wrong: the caller (`invalid_config`) or the server
 * (`invalid_response`).
 */
export function checkedDetails(
  value: unknown,
  Fault: typeof ConfigError | typeof ResponseError = ConfigError,
  code: 'invalid_config' | 'invalid_response' = 'invalid_config',
): AuthorizationDetail[] {
  if (Array.isArray(value) && value.every((d) => typeof d?.type === 'string' && d.type !== '' && !Array.isArray(d))) return value
  throw new Fault(code, 'authorization_details must be an array of objects, each with a type (RFC 9396)')
}

/** What a token response is read against: what the request held and asked for. */
export interface TokenSetContext {
  /** Kept when the response carries no refresh token (RFC 6749 §6). */
  previousRefreshToken?: string | undefined
  /** The kept refresh token's expiry, kept with it. */
  previousRefreshExpiresAt?: number | undefined
  /** The scope asked for (or, on a refresh, the scope held): a response without `scope` was granted it (RFC 6749 §5.1). */
  requestedScope?: string | undefined
  idTokenClaims?: Record<string, unknown>
}

/**
 * Maps a validated token endpoint response (RFC 6749 §5.1) to a TokenSet.
 * `previousRefreshToken` is kept when the response carries none (RFC 6749 §6: the server
 * MAY issue a new refresh token; when it does not, the old one stays valid).
 */
export function toTokenSet(body: Record<string, unknown>, now: number, options: TokenSetContext = {}): TokenSet {
  const extra: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(body)) {
    if (key.startsWith('oauthkit:')) extra[key.slice(9)] = value
    else if (!NAMED.has(key)) extra[key] = value
  }
  const set: TokenSet = {
    accessToken: body.access_token as string,
    tokenType: String(body.token_type ?? 'bearer').toLowerCase(),
    extra,
  }
  if (typeof body.expires_in === 'number') set.expiresAt = Math.round(now + body.expires_in * 1000)
  const refreshToken = (body.refresh_token as string | undefined) ?? options.previousRefreshToken
  if (refreshToken !== undefined) set.refreshToken = refreshToken
  const refreshExpiresAt = body.refresh_token === undefined ? options.previousRefreshExpiresAt : refreshLifetime(body, now)
  if (refreshToken !== undefined && refreshExpiresAt !== undefined) set.refreshExpiresAt = refreshExpiresAt
  const scope = typeof body.scope === 'string' ? body.scope : options.requestedScope
  if (scope !== undefined) set.scope = scope
  if (typeof body.id_token === 'string') set.idToken = body.id_token
  if (options.idTokenClaims) set.idTokenClaims = options.idTokenClaims
  const details = body.authorization_details
  if (details !== undefined) set.authorizationDetails = checkedDetails(details, ResponseError, 'invalid_response')
  return set
}

/** Lifetimes of the refresh token or the grant behind it, in seconds, by their names. */
const REFRESH_LIFETIMES = ['refresh_token_expires_in', 'refresh_token_timeout', 'authorization_expires_in']

/**
 * When the refresh token stops being accepted: the earliest lifetime the response states
 * (positive seconds, read as `expires_in` is); none stated, undefined. The raw values stay in
 * `extra`.
 */
function refreshLifetime(body: Record<string, unknown>, now: number): number | undefined {
  let earliest: number | undefined
  for (const name of REFRESH_LIFETIMES) {
    // Read as expires_in is, but a malformed value is ignored: it only ever shortens what is held.
    const stated = seconds(body[name])
    if (!stated || stated <= 0) continue
    const at = Math.round(now + stated * 1000)
    earliest = earliest === undefined ? at : Math.min(earliest, at)
  }
  return earliest
}

/**
 * Whether a value read from outside this process (a store, another tab) is a TokenSet: an
 * access token and a token type that are strings, the optional fields of their types, the
 * tokens VSCHAR, `extra` an object. Anything else is treated as no tokens at all.
 */
export function isTokenSet(value: unknown): value is TokenSet {
  const t = (value ?? 0) as Record<string, unknown>
  const has = (key: string, type: string) => t[key] === undefined || typeof t[key] === type
  return (
    typeof t === 'object' &&
    typeof t.accessToken === 'string' &&
    t.accessToken !== '' &&
    TOKEN_FIELDS.every(([, key]) => isVschar(t[key])) &&
    typeof t.tokenType === 'string' &&
    typeof t.extra === 'object' &&
    t.extra !== null &&
    (t.expiresAt === undefined || Number.isFinite(t.expiresAt)) &&
    (t.refreshExpiresAt === undefined || Number.isFinite(t.refreshExpiresAt)) &&
    has('refreshToken', 'string') &&
    has('scope', 'string') &&
    has('idToken', 'string') &&
    has('idTokenClaims', 'object')
  )
}
