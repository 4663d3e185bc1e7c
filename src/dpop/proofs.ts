import * as o from 'oauth4webapi'
import { ConfigError } from '../errors.js'
import { base64url } from '../internal/base64url.js'
import { parseWwwAuthenticate } from '../internal/www-authenticate.js'
import type { KeyValueStore, TokenProof } from '../types.js'

/**
 * A DPoP key (RFC 9449): the key pair that proves possession, for token requests (with the
 * authorization server's nonces) and for requests to
 * resource servers (proofs with `htm`, `htu`, `ath` and each origin's nonce). Make one with
 * {@link createDPoP} and give it to a client, a context or a session as `dpop`.
 *
 * @group DPoP
 */
export interface DPoP extends TokenProof {
  readonly keyPair: CryptoKeyPair
  /** The JWK thumbprint (RFC 7638) of the public key: the `jkt` the server binds tokens to. */
  thumbprint(): Promise<string>
}

/** What the operation path calls on the key (not part of the published type: it names oauth4webapi's). */
export interface ProvingKey extends DPoP {
  /**
   * Runs an operation at the authorization server with proofs, and once more when it answered
   * `use_dpop_nonce` (RFC 9449 §8: it did nothing; the handle now has its nonce).
   */
  run<T, Op extends Requesting>(op: Op, go: (op: Op) => Promise<T>, client: o.Client): Promise<T>
  /** The same key (its nonces shared), its resource-server proofs dated by `now` (epoch ms): a context's clock and the server's measured skew. */
  at(now: () => number): ProvingKey
}

/** An operation's request step, as the operation path runs it (protocol/run/operation.ts). */
type RequestOptions = o.HttpRequestOptions<'GET' | 'POST'> & o.DPoPRequestOptions
interface Requesting {
  request(options: RequestOptions, send: unknown): Promise<Response>
}

const text = (value: unknown) => base64url(new TextEncoder().encode(JSON.stringify(value)))

/**
 * Options of createDPoP: a key pair of your own, or the store whose processes share one.
 *
 * @group DPoP
 */
export interface DPoPOptions {
  /** An ES256 key pair of your own (e.g. one kept in IndexedDB). */
  keyPair?: CryptoKeyPair
  /**
   * A token store that keeps a DPoP key (`fileStore`, `redisStore`: under `dpop` in `store.keys`): every
   * process on it proves possession with the one key, so the tokens they share stay usable by
   * all. The first process saves a new key; the others load it. In each process the private key
   * cannot be exported; in the store it is a JWK, as readable as the tokens there.
   */
  store?: { readonly keys?: KeyValueStore | undefined }
}

/**
 * Makes a DPoP key: a new ES256 key pair whose private key cannot be exported (WebCrypto), the
 * one given (`keyPair`), or the one a fleet keeps in its store (`store`).
 *
 * @example
 * const dpop = await createDPoP()
 * const client = await createOAuthClient({ issuer, clientId, dpop })
 * const session = client.session({ grant: 'client_credentials', apiUrls: ['https://api.example.com'] })
 * await session.fetch('https://api.example.com/things') // Authorization: DPoP …, DPoP: <proof>
 *
 * // A fleet: every process on the store proves possession with one key.
 * const store = redisStore(redis, { key: 'orders' })
 * const shared = await createDPoP({ store })
 *
 * @group DPoP
 */
export async function createDPoP(options: DPoPOptions = {}): Promise<DPoP> {
  if (options?.store) return createKey({ keyPair: await sharedKeyPair(options.store) })
  return createKey(options ?? {})
}

const ES256 = { name: 'ECDSA', namedCurve: 'P-256' } as const

/** The store's key: loaded, or made and saved by the first process to get there (whose key every other then loads). */
async function sharedKeyPair(store: NonNullable<DPoPOptions['store']>): Promise<CryptoKeyPair> {
  const keys = store.keys
  if (!keys)
    throw new ConfigError(
      'invalid_config',
      'this token store keeps no DPoP key (memoryStore and webStorageStore do not): use fileStore or redisStore, or give createDPoP a keyPair',
    )
  let stored = await keys.get('dpop')
  if (stored === undefined) {
    const fresh = (await crypto.subtle.generateKey(ES256, true, ['sign', 'verify'])) as CryptoKeyPair
    const { kty, crv, x, y, d } = await crypto.subtle.exportKey('jwk', fresh.privateKey)
    const value = JSON.stringify({ kty, crv, x, y, d })
    // The first process's key wins; a store without setOnce is one process's.
    stored = keys.setOnce ? await keys.setOnce('dpop', value) : (await keys.set('dpop', value), value)
  }
  try {
    const { kty, crv, x, y, d } = JSON.parse(stored) as JsonWebKey
    if (kty !== 'EC' || crv !== 'P-256' || typeof d !== 'string') throw new TypeError('not an ES256 private key')
    return {
      privateKey: await crypto.subtle.importKey('jwk', { kty, crv, x, y, d }, ES256, false, ['sign']),
      publicKey: await crypto.subtle.importKey('jwk', { kty, crv, x, y }, ES256, true, ['verify']),
    }
  } catch {
    // Left as it is: the tokens in the store are bound to it, whatever happened to it.
    throw new ConfigError(
      'invalid_config',
      "the DPoP key in the token store is not an ES256 private key (JWK): remove it (with the store's tokens, which are bound to it) and start again",
    )
  }
}

