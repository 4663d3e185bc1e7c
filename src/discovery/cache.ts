import type { HttpOptions } from '../http/options.js'

/**
 * A small TTL cache with in-flight de-duplication: concurrent lookups of one key share one
 * request; a failed lookup is not cached.
 *
 * @example
 * const cache = new DiscoveryCache(10 * 60_000)
 * const { metadata } = await discover(issuer, { discoveryCache: cache })
 *
 * @group Discovery
 */
export class DiscoveryCache {
  readonly #entries = new Map<string, { value: Promise<unknown>; expiresAt: number }>()

  constructor(readonly ttlMs = 60 * 60 * 1000) {}

  /** The cached value of `key`, or what `load` gives (shared by concurrent callers; a failure is not kept). */
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

  /** Forgets every cached document. */
  clear(): void {
    this.#entries.clear()
  }
}

let shared: DiscoveryCache | undefined

/** The process-wide cache used when no other is given (created on first use). */
export function sharedDiscoveryCache(): DiscoveryCache {
  return (shared ??= new DiscoveryCache())
}

const ids = new WeakMap<object, number>()
let nextId = 0
const idOf = (value: object | undefined) => {
  if (value === undefined) return '-'
  let id = ids.get(value)
  if (id === undefined) ids.set(value, (id = ++nextId))
  return id
}

/**
 * Everything in a configuration that can change a discovery answer, as a cache key part: the
 * identity of `fetch` and of the dialect, the headers, and the http policy. Two clients that
 * differ in any of them never share a cached document.
 */
export function configurationKey(options: HttpOptions): string {
  return JSON.stringify([idOf(options.fetch), idOf(options.dialect), options.headers, options.allowInsecureHttp, options.maxResponseBytes])
}
