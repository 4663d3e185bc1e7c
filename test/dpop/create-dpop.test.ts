/**
 * DPoP (RFC 9449) on strict mocks: the proofs themselves, what token requests carry, nonces
 * (each origin's own), and what happens without a key. End to end: test/e2e/dpop.test.ts.
 */
import { createHash, createPublicKey, verify } from 'node:crypto'
import { mkdtempSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileStore } from '../../src/entries/node.js'
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { createDPoP, createOAuthClient, createAuthorizedFetch, memoryStore, TokenManager } from '../../src/index.js'
import { ISSUER, metadata, tokenJson } from '../support/as-mock.js'
import { failure, fakeClock, useStrictMsw } from '../support/msw.js'

const msw = useStrictMsw()
const API = 'https://api.example.com'
const parts = (jwt: string) =>
  jwt
    .split('.')
    .slice(0, 2)
    .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString())) as [
    Record<string, unknown> & { jwk: Record<string, string> },
    Record<string, unknown>,
  ]

describe('createDPoP', () => {
  it('a proof is a dpop+jwt signed with the key in its header (public part only), for the method and URL, bound to the token', async () => {
    const dpop = await createDPoP()
    const proof = await dpop.proof('post', `${API}/v1/things?page=2#top`, 'the-token')
    const [header, claims] = parts(proof)
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } })
    expect(Object.keys(header.jwk).sort()).toEqual(['crv', 'kty', 'x', 'y'])
    expect(claims).toMatchObject({
      htm: 'POST',
      htu: `${API}/v1/things`,
      ath: createHash('sha256').update('the-token').digest('base64url'),
    })
    expect(Math.abs((claims.iat as number) - Date.now() / 1000)).toBeLessThan(5)
    const [h, p, s] = proof.split('.')
    expect(
      verify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        { key: createPublicKey({ key: header.jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
        Buffer.from(s!, 'base64url'),
      ),
    ).toBe(true)
    expect((await dpop.proof('GET', API)).split('.')[1]).not.toContain('ath')
    expect(claims.jti).not.toBe(parts(await dpop.proof('post', `${API}/v1/things`, 'the-token'))[1].jti)
  })

  it('the private key cannot be exported; the thumbprint is RFC 7638', async () => {
    const dpop = await createDPoP()
    expect(dpop.keyPair.privateKey.extractable).toBe(false)
    const { crv, kty, x, y } = parts(await dpop.proof('GET', API))[0].jwk
    expect(await dpop.thumbprint()).toBe(createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url'))
  })

  it('takes an ES256 key pair of your own, and refuses another kind', async () => {
    const keyPair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair
    expect((await createDPoP({ keyPair })).keyPair).toBe(keyPair)
    const rsa = (await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    expect(await failure(createDPoP({ keyPair: rsa }))).toMatchObject({ code: 'invalid_config' })
  })

  it('nonces are kept per origin; only a 401 with use_dpop_nonce asks for the request again', async () => {
    const dpop = await createDPoP()
    const nonce = (n: string, status = 200, challenge?: string) =>
      new Response(null, { status, headers: { 'dpop-nonce': n, ...(challenge ? { 'www-authenticate': challenge } : {}) } })
    expect(dpop.observe(`${API}/a`, nonce('n1'))).toBe(false)
    expect(parts(await dpop.proof('GET', `${API}/b`))[1].nonce).toBe('n1')
    expect(parts(await dpop.proof('GET', 'https://other.example.com/'))[1].nonce).toBeUndefined()
    expect(dpop.observe(`${API}/a`, nonce('n2', 401, 'DPoP error="use_dpop_nonce"'))).toBe(true)
    expect(dpop.observe(`${API}/a`, nonce('n3', 401, 'DPoP error="invalid_token"'))).toBe(false)
    expect(parts(await dpop.proof('GET', `${API}/b`))[1].nonce).toBe('n3')
  })
})

describe('createDPoP({ store }): one key for every process on a store', () => {
  /** A store's keys in memory that record what was written. */
  const keyStore = (initial?: string) => {
    let value = initial
    const writes: string[] = []
    const keys = {
      get: async () => value,
      set: async (_: string, v: string | undefined) => void (writes.push(v!), (value = v)),
      setOnce: async (_: string, v: string) => (writes.push(v), (value ??= v)),
    }
    return { writes, keys }
  }

  it('the first process saves a new key, the others load it: one thumbprint; in each process the private key cannot be exported', async () => {
    const store = keyStore()
    const [a, b, c] = await Promise.all([createDPoP({ store }), createDPoP({ store }), createDPoP({ store })])
    expect(new Set([await a!.thumbprint(), await b!.thumbprint(), await c!.thumbprint()]).size).toBe(1)
    for (const key of [a!, b!, c!]) expect(key.keyPair.privateKey.extractable).toBe(false)
    // What the store holds: the private key as a JWK (P-256), nothing else.
    expect(Object.keys(JSON.parse((await store.keys.get())!)).sort()).toEqual(['crv', 'd', 'kty', 'x', 'y'])
    // A later process loads it and writes nothing.
    const writes = store.writes.length
    expect(await (await createDPoP({ store })).thumbprint()).toBe(await a!.thumbprint())
    expect(store.writes).toHaveLength(writes)
  })

  it('a store that keeps no key, or a key that is not an ES256 private key: a typed error, and the stored value is left alone', async () => {
    expect(await failure(createDPoP({ store: memoryStore() }))).toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('use fileStore or redisStore'),
    })
    for (const bad of [
      '{not json',
      '{"kty":"RSA","n":"x","e":"AQAB","d":"x"}',
      '{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}',
      '{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}',
    ]) {
      const store = keyStore(bad)
      expect(await failure(createDPoP({ store }))).toMatchObject({ code: 'invalid_config', message: expect.stringContaining('remove it') })
      expect(await store.keys.get()).toBe(bad)
      expect(store.writes).toEqual([])
    }
  })

  it('fileStore keeps the key in a file beside the tokens, readable by the owner only; a second store on the same file gets the same key', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'oauthkit-dpop-')), 'tokens.json')
    const first = await createDPoP({ store: fileStore(path) })
    const second = await createDPoP({ store: fileStore(path) })
    expect(await second.thumbprint()).toBe(await first.thumbprint())
    expect(statSync(`${path}.dpop.json`).mode & 0o777).toBe(0o600)
    expect(readdirSync(dirname(path)).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })
})