/** The SHA-256 (base64url) of a value, computed once for the last value asked: a token's `ath` once per token, not once per request. */
function lastHash(): (value: string) => Promise<string> {
  let last: [value: string, hash: Promise<string>] | undefined
  return (value) =>
    (last?.[0] === value ? last : (last = [value, crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)).then(base64url)]))[1]
}

async function createKey(options: { keyPair?: CryptoKeyPair }): Promise<ProvingKey> {
  const keyPair = options?.keyPair ?? ((await crypto.subtle.generateKey(ES256, false, ['sign', 'verify'])) as CryptoKeyPair)
  if (keyPair?.privateKey?.algorithm?.name !== 'ECDSA' || (keyPair.privateKey.algorithm as EcKeyAlgorithm).namedCurve !== 'P-256') {
    throw new ConfigError('invalid_config', 'createDPoP takes an ES256 key pair (ECDSA P-256)')
  }
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keyPair.publicKey)
  return provingKey({ keyPair, jwk: { crv, kty, x, y }, nonces: new Map(), athOf: lastHash(), handles: new WeakMap() }, () => Date.now())
}

/** What the dated views of one key share: the key, its nonces per origin, its `ath` memo, oauth4webapi's handles. */
interface KeyState {
  keyPair: CryptoKeyPair
  jwk: JsonWebKey
  nonces: Map<string, string>
  athOf: (value: string) => Promise<string>
  handles: WeakMap<o.Client, o.DPoPHandle>
}

/** The key, its resource-server proofs dated by `now` (a context's clock and skew: {@link ProvingKey.at}). */
function provingKey(state: KeyState, now: () => number): ProvingKey {
  const { keyPair, jwk, nonces, athOf, handles } = state
  const key: ProvingKey = {
    at: (later) => provingKey(state, later),
    keyPair,
    thumbprint: async () => base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(jwk)))),
    async proof(method, url, accessToken) {
      const target = new URL(url)
      const nonce = nonces.get(target.origin)
      const payload = {
        iat: Math.floor(now() / 1000),
        jti: base64url(crypto.getRandomValues(new Uint8Array(16))),
        htm: method.toUpperCase(),
        htu: `${target.origin}${target.pathname}`,
        ...(nonce ? { nonce } : {}),
        ...(accessToken ? { ath: await athOf(accessToken) } : {}),
      }
      const input = `${text({ typ: 'dpop+jwt', alg: 'ES256', jwk })}.${text(payload)}`
      return `${input}.${base64url(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keyPair.privateKey, new TextEncoder().encode(input)))}`
    },
    observe(url, response) {
      const nonce = response.headers.get('dpop-nonce')
      if (nonce) nonces.set(new URL(url).origin, nonce)
      if (response.status !== 401 || !nonce) return false
      return parseWwwAuthenticate(response.headers.get('www-authenticate') ?? '').some(
        (c) => c.scheme.toLowerCase() === 'dpop' && c.params.error === 'use_dpop_nonce',
      )
    },
    async headers(accessToken, method, url) {
      return { authorization: `DPoP ${accessToken}`, dpop: await key.proof(method, url, accessToken) }
    },
    async send(fetch, accessToken, url, init, request) {
      const method = init.method ?? request?.method ?? 'GET'
      const spare = request?.clone()
      const go = async (base: Request | undefined) => {
        for (const [name, value] of Object.entries(await key.headers(accessToken, method, url))) init.headers.set(name, value)
        return base ? fetch(new Request(base, init)) : fetch(url, init)
      }
      const response = await go(request)
      // A resource server asking for a nonce did nothing with the request: once more, with it.
      if (!key.observe(url, response) || init.body instanceof ReadableStream) return response
      void response.body?.cancel().catch(() => {})
      return go(spare)
    },
    run(op, go, client) {
      // oauth4webapi's handle for the client: its proofs, and the authorization server's nonces.
      let handle = handles.get(client)
      if (!handle) handles.set(client, (handle = o.DPoP(client, keyPair)))
      const proven = { ...op, request: (options: RequestOptions, send: unknown) => op.request({ ...options, DPoP: handle }, send) }
      return go(proven).catch((err: unknown) =>
        (err as { error?: string })?.error === 'use_dpop_nonce' ? go(proven) : Promise.reject(err),
      )
    },
  }
  return key
}
