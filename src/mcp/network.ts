// The MCP client's network policy: a remote MCP server names the documents and endpoints the
// client requests (its resource metadata, its authorization server, the registration and token
// endpoints). A server on the public internet must not make the client request an address on
// the client's own machine or network (loopback, private, link-local: a router's admin page,
// a cloud metadata service), by literal or by a name that resolves there.
import { ConfigError, redactUrl } from '../errors.js'
import { isPrivateHost } from '../internal/url.js'

/** Resolves a host name to its addresses. */
export type ResolveHost = (hostname: string) => Promise<string[]> | string[]

/** The platform's resolver, where it lets a library ask without an import (Node, Deno, Bun): `dns.promises.lookup`; none in browsers. */
export function platformResolver(): ResolveHost | undefined {
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule
  type Lookup = (host: string, options: { all: true }) => Promise<Array<{ address: string }>>
  const lookup =
    typeof getBuiltin === 'function'
      ? (getBuiltin('node:dns') as { promises?: { lookup?: Lookup } } | undefined)?.promises?.lookup
      : undefined
  return lookup && (async (host) => (await lookup(host, { all: true })).map((a) => a.address))
}

/** Whether `host` is private: by its literal form, else (where names can be resolved) by any address it resolves to. */
async function resolvesPrivate(host: string, resolve: ResolveHost | undefined): Promise<boolean> {
  if (isPrivateHost(host)) return true
  if (!resolve || /^[\d.]+$|:/.test(host)) return false
  // A name that does not resolve is no address at all: the request fails by itself.
  const addresses = await Promise.resolve()
    .then(() => resolve(host))
    .catch(() => [] as string[])
  return addresses.some((address) => isPrivateHost(address))
}

/** The policy for one MCP server: `check(url)` refuses a private address, unless the server is on a private network itself or the app allowed it. */
export interface NetworkPolicy {
  check(url: URL, what: string): Promise<void>
  /** `fetch` with `check` before every request: what the OAuth requests of the MCP client go through. */
  guard(fetch: typeof globalThis.fetch | undefined): typeof globalThis.fetch
}

export function networkPolicy(serverUrl: URL, allowPrivateNetwork: boolean | undefined, resolveHost?: ResolveHost): NetworkPolicy {
  const lookup = resolveHost ?? platformResolver()
  // Decided once: a server on loopback or a private network (a local development server, an intranet) may name its neighbours.
  let open: Promise<boolean> | undefined = allowPrivateNetwork ? Promise.resolve(true) : undefined
  const check = async (url: URL, what: string) => {
    open ??= resolvesPrivate(serverUrl.hostname, lookup)
    if (await open) return
    if (await resolvesPrivate(url.hostname, lookup)) {
      throw new ConfigError(
        'insecure_url',
        `the MCP server ${redactUrl(serverUrl)} named ${what} ${redactUrl(url)}, on a loopback, private or link-local address; refusing to request it (allowPrivateNetwork: true if this is intended)`,
        { url: redactUrl(url) },
      )
    }
  }
  return {
    check,
    guard: (fetch) => async (input, init) => {
      await check(new URL(input instanceof Request ? input.url : String(input)), 'the URL')
      return (fetch ?? globalThis.fetch)(input, init)
    },
  }
}
