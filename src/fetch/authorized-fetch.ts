import { ConfigError, OAuthServerError, redactUrl } from '../errors.js'
import { bearerChallenge, parseWwwAuthenticate } from '../internal/www-authenticate.js'
import type { AccessTokenSource } from '../token/manager.js'

export interface AuthorizedFetchOptions {
  tokens: AccessTokenSource
  /**
   * The API base URLs the token may be sent to (origin plus path prefix). Nothing is guessed:
   * any other URL gets the request without a token.
   */
  allowedUrls: Array<string | URL>
  /** The fetch to wrap; defaults to `globalThis.fetch`, looked up at call time. */
  fetch?: typeof fetch
}

/** Matches URLs against the configured base URLs (origin + path prefix at a `/` boundary). */
export function urlMatcher(allowed: Array<string | URL>): (url: string | URL) => boolean {
  if (!Array.isArray(allowed) || allowed.length === 0) {
    throw new ConfigError('invalid_config', 'allowedUrls must list the API base URLs the token may be sent to (e.g. ["https://api.example.com/v1"])')
  }
  const bases = allowed.map((value) => {
    let u: URL
    try {
      u = new URL(value)
    } catch {
      throw new ConfigError('invalid_config', `allowedUrls has ${JSON.stringify(String(value))}, which is not an absolute URL`)
    }
    const path = u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`
    return { origin: u.origin, path }
  })
  return (url) => {
    let u: URL
    try {
      u = typeof url === 'string' ? new URL(url) : url
    } catch {
      return false
    }
    const path = u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`
    return bases.some((b) => b.origin === u.origin && path.startsWith(b.path))
  }
}

/** True where fetch's `redirect: 'manual'` hides the Location (browsers and their workers). */
const IN_BROWSER = typeof (globalThis as { document?: unknown }).document !== 'undefined' || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined'

const MAX_REDIRECTS = 20

/**
 * Throws a typed error for a 403 `insufficient_scope` challenge (RFC 6750 §3.1), carrying the
 * scope the server asked for. Any other response passes.
 */
export function checkInsufficientScope(response: Response, url: string): void {
  if (response.status !== 403) return
  const challenge = bearerChallenge(response.headers.get('www-authenticate'))
  if (challenge?.params.error !== 'insufficient_scope') return
  const scope = challenge.params.scope
  throw new OAuthServerError(
    'oauth_error',
    `${redactUrl(url)} needs more scope${scope ? `: ${scope}` : ''}; request a token with it (sign in again with the scope added)`,
    {
      status: 403,
      error: 'insufficient_scope',
      ...(challenge.params.error_description ? { errorDescription: challenge.params.error_description } : {}),
      ...(scope ? { scope } : {}),
      url: redactUrl(url),
      response,
    },
  )
}

/** A 401 that asks for a (new) bearer token: a Bearer challenge, or no challenge at all. */
export function asksForNewToken(response: Response): boolean {
  if (response.status !== 401) return false
  const header = response.headers.get('www-authenticate')
  if (!header) return true
  return parseWwwAuthenticate(header).some((c) => c.scheme.toLowerCase() === 'bearer')
}

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
 */
export function createAuthorizedFetch(options: AuthorizedFetchOptions): typeof fetch {
  const isAllowed = urlMatcher(options.allowedUrls)
  const { tokens } = options

  return async function authorizedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const doFetch = options.fetch ?? globalThis.fetch
    const request = input instanceof Request ? input : undefined
    const href = request ? request.url : input instanceof URL ? input.href : String(input)
    let url: URL
    try {
      url = new URL(href, (globalThis as { location?: { href: string } }).location?.href)
    } catch {
      return doFetch(input, init)
    }
    if (!isAllowed(url)) return doFetch(input, init)

    // What a retry or a redirect hop needs to send the request again.
    const replay = request ? request.clone() : undefined
    const replayable = request ? true : !(init?.body instanceof ReadableStream)
    const followHere = !IN_BROWSER && (init?.redirect ?? request?.redirect ?? 'follow') === 'follow'

    const send = (token: string, from?: Request): Promise<Response> => {
      const base = from ?? request
      const headers = new Headers(init?.headers ?? base?.headers)
      headers.set('authorization', `Bearer ${token}`)
      const nextInit: RequestInit = { ...init, headers, ...(followHere ? { redirect: 'manual' } : {}) }
      return base ? doFetch(new Request(base, nextInit)) : doFetch(url, nextInit)
    }

    const token = await tokens.getAccessToken(init?.signal ? { signal: init.signal } : {})
    let response = await send(token, request)
    if (followHere) response = await follow(response, url, init, replay, token)

    if (asksForNewToken(response) && replayable) {
      tokens.invalidate(token)
      const fresh = await tokens.getAccessToken(init?.signal ? { signal: init.signal } : {})
      void response.body?.cancel().catch(() => {})
      response = await send(fresh, replay?.clone())
      if (followHere) response = await follow(response, url, init, replay, fresh)
    }
    checkInsufficientScope(response, response.url || url.href)
    return response

    /** Follows redirects: the token goes only to allowed URLs; 303 (and 301/302 after POST) become GET. */
    async function follow(first: Response, start: URL, reqInit: RequestInit | undefined, req: Request | undefined, bearer: string): Promise<Response> {
      let response = first
      let current = start
      let method = (reqInit?.method ?? req?.method ?? 'GET').toUpperCase()
      let body: BodyInit | null | undefined = reqInit?.body
      for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
        const location = response.headers.get('location')
        if (response.status < 300 || response.status >= 400 || response.status === 304 || !location) return response
        const next = new URL(location, current)
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
          method = method === 'HEAD' ? 'HEAD' : 'GET'
          body = undefined
        } else if (req && !reqInit?.body && method !== 'GET' && method !== 'HEAD') {
          body = await req.clone().arrayBuffer()
        }
        const headers = new Headers(reqInit?.headers ?? req?.headers)
        if (next.origin !== current.origin) {
          headers.delete('cookie')
          headers.delete('proxy-authorization')
        }
        if (method === 'GET' || method === 'HEAD') headers.delete('content-type')
        if (isAllowed(next)) headers.set('authorization', `Bearer ${bearer}`)
        else headers.delete('authorization')
        void response.body?.cancel().catch(() => {})
        response = await doFetch(next, {
          ...reqInit,
          method,
          headers,
          body: method === 'GET' || method === 'HEAD' ? null : (body ?? null),
          redirect: 'manual',
        })
        current = next
      }
      return response
    }
  }
}
