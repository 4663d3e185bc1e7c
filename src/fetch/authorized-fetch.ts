import { ConfigError, OAuthServerError, redactUrl } from '../errors.js'
import { assertSecureUrl, shownUrlText } from '../internal/url.js'
import { bearerChallenge, parseWwwAuthenticate } from '../internal/www-authenticate.js'
import type { AccessTokenSource } from '../token/manager.js'
import type { TokenProof } from '../types.js'

/**
 * Options of createAuthorizedFetch: where tokens come from, the API base URLs they may go to, and the fetch to wrap.
 *
 * @group Tokens and sessions
 */
export interface AuthorizedFetchOptions {
  tokens: AccessTokenSource
  /**
   * The API base URLs the token may be sent to (origin plus path prefix). Nothing is guessed:
   * any other URL gets the request without a token.
   */
  apiUrls?: Array<string | URL>
  /** The fetch to wrap; defaults to `globalThis.fetch`, looked up at call time. */
  fetch?: typeof fetch
  /** Allow `apiUrls` on plain `http:` off loopback (the token would cross the network in clear). Default false. */
  allowInsecureHttp?: boolean
  /**
   * A redirect to another origin (Node; browsers follow redirects themselves): followed
   * without the request body and without the token (`without-body`, the default), or
   * returned to the caller as it is (`stop`). Never followed with the body.
   */
  crossOriginRedirects?: 'without-body' | 'stop'
  /**
   * Sender-constrained tokens (DPoP, RFC 9449): each request gets `Authorization: DPoP …` and a
   * proof for its method and URL; a resource server's nonce is kept and, when it asks for one,
   * the request is sent once more with it. Default: the token source's (a session of a client
   * with `dpop`).
   */
  dpop?: TokenProof
}

/**
 * Matches URLs against the configured base URLs (origin + path prefix at a `/` boundary).
 * A plain absolute URL string that starts with a base is matched without parsing (the
 * request path); anything that could normalise differently (dot segments, backslashes,
 * `@`, percent-encoded dots, other letter case) is parsed first.
 */
