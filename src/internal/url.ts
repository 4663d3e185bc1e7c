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
    throw new ConfigError('invalid_config', `${what} is not an absolute URL: ${JSON.stringify(cleanText(value, 400).replace(/[?#].*/s, '').slice(0, 100))}`)
  }
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
  throw new ConfigError('insecure_url', `${what} ${redactUrl(url)} must use https: (got ${url.protocol})`, {
    url: redactUrl(url),
  })
}
