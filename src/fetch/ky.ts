// The only module that imports ky: the move to ky 2 (Node 22) is this one file.
import ky, { type Hooks, type KyInstance, type Options } from 'ky'
import { isOAuthKitError } from '../errors.js'
import type { AccessTokenSource } from '../token/manager.js'
import { asksForNewToken, checkInsufficientScope, urlMatcher } from './authorized-fetch.js'

/**
 * Where the ky integration may send the token: the API base URLs.
 */
export interface KyAuthOptions {
  /** The API base URLs the token may be sent to; nothing else gets it. */
  apiUrls?: Array<string | URL>
  /** Allow `apiUrls` on plain `http:` off loopback (the token would cross the network in clear). Default false. */
  allowInsecureHttp?: boolean
}

/**
 * Hooks to merge into your own ky instance: the bearer token on allowed URLs, one refresh and
 * one retry on a 401 asking for a new token (only on the first attempt, so a second 401 is
 * returned), and a typed error on 403 `insufficient_scope`. ky's own retry still handles
 * idempotent requests on network errors and 5xx. When merging these into your own instance,
 * also make `retry.shouldRetry` return false for oauthkit errors (as createAuthorizedKy does).
 *
 * @example
 * const api = ky.create({ hooks: kyAuthHooks(session, { apiUrls: ['https://api.example.com'] }) })
 */
export function kyAuthHooks(tokens: AccessTokenSource, options: KyAuthOptions): Hooks {
  const isAllowed = urlMatcher(options.apiUrls as Array<string | URL>, options.allowInsecureHttp)
  /** The token on `headers`: Bearer, or DPoP with a proof for the request (RFC 9449). */
  const authorize = async (headers: Headers, token: string, request: Request) => {
    headers.set('authorization', `${tokens.dpop ? 'DPoP' : 'Bearer'} ${token}`)
    if (tokens.dpop) headers.set('dpop', await tokens.dpop.proof(request.method, request.url, token))
  }
  return {
    beforeRequest: [
      async (request) => {
        // Another API's request (an instance shared with it) passes unchanged, its own credentials included.
        if (!isAllowed(request.url)) return
        await authorize(request.headers, await tokens.getAccessToken(request.signal ? { signal: request.signal } : {}), request)
      },
    ],
    afterResponse: [
      async (request, _options, response, state) => {
        if (!isAllowed(request.url)) return
        const used = /^(?:Bearer|DPoP) (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1]
        // A resource server asking for a DPoP nonce did nothing: once more, with the nonce.
        const nonce = tokens.dpop?.observe(request.url, response) && used !== undefined
        if ((nonce || asksForNewToken(response)) && state.retryCount === 0) {
          if (used && !nonce) tokens.invalidate(used)
          const headers = new Headers(request.headers)
          await authorize(headers, nonce ? used : await tokens.getAccessToken(), request)
          return ky.retry({ request: new Request(request, { headers }), delay: 0, code: nonce ? 'DPOP_NONCE' : 'TOKEN_REFRESHED' })
        }
        checkInsufficientScope(response, request.url)
        return undefined
      },
    ],
  }
}

/**
 * A ky instance that attaches and renews the session's bearer token.
 *
 * @example
 * const api = createAuthorizedKy(session, { apiUrls: ['https://api.example.com/v1'], prefixUrl: 'https://api.example.com/v1' })
 * const things = await api.get('things').json()
 */
export function createAuthorizedKy(tokens: AccessTokenSource, options: KyAuthOptions & Options): KyInstance {
  const { apiUrls, allowInsecureHttp, hooks, retry, ...kyOptions } = options
  const auth = kyAuthHooks(tokens, { apiUrls: apiUrls as Array<string | URL>, ...(allowInsecureHttp ? { allowInsecureHttp } : {}) })
  const retryOptions = typeof retry === 'number' ? { limit: retry } : (retry ?? {})
  return ky.create({
    ...kyOptions,
    retry: {
      ...retryOptions,
      // A token that could not be had is the token manager's business: it already coalesced
      // the attempt and the next call tries again; ky retrying it would multiply requests.
      shouldRetry: (state) => (isOAuthKitError(state.error) ? false : retryOptions.shouldRetry?.(state)),
    },
    hooks: {
      ...hooks,
      beforeRequest: [...(auth.beforeRequest ?? []), ...(hooks?.beforeRequest ?? [])],
      afterResponse: [...(auth.afterResponse ?? []), ...(hooks?.afterResponse ?? [])],
    },
  })
}
