import { ConfigError, cleanText, redactUrl } from '../errors.js'

/** `localhost`, `127.0.0.0/8` and `[::1]`: the hosts where plain `http:` is allowed by default. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  )
}

/** Parses a URL given by the caller or a server, or throws a ConfigError that names `what`. */
export function parseUrl(value: string | URL, what: string): URL {
  if (value instanceof URL) return new URL(value.href)
  try {
    return new URL(value)
  } catch {
    // Quoted without its query or fragment: a request path may carry a code or a token there.
    throw new ConfigError('invalid_config', `${what} is not an absolute URL: ${JSON.stringify(shownUrlText(value))}`)
  }
}

/**
 * Text that is not a URL, fit to quote: cleaned, without what follows a `?` or `#`, and with
 * parameter names but never their values (`code=…&state=…`): a broken callback URL still
 * carries its code.
 */
export function shownUrlText(value: unknown): string {
  return cleanText(value, 400)
    .replace(/[?#].*/s, '')
    .replace(/=[^&;\s]*/g, '=…')
    .slice(0, 100)
}

/**
 * Refuses anything but `https:`, and `http:` to a loopback host, unless `allowInsecureHttp`.
 * Tokens and client secrets must never cross the network in clear text (RFC 6749 §10.9,
 * RFC 6750 §5.3); loopback is local to the machine (RFC 8252 §7.3).
 */
export function assertSecureUrl(url: URL, allowInsecureHttp: boolean | undefined, what = 'URL'): void {
  if (url.protocol === 'https:') return
  if (url.protocol === 'http:') {
    if (allowInsecureHttp || isLoopbackHost(url.hostname)) return
    throw new ConfigError(
      'insecure_url',
      `${what} ${redactUrl(url)} is plain http: off loopback; use https: (or allowInsecureHttp: true on a trusted network)`,
      { url: redactUrl(url) },
    )
  }
  // An opaque URL (javascript:, data:, file:, smb:) has no origin worth quoting: the scheme says it all.
  throw new ConfigError('insecure_url', `${what} must use https: (got ${cleanText(url.protocol, 40)})`)
}

/** Whitespace, quotes, angle brackets, backslashes and control characters, which the URL parser drops or encodes silently: a URL that holds them was not meant for a person. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_UNSAFE = /["'`<>\\\s\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/
/** What a serialised URL never holds raw when it is safe to show, print or hand to an opener: non-ASCII, whitespace, quotes, angle brackets, backslashes. */
const SERIALISED_UNSAFE = /[^\x21-\x7e]|["'`<>\\]/

/**
 * The one policy for a URL handed to a person or a program (a browser's `location`, the
 * system's opener, an MCP client's `signIn`, a terminal): the authorization URL, the
 * end-session URL, the device flow's verification URI. `https:`, or `http:` on loopback (the
 * transport's rule, {@link assertSecureUrl}); no userinfo (`https://bank.example@evil.example`
 * misleads a reader); no whitespace, quotes or control characters, raw or after parsing.
 * Anything else is `insecure_url`, before the URL is returned, shown or opened. Returns the URL
 * as serialised.
 */
export function userAgentUrl(value: string | URL, what: string, allowInsecureHttp?: boolean): string {
  const raw = typeof value === 'string' ? value : value.href
  const unsafe = typeof raw !== 'string' || RAW_UNSAFE.test(raw)
  const url = unsafe ? undefined : parseUrl(raw, what)
  if (url) assertSecureUrl(url, allowInsecureHttp, what)
  if (!url || url.username || url.password || SERIALISED_UNSAFE.test(url.href)) {
    throw new ConfigError(
      'insecure_url',
      `${what} holds a user name, whitespace, quotes or control characters: not handed to a browser or a terminal`,
    )
  }
  return url.href
}

/** An IPv4 address as four numbers, or undefined. */
function ipv4(host: string): number[] | undefined {
  const parts = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)?.slice(1).map(Number)
  return parts && parts.every((n) => n <= 255) ? parts : undefined
}

/**
 * Whether a host (a URL's `hostname`, or an address a name resolved to) is not on the public
 * internet: loopback (`localhost` and its subdomains, 127/8, ::1), private (RFC 1918 10/8,
 * 172.16/12, 192.168/16; carrier-grade NAT 100.64/10; IPv6 ULA fc00::/7), link-local
 * (169.254/16 — cloud metadata services — and fe80::/10), unspecified (0/8, ::), and IPv4
 * addresses mapped into IPv6 (::ffff:a.b.c.d) by the address they map.
 */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  const v4 = ipv4(host)
  if (v4) {
    const [a, b] = v4 as [number, number]
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    )
  }
  if (!host.includes(':')) return false
  // IPv4-mapped, in the dotted form or the hex form the URL parser writes (::ffff:7f00:1).
  const mapped = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(host)
  if (mapped) {
    if (mapped[1]) return isPrivateHost(mapped[1])
    const [hi, lo] = [parseInt(mapped[2]!, 16), parseInt(mapped[3]!, 16)]
    return isPrivateHost(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`)
  }
  if (host === '::' || host === '::1') return true
  return /^f[cd][0-9a-f]{2}:/.test(host) || /^fe[89ab][0-9a-f]:/.test(host)
}
