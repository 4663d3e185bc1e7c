// The only module that imports ky: the move to ky 2 (Node 22) is this one file.
import ky, { type KyInstance, type Options } from 'ky'
import { isOAuthKitError } from '../errors.js'
import type { AccessTokenSource } from '../token/manager.js'
import { createAuthorizedFetch } from './authorized-fetch.js'

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
 * A ky instance whose `fetch` is the one authorized fetch (the one `session.fetch` is): the
 * token on `apiUrls` only, one refresh and one retry on a 401 asking for a new token, DPoP
 * proofs and nonces, redirects with the token on allowed hops only, a typed error on 403
 * `insufficient_scope`; requests elsewhere pass unchanged. ky's own options — `timeout`,
 * `retry` of idempotent requests, hooks — apply as usual; a token that could not be had is not
 * retried by ky (the token manager already coalesced the attempt). To add oauthkit to an
 * instance you already have, extend it with the session's fetch: `mine.extend({ fetch: session.fetch })`.
 *
 * @example
 * const api = createAuthorizedKy(session, { apiUrls: ['https://api.example.com/v1'], prefixUrl: 'https://api.example.com/v1' })
 * const things = await api.get('things').json()
 */
export function createAuthorizedKy(tokens: AccessTokenSource, options: KyAuthOptions & Options): KyInstance {
  const { apiUrls, allowInsecureHttp, retry, fetch, ...kyOptions } = options
  const authorized = createAuthorizedFetch({
    tokens,
    apiUrls: apiUrls as Array<string | URL>,
    ...(allowInsecureHttp ? { allowInsecureHttp } : {}),
    ...(fetch ? { fetch } : {}),
  })
  const retryOptions = typeof retry === 'number' ? { limit: retry } : (retry ?? {})
  return ky.create({
    ...kyOptions,
    fetch: authorized,
    retry: {
      ...retryOptions,
      // A token that could not be had is the token manager's business: it already coalesced
      // the attempt and the next call tries again; ky retrying it would multiply requests.
      shouldRetry: (state) => (isOAuthKitError(state.error) ? false : retryOptions.shouldRetry?.(state)),
    },
  })
}