describe('token requests with a DPoP key', () => {
  it('carry a proof for the token endpoint; a use_dpop_nonce answer is retried once, with the nonce', async () => {
    const seen: Array<Record<string, unknown>> = []
    msw.server.use(
      http.post(`${ISSUER}/token`, ({ request }) => {
        const claims = parts(request.headers.get('dpop')!)[1]
        seen.push(claims)
        if (!claims.nonce)
          return tokenJson({ error: 'use_dpop_nonce' }, { status: 400, headers: { 'dpop-nonce': 'as-nonce', 'cache-control': 'no-store' } })
        return tokenJson({ access_token: 'at', token_type: 'DPoP', expires_in: 60 })
      }),
    )
    const client = await createOAuthClient({
      clientId: 'app',
      clientSecret: 's',
      metadata: metadata(),
      dpop: await createDPoP(),
      retry: false,
    })
    expect(await client.clientCredentialsGrant()).toMatchObject({ accessToken: 'at', tokenType: 'dpop' })
    expect(seen.map((c) => [c.htm, c.htu, c.nonce])).toEqual([
      ['POST', `${ISSUER}/token`, undefined],
      ['POST', `${ISSUER}/token`, 'as-nonce'],
    ])
  })

  it('a second use_dpop_nonce is the error: no loop', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, () =>
        tokenJson(
          { error: 'use_dpop_nonce' },
          { status: 400, headers: { 'dpop-nonce': `n-${Math.random()}`, 'cache-control': 'no-store' } },
        ),
      ),
    )
    const client = await createOAuthClient({
      clientId: 'app',
      clientSecret: 's',
      metadata: metadata(),
      dpop: await createDPoP(),
      retry: false,
    })
    expect(await failure(client.clientCredentialsGrant())).toMatchObject({ code: 'oauth_error', error: 'use_dpop_nonce' })
    expect(msw.count('/token')).toBe(2)
  })

  it('a DPoP-bound token issued to a client without a key is a typed error, never used as a bearer token', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at', token_type: 'DPoP', expires_in: 60 })))
    const client = await createOAuthClient({ clientId: 'app', clientSecret: 's', metadata: metadata(), retry: false })
    expect(await failure(client.clientCredentialsGrant())).toMatchObject({
      code: 'invalid_response',
      message: expect.stringContaining('DPoP-bound'),
    })
  })
})

