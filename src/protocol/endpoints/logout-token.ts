import { ConfigError, ResponseError } from '../../errors.js'
import { int, type OAuthContext } from '../run/context.js'
import { jwsKit } from '../run/id-token.js'

/** The event a logout token carries (OpenID Connect Back-Channel Logout 1.0 §2.4). */
const EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/**
 * Options of validateLogoutToken: how old a logout token may be, and the replay check.
 *
 * @group Endpoints
 */
export interface LogoutTokenOptions {
  /** How long ago (seconds) it may have been issued (`iat`), and how far ahead of this clock. Default 300. */
  maxAge?: number
  /**
   * The replay check (§2.6 step 10: a `jti` is used once): resolves true when `jti` was seen
   * before, and else remembers it until `until` (epoch ms) — in a store every instance of the
   * app shares (Redis `SET NX PX`, a database). Without it, nothing stops a replay within `maxAge`.
   */
  seen?: (jti: string, until: number) => boolean | Promise<boolean>
  signal?: AbortSignal
}

/**
 * Who a logout token says signed out: the `sub` (the user at this issuer), the `sid` (the
 * session at the OpenID Provider), or both.
 *
 * @group Endpoints
 */
export interface LogoutTokenClaims {
  iss: string
  sub?: string
  sid?: string
  jti: string
  iat: number
  [claim: string]: unknown
}

/**
 * Validates a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.6), as the
 * OpenID Provider POSTs it to the client's `backchannel_logout_uri`: the signature with the
 * issuer's keys (`jwks_uri`) and an algorithm the client expects for its ID tokens, `typ`
 * `logout+jwt` where there is one, `iss`, `aud` holding this client, `iat` within `maxAge`,
 * `exp` not past where there is one, a `jti` not seen before (`seen`), the back-channel logout
 * event, a `sub` or a `sid`, and no `nonce`. Returns the claims: sign out the sessions they
 * name, and answer 200; `invalid_logout_token` otherwise (answer 400).
 *
 * @example
 * // The request the provider POSTed to your backchannel_logout_uri:
 * const body = new URLSearchParams(await request.text())
 * const { sub, sid } = await validateLogoutToken(ctx, body.get('logout_token') ?? '')
 *
 * @group Endpoints
 */
export async function validateLogoutToken(
  ctx: OAuthContext,
  logoutToken: string,
  options: LogoutTokenOptions = {},
): Promise<LogoutTokenClaims> {
  options ??= {}
  const { options: http, clock, client } = int(ctx)
  if (typeof logoutToken !== 'string' || logoutToken.split('.').length !== 3)
    throw new ResponseError('invalid_logout_token', 'the logout token is not a signed JWT (three parts): refuse the request')
  if (options.seen !== undefined && typeof options.seen !== 'function')
    throw new ConfigError('invalid_config', 'seen is a function (jti, until) => whether it was seen before')
  const header = part(logoutToken, 0)
  if (header.typ !== undefined && String(header.typ).toLowerCase() !== 'logout+jwt' && String(header.typ).toLowerCase() !== 'jwt')
    throw invalid(`its typ is ${JSON.stringify(String(header.typ)).slice(0, 40)}, not logout+jwt`)
  const expected = client.id_token_signed_response_alg ?? ctx.metadata.id_token_signing_alg_values_supported ?? ['RS256']
  if (![expected].flat().includes(String(header.alg)))
    throw invalid(`its alg ${JSON.stringify(String(header.alg)).slice(0, 20)} is not one this client expects`)
  const { verifyJws } = await import('../run/jws.js')
  const claims = await verifyJws(
    jwsKit,
    options.signal ? { ...http, signal: options.signal } : http,
    ctx.metadata.jwks_uri,
    logoutToken,
    'invalid_logout_token',
  )
  const now = clock.now() / 1000
  checkClaims(claims, ctx.metadata.issuer, ctx.clientId, now, options.maxAge ?? 300)
  const result = claims as LogoutTokenClaims
  if (options.seen && (await options.seen(result.jti, (result.iat + (options.maxAge ?? 300)) * 1000)))
    throw invalid('its jti was used before (a replay)')
  return result
}

function part(jwt: string, index: number): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(atob(jwt.split('.')[index]!.replace(/-/g, '+').replace(/_/g, '/')))
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

const invalid = (why: string) => new ResponseError('invalid_logout_token', `the logout token is refused: ${why}`)

/** §2.6 steps 3–9, after the signature: issuer, audience, times, the event, whom it names, no nonce. */
function checkClaims(claims: Record<string, unknown>, issuer: string, clientId: string, now: number, maxAge: number): void {
  const { iss, aud, iat, exp, jti, events, sub, sid } = claims
  if (iss !== issuer) throw invalid('its iss is not the issuer')
  if (!(Array.isArray(aud) ? aud.includes(clientId) : aud === clientId)) throw invalid('its aud does not name this client')
  if (typeof iat !== 'number' || iat < now - maxAge || iat > now + maxAge)
    throw invalid('its iat is missing or outside the accepted window')
  if (exp !== undefined && (typeof exp !== 'number' || exp <= now)) throw invalid('it has expired')
  if (typeof jti !== 'string' || !jti) throw invalid('it has no jti')
  const event = events !== null && typeof events === 'object' ? (events as Record<string, unknown>)[EVENT] : undefined
  if (event === null || typeof event !== 'object') throw invalid(`its events do not hold ${EVENT} as a JSON object`)
  if (typeof sub !== 'string' && typeof sid !== 'string') throw invalid('it names neither a sub nor a sid')
  if ('nonce' in claims) throw invalid('it holds a nonce (an ID token passed off as a logout token)')
}