export function urlMatcher(allowed: Array<string | URL>, allowInsecureHttp?: boolean): (url: string | URL) => boolean {
  if (!Array.isArray(allowed) || allowed.length === 0) {
    throw new ConfigError(
      'invalid_config',
      'apiUrls must list the API base URLs that may get the token, e.g. ["https://api.example.com/v1"]',
    )
  }
  const prefixes = allowed.map((value) => {
    let u: URL
    try {
      u = new URL(value)
    } catch {
      throw new ConfigError('invalid_config', `apiUrls has ${JSON.stringify(shownUrlText(value))}, which is not an absolute URL`)
    }
    // RFC 6750 §5.3: a bearer token only over TLS (loopback, and an explicit opt-in, excepted).
    assertSecureUrl(u, allowInsecureHttp, 'the API base URL')
    return `${u.origin}${u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`}`
  })
  const UNSAFE = /[\\@]|\/\.|%2e/i
  return (url) => {
    const href = typeof url === 'string' ? url : url.href
    if (!UNSAFE.test(href) && prefixes.some((p) => href.startsWith(p) || `${href}/` === p)) return true
    let u: URL
    try {
      u = new URL(href)
    } catch {
      return false
    }
    const normal = `${u.origin}${u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`}`
    return prefixes.some((p) => normal.startsWith(p))
  }
}

/** What the redirect follower needs to know of its authorized fetch. */
export interface Hops {
  isAllowed: (url: URL) => boolean
  fetch: typeof fetch | undefined
  stopCrossOrigin: boolean
}
export const MANUAL = { redirect: 'manual' } as const
type Follower = typeof import('./follow.js').followRedirects
export const isRedirect = (r: Response) => r.status >= 300 && r.status < 400 && r.status !== 304

/**
 * An authorized `fetch`, with exactly fetch's signature:
 *
 * - attaches `Authorization: Bearer …` only to the allowed URLs;
 * - on a 401 asking for a bearer token, marks the token that failed as bad (only if it is
 *   still the current one — a late 401 for an old token never causes a second refresh), gets
 *   a fresh one and retries once when the body can be replayed; a second 401 is returned;
 * - a 403 `insufficient_scope` becomes an OAuthServerError with `scope`;
 * - follows redirects itself and sends the token on a hop only to an allowed URL (in browsers
 *   the platform does the same: the Fetch standard drops `Authorization` on a cross-origin
 *   redirect);
 * - never puts a token in a URL.
 *
 * @example
 * const api = createAuthorizedFetch({ tokens: session, apiUrls: ['https://api.example.com/v1'] })
 * const res = await api('https://api.example.com/v1/things')
 *
 * @group Tokens and sessions
 */
export function createAuthorizedFetch(options: AuthorizedFetchOptions): typeof fetch {
  if (typeof options?.tokens?.getAccessToken !== 'function')
    throw new ConfigError('invalid_config', 'createAuthorizedFetch needs tokens: a session, a TokenManager or another AccessTokenSource')
  const { tokens } = options
  return authorizedFetch(
    {
      isAllowed: urlMatcher(options.apiUrls as Array<string | URL>, options.allowInsecureHttp),
      fetch: options.fetch,
      dpop: options.dpop ?? tokens.dpop,
      stopCrossOrigin: options.crossOriginRedirects === 'stop',
      token: (signal) => tokens.getAccessToken(signal ? { signal } : {}),
      ...(tokens.validToken ? { cached: () => tokens.validToken!() } : {}),
    },
    // A 401 for the token sent: marked bad (only if it is still the current one), and the request sent once more with a fresh one.
    () => {
      let renewed = false
      return {
        unauthorized: async (_response, sent) => !renewed && ((renewed = true), sent !== undefined && tokens.invalidate(sent), true),
      }
    },
  )
}

/** What one request does when a server says no: true sends it again, with the token of the moment. */
export interface FetchRecovery {
  /** A 401 asking for a token (or a 403 `invalid_token`) for `sent` (undefined: none was sent). */
  unauthorized(response: Response, sent: string | undefined, href: string, signal: AbortSignal | undefined): Promise<boolean>
  /** A 403 `insufficient_scope`; without this, or when it says false, the 403 is the typed error. */
  insufficientScope?(response: Response, sent: string | undefined, href: string, signal: AbortSignal | undefined): Promise<boolean>
}

/** The one authorized fetch's configuration: where the token may go, how it is had, and how it is carried. */
export interface AuthorizedFetchCore {
  isAllowed: (url: string | URL) => boolean
  fetch: typeof fetch | undefined
  dpop?: TokenProof | undefined
  /** Whether the client has a DPoP key at all (a resource that wants one is told so, not sent a Bearer token again). Default: `dpop` is set. */
  proves?: boolean
  stopCrossOrigin?: boolean
  /** The token for a request; undefined sends it without one (its 401 then asks for one). */
  token(signal: AbortSignal | undefined): Promise<string | undefined>
  /** The current token when it is valid, synchronously: the request path needs no promise then. */
  cached?: () => string | undefined
}

/** No request is sent more often than this, whatever the recovery says (a loop's backstop: each recovery bounds itself). */

/**
 * The one authorized-fetch loop of every use case (`session.fetch`, the browser client's
 * fetch, oauthkit/mcp): the token only to allowed URLs, redirects followed here with the token
 * only on allowed hops, DPoP proofs and nonces, and on a 401 or a 403 `insufficient_scope`
 * what the use case's {@link FetchRecovery} says (a refresh; a sign-in; a step-up), then the
 * request once more. Requests to other URLs pass unchanged.
 */
export function authorizedFetch(core: AuthorizedFetchCore, recovery: () => FetchRecovery): typeof fetch {
  const hops: Hops = { isAllowed: (url) => core.isAllowed(url), fetch: core.fetch, stopCrossOrigin: core.stopCrossOrigin ?? false }
  return function authorizedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const doFetch = core.fetch ?? globalThis.fetch
    const request = input instanceof Request ? input : undefined
    const href = hrefOf(input)
    if (href === undefined || !core.isAllowed(href)) return doFetch(input, init)
    // Follow redirects here (Node) only where the caller left fetch to follow them.
    const follow = (init?.redirect ?? request?.redirect ?? 'follow') === 'follow' ? follower : undefined

    // The request path: a valid cached token, a URL and plain headers — no promise to wait
    // for before sending, no Headers object, one continuation.
    const cached = core.dpop ? undefined : core.cached?.()
    const plain = cached !== undefined && !request ? plainHeaders(init?.headers, cached) : undefined
    if (plain) {
      const sent = doFetch(href, { ...init, headers: plain, ...(follow ? MANUAL : {}) })
      return sent.then((response) =>
        needsCare(response)
          ? answerLazily({ core, hops, init, href, follow }, recovery(), response, cached, undefined, init?.signal ?? undefined)
          : response,
      )
    }
    return (async () => {
      const replay = request ? request.clone() : undefined
      const signal = init?.signal ?? request?.signal ?? undefined
      const token = await core.token(signal)
      const call: Call = { core, hops, init, href, follow }
      const response = await send(call, token, request)
      return needsCare(response) ? answerLazily(call, recovery(), response, token, replay, signal) : response
    })()
  }
}

