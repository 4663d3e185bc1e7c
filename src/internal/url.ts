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

/** Whitespace and control characters, which the URL parser drops or encodes silently: a URL that holds them was not meant for a person. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_UNSAFE = /[\s\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/
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
  if (typeof raw !== 'string' || RAW_UNSAFE.test(raw)) throw new ConfigError('insecure_url', `${what} holds whitespace or control characters; refusing to hand it to a browser or a terminal`)
  const url = parseUrl(raw, what)
  assertSecureUrl(url, allowInsecureHttp, what)
  if (url.username || url.password) throw new ConfigError('insecure_url', `${what} ${redactUrl(url)} carries a user name or password before its host; refusing it`, { url: redactUrl(url) })
  if (SERIALISED_UNSAFE.test(url.href)) throw new ConfigError('insecure_url', `${what} ${redactUrl(url)} holds quotes, backslashes or non-ASCII text; refusing to hand it to a browser or a terminal`, { url: redactUrl(url) })
  return url.href
}