describe('proofs to resource servers and time', () => {
  it("are dated by the client's clock and the authorization server's measured skew, as its token requests are", async () => {
    const clock = fakeClock(Date.UTC(2030, 0, 1))
    // The server's clock runs ten minutes ahead of the client's (its Date header says so).
    const serverNow = clock.now() + 600_000
    const iats: number[] = []
    msw.server.use(
      http.post(`${ISSUER}/token`, ({ request }) => {
        iats.push(parts(request.headers.get('dpop')!)[1].iat as number)
        return tokenJson(
          { access_token: 'bound', token_type: 'DPoP', expires_in: 3600 },
          { headers: { date: new Date(serverNow).toUTCString() } },
        )
      }),
      http.get(`${API}/things`, ({ request }) => (iats.push(parts(request.headers.get('dpop')!)[1].iat as number), HttpResponse.json({}))),
    )
    const client = await createOAuthClient({
      clientId: 'app',
      clientSecret: 's',
      metadata: metadata(),
      dpop: await createDPoP(),
      clock,
      retry: false,
    })
    const session = client.session({ grant: 'client_credentials', apiUrls: [API] })
    await session.fetch(`${API}/things`)
    // The first token request: no skew known yet. The API's proof: the client's clock plus the skew, not the machine's (Date has one-second resolution).
    expect(Math.abs(iats[0]! - clock.now() / 1000)).toBeLessThanOrEqual(1)
    expect(Math.abs(iats[1]! - serverNow / 1000)).toBeLessThanOrEqual(1)
  })
})

describe('the authorized fetch with a DPoP key', () => {
  it('sends DPoP and a proof per request to allowed URLs only; nothing to others', async () => {
    const dpop = await createDPoP()
    const manager = new TokenManager({ store: memoryStore() })
    await manager.setTokens({ accessToken: 'bound', tokenType: 'dpop', expiresAt: Date.now() + 60_000, extra: {} })
    const sent: Array<[string, string | null, string | null]> = []
    msw.server.use(
      http.all(
        `${API}/*`,
        ({ request }) => (
          sent.push([request.url, request.headers.get('authorization'), request.headers.get('dpop')]),
          HttpResponse.json({})
        ),
      ),
      http.get(
        'https://elsewhere.example/x',
        ({ request }) => (
          sent.push([request.url, request.headers.get('authorization'), request.headers.get('dpop')]),
          HttpResponse.json({})
        ),
      ),
    )
    const api = createAuthorizedFetch({ tokens: manager, apiUrls: [API], dpop })
    await api(`${API}/v1/a`, { method: 'PUT', body: '{}' })
    await api('https://elsewhere.example/x')
    expect(sent[0]![1]).toBe('DPoP bound')
    expect(parts(sent[0]![2]!)[1]).toMatchObject({ htm: 'PUT', htu: `${API}/v1/a` })
    expect(sent[1]).toEqual(['https://elsewhere.example/x', null, null])
  })

  it('a redirect to another allowed URL gets a proof of its own (htu of the new URL); one elsewhere gets neither token nor proof', async () => {
    const dpop = await createDPoP()
    const manager = new TokenManager({ store: memoryStore() })
    await manager.setTokens({ accessToken: 'bound', tokenType: 'dpop', expiresAt: Date.now() + 60_000, extra: {} })
    const seen: Array<[string, string | null, unknown]> = []
    const record = (request: Request) =>
      seen.push([
        request.url,
        request.headers.get('authorization'),
        request.headers.get('dpop') && parts(request.headers.get('dpop')!)[1].htu,
      ])
    msw.server.use(
      http.get(
        `${API}/v1/old`,
        ({ request }) => (record(request), new HttpResponse(null, { status: 302, headers: { location: `${API}/v1/new` } })),
      ),
      http.get(
        `${API}/v1/new`,
        ({ request }) => (record(request), new HttpResponse(null, { status: 302, headers: { location: 'https://elsewhere.example/x' } })),
      ),
      http.get('https://elsewhere.example/x', ({ request }) => (record(request), HttpResponse.json({}))),
    )
    const api = createAuthorizedFetch({ tokens: manager, apiUrls: [API], dpop })
    expect((await api(`${API}/v1/old`)).status).toBe(200)
    expect(seen).toEqual([
      [`${API}/v1/old`, 'DPoP bound', `${API}/v1/old`],
      [`${API}/v1/new`, 'DPoP bound', `${API}/v1/new`],
      ['https://elsewhere.example/x', null, null],
    ])
  })

  it('a resource server asking for a nonce gets the request once more, body included', async () => {
    const dpop = await createDPoP()
    const manager = new TokenManager({ store: memoryStore() })
    await manager.setTokens({ accessToken: 'bound', tokenType: 'dpop', expiresAt: Date.now() + 60_000, extra: {} })
    const bodies: string[] = []
    msw.server.use(
      http.post(`${API}/v1/a`, async ({ request }) => {
        bodies.push(await request.text())
        if (!parts(request.headers.get('dpop')!)[1].nonce)
          return new HttpResponse(null, {
            status: 401,
            headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'rs-nonce' },
          })
        return HttpResponse.json({ ok: true })
      }),
    )
    const api = createAuthorizedFetch({ tokens: manager, apiUrls: [API], dpop })
    const res = await api(new Request(`${API}/v1/a`, { method: 'POST', body: 'payload' }))
    expect(res.status).toBe(200)
    expect(bodies).toEqual(['payload', 'payload'])
  })
})
