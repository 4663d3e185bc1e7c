/**
 * The ID token of a token answer, checked by oauthkit's own reader (protocol/run/jws.ts's
 * checkIdToken, in the JWT chunk) instead of oauth4webapi's token processors, which bundles
 * would carry whole. The same verdicts as oauth4webapi's processAuthorizationCodeResponse on
 * every combination of claims a hostile or sloppy server may send (a differential property
 * test), and the cases where oauthkit is stricter on purpose. The chunk's absence:
 * test/protocol/run/id-token-unloaded.test.ts; the signature: test/protocol/run/jws.test.ts.
 */
import fc from 'fast-check'
import * as o from 'oauth4webapi'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPublicContext, isOAuthKitError } from '../../../src/index.js'
import { int, type IdTokenCheck } from '../../../src/protocol/run/context.js'
import { jwsKit } from '../../../src/protocol/run/id-token.js'
import { checkIdToken } from '../../../src/protocol/run/jws.js'
import { ISSUER, metadata } from '../../support/as-mock.js'

const NOW = 1_800_000_000
const CLIENT = 'spa'
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')
/** A field left out of the claims. */
const ABSENT = Symbol('absent')

const internals = () => int(createPublicContext(metadata(ISSUER, { id_token_signing_alg_values_supported: ['RS256', 'ES256'] }), CLIENT))

/** oauthkit's verdict: the claims, or the error's code. */
async function ours(jwt: string, check: IdTokenCheck): Promise<string> {
  try {
    await checkIdToken(jwsKit, internals(), jwt, NOW, check)
    return 'accepted'
  } catch (err) {
    return isOAuthKitError(err) ? err.code : `crashed: ${String(err)}`
  }
}

/** oauth4webapi's verdict on the same answer. */
async function theirs(jwt: string, check: IdTokenCheck): Promise<string> {
  const { as, client } = internals()
  const answer = Response.json({ access_token: 'at', token_type: 'bearer', id_token: jwt })
  try {
    await o.processAuthorizationCodeResponse(as, client, answer, {
      ...(check.nonce === undefined ? {} : { expectedNonce: check.nonce, requireIdToken: true }),
      ...(check.maxAge === undefined ? {} : { maxAge: check.maxAge }),
    })
    return 'accepted'
  } catch {
    return 'invalid_id_token'
  }
}

/** Mostly the good value (so that every check is reached, and tokens pass), else one of the wrong ones or none. */
const claim = <T>(good: T | typeof ABSENT, ...wrong: Array<T | typeof ABSENT>) =>
  fc.oneof({ arbitrary: fc.constant(good), weight: 10 }, { arbitrary: fc.constantFrom(...wrong), weight: 1 })

/** A header and claims drawn from what servers send, right and wrong, near every boundary. */
const token = fc.record({
  header: fc.record({
    alg: claim<unknown>('RS256', 'ES256', 'HS256', 'none', 7, ABSENT),
    typ: claim<unknown>('JWT', ABSENT),
    crit: claim<unknown>(ABSENT, ['exp']),
  }),
  claims: fc.record({
    iss: claim<unknown>(ISSUER, `${ISSUER}/`, 'https://evil.example', 42, ABSENT),
    sub: claim<unknown>('user', 42, '', ABSENT),
    aud: claim<unknown>(CLIENT, [CLIENT], [CLIENT, 'other'], 'other', ['other'], 42, [], ABSENT),
    azp: claim<unknown>(ABSENT, CLIENT, 'other'),
    exp: claim<unknown>(NOW + 300, NOW - 29, NOW - 30, NOW - 31, NOW - 300, '9999999999', ABSENT),
    iat: claim<unknown>(NOW, NOW - 100, 'now', ABSENT),
    nbf: claim<unknown>(ABSENT, NOW - 10, NOW + 29, NOW + 31, 'x'),
    nonce: claim<unknown>('n-1', 'n-2', ABSENT),
    auth_time: claim<unknown>(NOW - 10, NOW - 99, NOW - 131, NOW - 1000, 'x', ABSENT),
  }),
  // max_age only with a nonce: without one oauth4webapi does not require auth_time (below).
  check: fc.constantFrom<IdTokenCheck>({}, { nonce: 'n-1' }, { nonce: 'n-1', maxAge: 100 }),
})

function jwtOf({ header, claims }: { header: Record<string, unknown>; claims: Record<string, unknown> }): string {
  const present = (record: Record<string, unknown>) => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== ABSENT))
  return `${b64(present(header))}.${b64(present(claims))}.${b64('signature')}`
}

describe('checkIdToken', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(NOW * 1000)
  })
  afterEach(() => void vi.useRealTimers())

  it("gives oauth4webapi's verdict on every combination of claims, right and wrong", async () => {
    let refused = 0
    await fc.assert(
      fc.asyncProperty(token, async ({ header, claims, check }) => {
        const jwt = jwtOf({ header, claims })
        const verdict = await ours(jwt, check)
        expect(verdict, JSON.stringify({ header, claims, check })).toBe(await theirs(jwt, check))
        if (verdict !== 'accepted') refused++
      }),
      { numRuns: 600, seed: 20261206 },
    )
    // Both verdicts are drawn: a property that only ever refused would prove nothing.
    expect(refused).toBeGreaterThan(100)
    expect(refused).toBeLessThan(600)
  })

  it('accepts a good ID token and returns its claims', async () => {
    const claims = { iss: ISSUER, sub: 'user', aud: CLIENT, exp: NOW + 60, iat: NOW, nonce: 'n-1' }
    const jwt = jwtOf({ header: { alg: 'RS256' }, claims })
    expect(await checkIdToken(jwsKit, internals(), jwt, NOW, { nonce: 'n-1' })).toEqual(claims)
  })

  const good = { iss: ISSUER, sub: 'user', aud: CLIENT, exp: NOW + 60, iat: NOW }
  for (const [name, jwt, check, said] of [
    ['none at all, though a nonce was sent', undefined, { nonce: 'n' }, /there is none/],
    ['an encrypted one (JWE)', 'a.b.c.d.e', {}, /encrypted/],
    ['not a JWT', 'opaque', {}, /not a JWT/],
    ['a nonce though none was sent', jwtOf({ header: { alg: 'RS256' }, claims: { ...good, nonce: 'n' } }), {}, /carries a nonce/],
    ['another issuer', jwtOf({ header: { alg: 'RS256' }, claims: { ...good, iss: 'https://evil.example' } }), {}, /evil\.example/],
    // Stricter than oauth4webapi without a nonce: max_age asked for, auth_time required (OpenID Connect Core §3.1.2.1).
    ['no auth_time though max_age was asked for', jwtOf({ header: { alg: 'RS256' }, claims: good }), { maxAge: 60 }, /"auth_time"/],
  ] as const) {
    it(`refuses ${name}: invalid_id_token, saying why`, async () => {
      const err = await checkIdToken(jwsKit, internals(), jwt, NOW, check).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isOAuthKitError(err) && err.code).toBe('invalid_id_token')
      expect((err as Error).message).toMatch(said)
    })
  }

  it('quotes what a server wrote without its control characters', async () => {
    const jwt = jwtOf({ header: { alg: 'RS256' }, claims: { ...good, iss: 'https://a.example/\u001b[31m\u009b' } })
    const err = (await checkIdToken(jwsKit, internals(), jwt, NOW, {}).catch((e: unknown) => e)) as Error
    // eslint-disable-next-line no-control-regex
    expect(err.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
  })
})
