// Verifies a JWS (an ID token, a logout token) with the server's keys (`jwks_uri`): a chunk of
// its own, loaded the first time a signature is checked, so that bundles that never check one
// carry none of it. No value imports: what it needs is handed in (`JwsKit`), so that the shared
// module of the Node build stays one file.
import type { ResponseError } from '../../errors.js'
import type { HttpOptions } from '../../http/options.js'
import type { runOperation } from './operation.js'

/** What the chunk is handed: the runner (the key set is fetched as an operation of its own), the error class, and how an unsuccessful answer is told. */
export interface JwsKit {
  runOperation: typeof runOperation
  Failure: typeof ResponseError
  /** The error for an unsuccessful answer, as the runner translates it (an unexpected status, with an excerpt). */
  unsuccessful: (response: Response) => Error
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
