// Reads and verifies the JWTs a server signs (ID tokens, logout tokens): a chunk of its own,
// loaded the first time one comes, so that bundles that never read one carry none of it. No
// value imports: what it needs is handed in (`JwsKit`), so that the shared module of the Node
// build stays one file.
import type { ResponseError } from '../../errors.js'
import type { HttpOptions } from '../../http/options.js'
import type { ContextInternals, IdTokenCheck } from './context.js'
import type { runOperation } from './operation.js'

/** What the chunk is handed: the runner (the key set is fetched as an operation of its own), the error class, and how an unsuccessful answer is told. */
export interface JwsKit {
  runOperation: typeof runOperation
  Failure: typeof ResponseError
  /** The error for an unsuccessful answer, as the runner translates it (an unexpected status, with an excerpt). */
  unsuccessful: (response: Response) => Error
}

/** Seconds of clock difference an ID token's times are allowed (as oauth4webapi's default). */
const TOLERANCE_S = 30

/**
 * An ID token from a token answer, checked as OpenID Connect Core §3.1.3.7 asks: a JWS (a JWE
 * is not decrypted) whose algorithm is the client's, else one the server lists, else RS256;
 * no `crit`; `iss` the server's issuer; `aud` naming this client (`azp` naming it when there
 * are several audiences); `sub`, `iat` and `exp` present, `exp` not past and `nbf` not ahead
 * (30 s of tolerance on `now`, the server's time in seconds); the nonce and `max_age` of the
 * sign-in (`check`); and its signature with the server's keys when asked (`verifyIdTokens`), and
 * by default when the token endpoint is not `https:` (it did not come over TLS). Returns its
 * claims; every fault is `invalid_id_token`.
 */
export async function checkIdToken(
  kit: JwsKit,
  { as, client, options }: ContextInternals,
  jwt: unknown,
  now: number,
  check?: IdTokenCheck,
): Promise<Record<string, unknown>> {
  const fail = (why: string) => new kit.Failure('invalid_id_token', `the ID token is refused: ${why}`)
  if (jwt === undefined) throw fail('there is none, though the sign-in asked for one (scope openid, a nonce sent)')
  const parts = typeof jwt === 'string' ? jwt.split('.') : []
  if (parts.length !== 3)
    throw fail(
      parts.length === 5 ? 'it is encrypted (a JWE), which oauthkit does not decrypt' : 'it is not a JWT (three dot-separated parts)',
    )
  const header = json(parts[0]!)
  const claims = json(parts[1]!)
  if (!header || !claims) throw fail('its header or its payload is not a base64url-encoded JSON object')
  const algs = client.id_token_signed_response_alg ?? (as.id_token_signing_alg_values_supported as string[] | undefined) ?? 'RS256'
  if (typeof algs === 'string' ? header.alg !== algs : !algs.includes(header.alg as string))
    throw fail(`its algorithm (${said(header.alg)}) is not the expected ${said(algs)}`)
  if (header.crit !== undefined) throw fail('its header names "crit" extensions, which oauthkit does not support')
  const required = [
    'iss',
    'sub',
    'aud',
    'exp',
    'iat',
    ...(check?.nonce === undefined ? [] : ['nonce']),
    ...(check?.maxAge === undefined ? [] : ['auth_time']),
  ]
  const missing = required.find((name) => claims[name] === undefined)
  if (missing) throw fail(`it has no "${missing}" claim`)
  const { iss, sub, aud, exp, iat, nbf, azp, auth_time: authTime, nonce } = claims
  if (
    typeof exp !== 'number' ||
    typeof iat !== 'number' ||
    (nbf !== undefined && typeof nbf !== 'number') ||
    (authTime !== undefined && typeof authTime !== 'number')
  )
    throw fail('a time claim (exp, iat, nbf, auth_time) is not a number')
  if (typeof sub !== 'string' || (typeof aud !== 'string' && !Array.isArray(aud)))
    throw fail('its "sub" is not a string or its "aud" neither a string nor a list')
  if (exp <= now - TOLERANCE_S) throw fail('it has expired ("exp" is past)')
  if (typeof nbf === 'number' && nbf > now + TOLERANCE_S) throw fail('it is not valid yet ("nbf" is ahead)')
  if (iss !== as.issuer) throw fail(`it names the issuer ${said(iss)}, not ${said(as.issuer)}`)
  const audiences: unknown[] = [aud].flat()
  if (!audiences.includes(client.client_id)) throw fail(`its audience (${said(aud)}) does not name this client`)
  if (audiences.length !== 1 && azp !== client.client_id) throw fail('it names several audiences, and its "azp" does not name this client')
  if (check?.maxAge !== undefined && (authTime as number) + check.maxAge < now - TOLERANCE_S)
    throw fail('the sign-in it tells of is older than the max_age asked for ("auth_time")')
  if (check && nonce !== check.nonce)
    throw fail(
      check.nonce === undefined ? 'it carries a nonce, though this sign-in sent none' : 'its nonce is not the one this sign-in sent',
    )
  if (options.verifyIdTokens ?? !/^https:/i.test(String(as.token_endpoint)))
    await verifyJws(kit, options, as.jwks_uri, jwt as string, 'invalid_id_token')
  return claims
}