/** One call of the authorized fetch: its configuration, and the request as the caller made it. */
export interface Call {
  core: AuthorizedFetchCore
  hops: Hops
  init: RequestInit | undefined
  href: string
  follow: Follower | undefined
}

/** Sends the request with `token` (none when undefined), and follows its redirects, the token only on allowed hops. */
async function send({ core, hops, init, href, follow }: Call, token: string | undefined, base: Request | undefined): Promise<Response> {
  const doFetch = core.fetch ?? globalThis.fetch
  const headers = new Headers(init?.headers ?? base?.headers)
  const nextInit = { ...init, headers, ...(follow ? MANUAL : {}) }
  // Sending a Request consumes its body: a redirect that keeps the body needs a copy.
  const spare = follow && base ? base.clone() : undefined
  let response: Response
  if (core.dpop && token !== undefined) response = await core.dpop.send(doFetch, token, href, nextInit, base)
  else {
    if (token !== undefined) headers.set('authorization', `Bearer ${token}`)
    response = await (base ? doFetch(new Request(base, nextInit)) : doFetch(href, nextInit))
  }
  return follow && isRedirect(response)
    ? follow(response, href, init, spare, (url, method) => (token === undefined ? {} : carrying(core.dpop, token, method, url)), hops)
    : response
}

/**
 * What a 401, a 403 or a redirect calls for (fetch/answer.ts), loaded the first time one comes;
 * if it cannot be loaded, the response is the answer, as a plain fetch's would be.
 */
async function answerLazily(...args: AnswerArgs): Promise<Response> {
  const chunk = await import('./answer.js').catch(() => undefined)
  return chunk ? chunk.answer({ send, carrying, OAuthServerError, redactUrl, bearerChallenge, parseWwwAuthenticate }, ...args) : args[2]
}

/** The answer's arguments after what it is handed: the call, its recovery, the response, the token sent, a replayable copy, the signal. */
type AnswerArgs = Parameters<typeof import('./answer.js').answer> extends [unknown, ...infer Rest] ? Rest : never

/** The headers that carry the token to `href`: Bearer, or DPoP with its proof. */
function carrying(
  dpop: TokenProof | undefined,
  token: string,
  method: string,
  href: string,
): Record<string, string> | Promise<Record<string, string>> {
  return dpop ? dpop.headers(token, method, href) : { authorization: `Bearer ${token}` }
}

/** The follower's code, loaded on the first redirect; if it cannot be loaded, the redirect is the answer (as with `redirect: 'manual'`). */
const followLazily: Follower = async (first, ...rest) => {
  const chunk = await import('./follow.js').catch(() => undefined)
  return chunk ? chunk.followRedirects(first, ...rest) : first
}

/** `true` in the browser build (package.json's `browser` condition), set by tsup's `define`. */
declare const __OAUTHKIT_BROWSER__: boolean | undefined

/**
 * The redirect follower, where the authorized fetch follows redirects itself so that a hop gets
 * the token only when it is an allowed URL. Not in browsers and their workers: `redirect:
 * 'manual'` hides the Location there, and the platform already drops `Authorization` on a
 * cross-origin hop. The browser build leaves the follower's code out altogether.
 */
export const follower =
  (typeof __OAUTHKIT_BROWSER__ !== 'undefined' && __OAUTHKIT_BROWSER__) ||
  typeof (globalThis as { document?: unknown }).document !== 'undefined' ||
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined'
    ? undefined
    : followLazily

/** The absolute URL a fetch call targets (a relative one resolved against the page, in browsers), or undefined. */
export function hrefOf(input: RequestInfo | URL): string | undefined {
  const href = input instanceof Request ? input.url : input instanceof URL ? input.href : String(input)
  if (/^https?:/i.test(href)) return href
  const page = (globalThis as { location?: { href: string } }).location?.href
  return URL.canParse(href, page) ? new URL(href, page).href : undefined
}

/** Statuses that need more than handing the response back. */
function needsCare(response: Response): boolean {
  const status = response.status
  return status === 401 || status === 403 || isRedirect(response)
}

/**
 * `init.headers` plus the bearer token as a plain object, when that is safe (absent or a
 * plain object without an Authorization key of its own); otherwise undefined.
 */
function plainHeaders(headers: HeadersInit | undefined, token: string): Record<string, string> | undefined {
  if (headers === undefined) return { authorization: `Bearer ${token}` }
  if (headers instanceof Headers || Array.isArray(headers)) return undefined
  for (const key in headers) if (key.toLowerCase() === 'authorization') return undefined
  return { ...(headers as Record<string, string>), authorization: `Bearer ${token}` }
}
