import { createHash, createPublicKey, verify } from 'node:crypto'

/**
 * Checks a DPoP proof as a resource server must (RFC 9449 §4.3, §7.1): a `dpop+jwt` signed with
 * the ES256 key in its header, that key the one the token is bound to (`jkt`), `htm` and `htu`
 * of this request, `iat` within a minute, `ath` the token's hash. Returns its `jti` and `nonce`.
 */
export function checkDpopProof(
  jwt: string,
  expected: { method: string; url: string; token: string; jkt: string },
): { jti: string; nonce?: string } | undefined {
  const [h, p, sig] = jwt.split('.')
  if (!h || !p || !sig) return undefined
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { typ?: string; alg?: string; jwk?: Record<string, string> }
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as {
    htm?: string
    htu?: string
    iat?: number
    jti?: string
    ath?: string
    nonce?: string
  }
  if (header.typ !== 'dpop+jwt' || header.alg !== 'ES256' || header.jwk?.kty !== 'EC') return undefined
  const { crv, kty, x, y } = header.jwk
  const thumbprint = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url')
  const key = createPublicKey({ key: { crv, kty, x, y }, format: 'jwk' })
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'))) return undefined
  if (thumbprint !== expected.jkt || claims.htm !== expected.method || claims.htu !== expected.url || typeof claims.jti !== 'string')
    return undefined
  if (typeof claims.iat !== 'number' || Math.abs(claims.iat - Date.now() / 1000) > 60) return undefined
  if (claims.ath !== createHash('sha256').update(expected.token).digest('base64url')) return undefined
  return { jti: claims.jti, ...(claims.nonce ? { nonce: claims.nonce } : {}) }
}