/** A value from a token, quoted short (it is the server's text). */
function said(value: unknown): string {
  return JSON.stringify(value ?? null).slice(0, 80)
}

interface Jwk {
  kty?: string
  kid?: string
  use?: string
  alg?: string
  crv?: string
  key_ops?: string[]
  [member: string]: unknown
}

/** The keys of each key set, by its URL, with when they were fetched and when a fetch was forced (an unknown `kid`). */
const sets = new Map<string, { keys: Promise<Jwk[]>; at: number; forced: number[] }>()
/** Keys fetched this long ago are fetched again. */
const MAX_AGE_MS = 10 * 60_000
/** At most this many fetches for an unknown `kid` per key set in a minute (a rotated key is found at once; a flood of made-up ones is not a flood of fetches). */
const FORCED_PER_MINUTE = 5

/**
 * Checks `jwt`'s signature with a key of the server's set: the `kid`'s (the set fetched again
 * at once when it has none such, within the rate limit), or — no `kid` — each key of the
 * algorithm's type in turn, until one verifies. `algs` are the algorithms expected; `none` and
 * HMAC are never verified here. Throws the handed `Failure` (`invalid_id_token`, or `code`).
 */
export async function verifyJws(
  kit: JwsKit,
  http: HttpOptions,
  jwksUri: string | undefined,
  jwt: string,
  code: 'invalid_id_token' | 'invalid_logout_token',
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const fail = (why: string) =>
    new kit.Failure(code, `the ${code === 'invalid_id_token' ? 'ID' : 'logout'} token's signature cannot be verified: ${why}`)
  const [h = '', p = '', s = ''] = jwt.split('.')
  const header = json(h) as { alg?: unknown; kid?: unknown } | undefined
  const claims = json(p)
  const params = typeof header?.alg === 'string' ? algorithm(header.alg) : undefined
  if (!header || !claims || !s || !params)
    throw fail(`its header names no public-key algorithm oauthkit verifies (${JSON.stringify(String(header?.alg)).slice(0, 20)})`)
  if (typeof jwksUri !== 'string') throw fail('the server has no jwks_uri')
  const kid = typeof header.kid === 'string' ? header.kid : undefined
  const data = new TextEncoder().encode(`${h}.${p}`)
  const signature = bytes(s)
  let candidates = fitting(await keysOf(kit, http, jwksUri, false, signal), params.kty, header.alg as string, kid)
  // A kid the set does not have: the key was rotated since the set was fetched — fetch it again, once.
  if (!candidates.length && kid !== undefined)
    candidates = fitting(await keysOf(kit, http, jwksUri, true, signal), params.kty, header.alg as string, kid)
  if (!candidates.length)
    throw fail(
      kid === undefined ? `no ${params.kty} key in the server's set` : `the server's set has no key ${JSON.stringify(kid).slice(0, 60)}`,
    )
  for (const jwk of candidates.slice(0, 5)) {
    const key = await crypto.subtle.importKey('jwk', jwk as JsonWebKey, params.importAs, false, ['verify']).catch(() => undefined)
    if (key && (await crypto.subtle.verify(params.verifyAs, key, signature, data))) return claims
  }
  throw fail(candidates.length === 1 ? 'the signature does not match the key' : "no key of the server's set verifies it")
}

