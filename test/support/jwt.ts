/**
 * Signing keys and JWTs for tests: a key pair of each JWS algorithm oauthkit verifies (RS256,
 * PS256, ES256, EdDSA) with its public JWK, and a JWT signed with one (an ID token, a logout token).
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto'

export type Alg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA'
export interface Key {
  alg: Alg
  kid?: string
  privateKey: KeyObject
  jwk: Record<string, unknown>
}

/** A new key pair for `alg`, its public JWK with `kid` (a random one by default; `undefined` for none). */
export function key(alg: Alg, kid: string | undefined = randomUUID()): Key {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    alg,
    ...(kid ? { kid } : {}),
    privateKey: pair.privateKey,
    jwk: { ...pair.publicKey.export({ format: 'jwk' }), ...(kid ? { kid } : {}) },
  }
}

/** base64url of a value's JSON. */
export const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A JWT of `claims`, signed with `signer` (its `kid` in the header when it has one). */
export function signedJwt(signer: Key, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const input = `${b64({ alg: signer.alg, typ: 'JWT', ...(signer.kid ? { kid: signer.kid } : {}), ...header })}.${b64(claims)}`
  const data = Buffer.from(input)
  const signature =
    signer.alg === 'EdDSA'
      ? sign(null, data, signer.privateKey)
      : signer.alg === 'ES256'
        ? sign('sha256', data, { key: signer.privateKey, dsaEncoding: 'ieee-p1363' })
        : signer.alg === 'PS256'
          ? sign('sha256', data, { key: signer.privateKey, padding: 6, saltLength: 32 })
          : sign('sha256', data, signer.privateKey)
  return `${input}.${signature.toString('base64url')}`
}
