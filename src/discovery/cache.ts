/**
 * A small TTL cache with in-flight de-duplication: concurrent lookups of one key share one
 * request; a failed lookup is not cached.
 */
export class DiscoveryCache {
  readonly #entries = new Map<string, { value: Promise<unknown>; expiresAt: number }>()

  constructor(readonly ttlMs = 60 * 60 * 1000) {}

  get<T>(key: string, now: number, load: () => Promise<T>): Promise<T> {
    const hit = this.#entries.get(key)
    if (hit && hit.expiresAt > now) return hit.value as Promise<T>
    const value = load()
    const entry = { value, expiresAt: now + this.ttlMs }
    this.#entries.set(key, entry)
    value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key)
    })
    return value
  }

  clear(): void {
    this.#entries.clear()
  }
}

let shared: DiscoveryCache | undefined

/** The process-wide cache used when no other is given (created on first use). */
export function sharedDiscoveryCache(): DiscoveryCache {
  return (shared ??= new DiscoveryCache())
}
