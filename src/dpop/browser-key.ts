// The browser's DPoP key (RFC 9449), kept in IndexedDB.
import { createDPoP, type DPoP } from './proofs.js'

/**
 * A DPoP key for the browser client (`createBrowserClient({ …, dpop: browserDPoP() })`): ES256,
 * the private key not extractable, kept in IndexedDB (which stores CryptoKeys as they are) under
 * `name`, so that a reload and the origin's other tabs prove possession with the same key — the
 * one their tokens are bound to. A new key is generated first, then read-or-written in one
 * transaction, so tabs starting together end with the same key. Where IndexedDB refuses (some
 * private windows), a key for this page only.
 *
 * @example
 * const app = createBrowserClient({ issuer, clientId, redirectUri, dpop: browserDPoP(), apiUrls: [api] })
 */
export async function browserDPoP(name = 'oauthkit:dpop'): Promise<DPoP> {
  const fresh = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair
  const kept = await keep(name, fresh).catch(() => fresh)
  return createDPoP({ keyPair: kept })
}

function keep(name: string, fresh: CryptoKeyPair): Promise<CryptoKeyPair> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(name, 1)
    open.onupgradeneeded = () => open.result.createObjectStore('k')
    open.onerror = () => reject(new Error('IndexedDB failed'))
    open.onsuccess = () => {
      const db = open.result
      const tx = db.transaction('k', 'readwrite')
      const store = tx.objectStore('k')
      let chosen = fresh
      const held = store.get('key')
      held.onsuccess = () => {
        if (held.result) chosen = held.result as CryptoKeyPair
        else store.put(fresh, 'key')
      }
      tx.oncomplete = () => (db.close(), resolve(chosen))
      tx.onerror = tx.onabort = () => (db.close(), reject(new Error('IndexedDB failed')))
    }
  })
}
