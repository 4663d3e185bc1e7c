// The rotation ledger of the browser client's tabs (tabs.ts), loaded on first use. It imports no
// value, so that bundlers put it in a chunk of its own.

/** How long a rotation is remembered: longer than a tab stays asleep with a refresh token worth replaying. */
const LEDGER_MS = 2 * 86_400_000

type Rotations = Record<string, [next: string, at: number]>

/**
 * The rotations this origin's tabs made, in IndexedDB: old grant fingerprint → new one. No
 * token is written, only fingerprints, so a tab that missed a rotation (asleep, or a copy of
 * another tab's sessionStorage) knows its refresh token is spent before sending it. IndexedDB,
 * not localStorage: a tab reading localStorage may see another renderer's write late, an
 * IndexedDB transaction sees every one that committed before it began. Without IndexedDB (Node,
 * tests) there is no ledger: nothing is ever spent.
 */
export function ledger(name: string): Ledger {
  const idb = typeof indexedDB === 'object' ? indexedDB : undefined
  let db: Promise<IDBDatabase> | undefined
  const request = <T>(open: () => IDBRequest<T>) =>
    new Promise<T>((resolve, reject) =>
      Object.assign(open(), {
        onsuccess: (e: Event) => resolve((e.target as IDBRequest<T>).result),
        onerror: () => reject(new Error('IndexedDB failed')),
      }),
    )
  const store = async (mode: IDBTransactionMode) => {
    db ??= request(() =>
      Object.assign(idb!.open(name, 1), { onupgradeneeded: (e: Event) => (e.target as IDBOpenDBRequest).result.createObjectStore('r') }),
    )
    return (await db).transaction('r', mode).objectStore('r')
  }
  const read = async (): Promise<Rotations> => {
    if (!idb) return {}
    const s = await store('readonly')
    return ((await request(() => s.get('all'))) as Rotations | undefined) ?? {}
  }
  return {
    /**
     * Records that `from` was rotated into `to`, and forgets rotations older than the ledger
     * keeps: one read-modify-write transaction, committed before this resolves.
     */
    async rotated(from: string, to: string, now: number): Promise<void> {
      if (!idb) return
      const s = await store('readwrite')
      await new Promise((resolve, reject) => {
        const all = s.get('all')
        all.onsuccess = () => {
          const kept = Object.entries((all.result as Rotations | undefined) ?? {}).filter(([, [, at]]) => now - at < LEDGER_MS)
          s.put(Object.fromEntries([...kept, [from, [to, now]]]), 'all')
        }
        Object.assign(s.transaction, { oncomplete: resolve, onerror: reject, onabort: reject })
      })
    },
    /** Whether `grant` was rotated, and whether `held` is one of its successors. */
    async successor(grant: string, held?: string): Promise<{ spent: boolean; leadsTo: boolean }> {
      const entries = await read().catch((): Rotations => ({}))
      const seen = new Set<string>()
      let at = grant
      while (Object.hasOwn(entries, at) && !seen.has(at)) {
        seen.add(at)
        at = entries[at]![0]
        if (at === held) return { spent: true, leadsTo: true }
      }
      return { spent: seen.size > 0, leadsTo: false }
    },
  }
}

/** The ledger's two questions: record a rotation; was a grant rotated, and does it lead to the one held. */
export interface Ledger {
  rotated(from: string, to: string, now: number): Promise<void>
  successor(grant: string, held?: string): Promise<{ spent: boolean; leadsTo: boolean }>
}