function json(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes(part)))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

function bytes(base64url: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'))
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

/** WebCrypto's parameters for a JWS algorithm (RFC 7518 §3, RFC 8037), and its key type. */
function algorithm(alg: string):
  | {
      kty: string
      importAs: RsaHashedImportParams | EcKeyImportParams | Algorithm
      verifyAs: AlgorithmIdentifier | RsaPssParams | EcdsaParams
    }
  | undefined {
  const bits = alg.slice(2)
  const hash = `SHA-${bits}`
  if (!/^(256|384|512)$/.test(bits))
    return alg === 'EdDSA' || alg === 'Ed25519' ? { kty: 'OKP', importAs: { name: 'Ed25519' }, verifyAs: { name: 'Ed25519' } } : undefined
  if (alg.startsWith('RS')) return { kty: 'RSA', importAs: { name: 'RSASSA-PKCS1-v1_5', hash }, verifyAs: { name: 'RSASSA-PKCS1-v1_5' } }
  if (alg.startsWith('PS'))
    return { kty: 'RSA', importAs: { name: 'RSA-PSS', hash }, verifyAs: { name: 'RSA-PSS', saltLength: Number(bits) / 8 } }
  if (alg.startsWith('ES'))
    return { kty: 'EC', importAs: { name: 'ECDSA', namedCurve: bits === '512' ? 'P-521' : `P-${bits}` }, verifyAs: { name: 'ECDSA', hash } }
  return undefined
}

/** The keys of the set that may have signed it: its type, its `kid` when one is named, for signing, of the algorithm when the key says one. */
function fitting(keys: Jwk[], kty: string, alg: string, kid: string | undefined): Jwk[] {
  return keys.filter(
    (k) =>
      k.kty === kty &&
      (kid === undefined || k.kid === kid) &&
      (k.use === undefined || k.use === 'sig') &&
      (k.alg === undefined || k.alg === alg) &&
      (!Array.isArray(k.key_ops) || k.key_ops.includes('verify')),
  )
}

/** The set's keys: cached for ten minutes; `fresh` fetches them again at once, within the rate limit (single-flight). */
function keysOf(kit: JwsKit, http: HttpOptions, url: string, fresh: boolean, signal: AbortSignal | undefined): Promise<Jwk[]> {
  const now = Date.now()
  const held = sets.get(url)
  if (held) held.forced = held.forced.filter((at) => now - at < 60_000)
  const stale = !held || now - held.at > MAX_AGE_MS
  const allowed = fresh && held !== undefined && held.forced.length < FORCED_PER_MINUTE && held.at < now
  if (!stale && !allowed) return held!.keys
  const keys = fetchKeys(kit, http, url, signal)
  const entry = { keys, at: now, forced: [...(held?.forced ?? []), ...(allowed ? [now] : [])] }
  sets.set(url, entry)
  keys.catch(() => sets.get(url) === entry && sets.delete(url))
  return keys
}

/** The key set (RFC 7517), fetched as an operation of its own: traced, and seen by a dialect, as `jwks`. */
export async function fetchKeys(kit: JwsKit, http: HttpOptions, url: string, signal: AbortSignal | undefined): Promise<Jwk[]> {
  return kit.runOperation(
    http,
    {
      name: 'fetching the signing keys',
      endpoint: 'jwks',
      url,
      request: (_, send) => send(url, { method: 'GET', headers: { accept: 'application/json, application/jwk-set+json' } }),
      process: async (response) => {
        if (!response.ok) throw kit.unsuccessful(response)
        let set: { keys?: unknown } | undefined
        try {
          set = JSON.parse(await response.text()) as { keys?: unknown }
        } catch {
          set = undefined
        }
        if (!set || !Array.isArray(set.keys))
          throw new kit.Failure('invalid_response', `the server's key set (jwks_uri) answered ${response.status}, not a JSON Web Key Set`)
        return (set.keys as unknown[]).filter((k): k is Jwk => k !== null && typeof k === 'object')
      },
    },
    signal,
  )
}
