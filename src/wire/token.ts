import { ResponseError } from '../errors.js'
import type { TokenSet } from '../types.js'

/**
 * The `expires_in` policy (docs/tokens.md), applied to a token endpoint's JSON before the
 * protocol checks validate it:
 *
 * - a positive number, or a string of decimal digits (`"3600"`), is a lifetime;
 * - absent, `null`, `""`, `0` or negative means "the server stated no usable lifetime": the
 *   field is dropped (kept raw in `extra.expires_in`) and `expiresAt` is `undefined`, so a
 *   token is never "already expired" by accident; the token manager relies on a 401 instead;
 * - larger than `maxLifetimeSeconds` (default one year) is clamped to it, so no expiry can
 *   overflow a timer or keep a token for ever;
 * - anything else (`"abc"`, `"12abc"`, `true`, an object) is a malformed response:
 *   a ResponseError with code `invalid_response`. Nothing is coerced blindly.
 *
 * Unit sanity, reported through `onWarning`: with no declared unit, a value above 1,000,000
 * (11.6 days as seconds, one hour is 3,600,000 as milliseconds) is read as milliseconds — no
 * access token lives for weeks, and a vendor sending milliseconds would otherwise keep a
 * token long after it died. With milliseconds declared, a value below 10,000 (10 s) is read
 * as seconds — otherwise a mis-declared vendor would cause a refresh storm.
 */
export interface ExpiresInPolicy {
  /** The unit the server uses (RFC 6749 says seconds; some vendors send milliseconds). Undeclared: seconds, with the sanity check above. */
  unit?: 'seconds' | 'milliseconds'
  maxLifetimeSeconds?: number
}

export const DEFAULT_MAX_LIFETIME_SECONDS = 365 * 24 * 60 * 60
const SURELY_MILLISECONDS = 1_000_000
const SURELY_SECONDS = 10_000

const DECIMAL = /^\s*\d+(\.\d+)?\s*$/

/** Normalises `expires_in` in place-safe fashion; returns a new object. */
export function normalizeTokenResponseBody(
  body: Record<string, unknown>,
  policy: ExpiresInPolicy = {},
  url?: string,
  onWarning?: (warning: { code: string; message: string }) => void,
): Record<string, unknown> {
  body = withoutNulls(body, onWarning)
  if (!('expires_in' in body)) return body
  const out: Record<string, unknown> = { ...body }
  const raw = body.expires_in
  let seconds: number | undefined
  if (typeof raw === 'number' && Number.isFinite(raw)) {
    seconds = raw
  } else if (typeof raw === 'string' && DECIMAL.test(raw)) {
    seconds = Number(raw)
  } else if (raw === null || raw === '' || (typeof raw === 'string' && raw.trim() === '')) {
    seconds = undefined
  } else {
    throw new ResponseError(
      'invalid_response',
      `token response "expires_in" must be a number of seconds; got ${describe(raw)}`,
      url === undefined ? {} : { url },
    )
  }
  if (seconds !== undefined && seconds > 0) {
    if (policy.unit === 'milliseconds') {
      if (seconds < SURELY_SECONDS) {
        onWarning?.({ code: 'expires_in_unit', message: `expires_in ${seconds} is implausible in the declared milliseconds; read as seconds` })
      } else seconds = seconds / 1000
    } else if (policy.unit === undefined && seconds > SURELY_MILLISECONDS) {
      onWarning?.({ code: 'expires_in_unit', message: `expires_in ${seconds} is implausible in seconds; read as milliseconds (declare the unit in a dialect)` })
      seconds = seconds / 1000
    }
  }
  if (seconds === undefined || seconds <= 0) {
    delete out.expires_in
    out['oauthkit:expires_in'] = raw
    return out
  }
  const max = policy.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS
  out.expires_in = Math.min(seconds, max)
  return out
}

/** Optional fields a server sends as `null` where it means "absent" (seen with every vendor). */
const OPTIONAL = ['refresh_token', 'scope', 'id_token', 'refresh_token_expires_in']

function withoutNulls(body: Record<string, unknown>, onWarning?: (warning: { code: string; message: string }) => void): Record<string, unknown> {
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

const NAMED = new Set(['access_token', 'token_type', 'expires_in', 'refresh_token', 'scope', 'id_token'])

/**
 * Maps a validated token endpoint response (RFC 6749 §5.1) to a TokenSet.
 * `previousRefreshToken` is kept when the response carries none (RFC 6749 §6: the server
 * MAY issue a new refresh token; when it does not, the old one stays valid).
 */
export function toTokenSet(
  body: Record<string, unknown>,
  now: number,
  options: { previousRefreshToken?: string; idTokenClaims?: Record<string, unknown> } = {},
): TokenSet {
  const extra: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(body)) {
    if (key === 'oauthkit:expires_in') extra.expires_in = value
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
  if (typeof body.scope === 'string') set.scope = body.scope
  if (typeof body.id_token === 'string') set.idToken = body.id_token
  if (options.idTokenClaims) set.idTokenClaims = options.idTokenClaims
  return set
}

/**
 * Whether a value read from outside this process (a store, another tab) is a TokenSet: an
 * access token and a token type that are strings, the optional fields of their types, `extra`
 * an object. Anything else is treated as no tokens at all.
 */
export function isTokenSet(value: unknown): value is TokenSet {
  const t = (value ?? 0) as Record<string, unknown>
  const has = (key: string, type: string) => t[key] === undefined || typeof t[key] === type
  return (
    typeof t === 'object' &&
    typeof t.accessToken === 'string' &&
    t.accessToken !== '' &&
    typeof t.tokenType === 'string' &&
    typeof t.extra === 'object' &&
    t.extra !== null &&
    (t.expiresAt === undefined || Number.isFinite(t.expiresAt)) &&
    has('refreshToken', 'string') &&
    has('scope', 'string') &&
    has('idToken', 'string') &&
    has('idTokenClaims', 'object')
  )
}
