import { ConfigError, NetworkError, ResponseError, cleanText, isOAuthKitError, redactUrl } from '../errors.js'
import { answerError, rememberAnswer } from '../protocol/run/translate.js'

/** One personal access token as EPISHIP lists it; every field the server sent is kept. */
export interface PersonalAccessToken {
  id: string
  name?: string
  scope?: string
  [field: string]: unknown
}

/**
 * Where EPISHIP lists and revokes personal access tokens, and the authorized fetch to use.
 */
export interface PersonalAccessTokensOptions {
  /** The EPISHIP API base URL. */
  baseUrl: string
  /** An authorized fetch (`session.fetch`) whose allowed URLs include `baseUrl`. */
  fetch: typeof fetch
  /** The document publishes no paths: both are configurable. `{id}` is replaced. */
  paths?: { list?: string; revoke?: string }
}

/**
 * EPISHIP (its "OAuth Authentication API" page): "List all active Personal Access Tokens for the authenticated user"
 * and "Revoke (delete) specific tokens". The document gives no paths or shapes; the defaults
 * are the common REST ones and the list may be an array or `{ data: [...] }` / `{ tokens: [...] }`.
 *
 * @example
 * const pats = personalAccessTokens({ baseUrl, fetch: session.fetch })
 * for (const t of await pats.list()) console.log(t.id, t.name)
 */
export function personalAccessTokens(options: PersonalAccessTokensOptions) {
  if (!options?.baseUrl || typeof options.fetch !== 'function') {
    throw new ConfigError('invalid_config', 'personalAccessTokens needs baseUrl and an authorized fetch (session.fetch)')
  }
  const root = options.baseUrl.replace(/\/$/, '')
  const paths = { list: '/oauth/personal_access_tokens', revoke: '/oauth/personal_access_tokens/{id}', ...options.paths }
  return {
    /** The user's active personal access tokens. */
    async list(): Promise<PersonalAccessToken[]> {
      const url = root + paths.list
      const res = await call(options.fetch, url, { headers: { accept: 'application/json' } }, 'listing personal access tokens')
      const body = (await res.json().catch(() => undefined)) as unknown
      const list = Array.isArray(body)
        ? body
        : ((body as { data?: unknown; tokens?: unknown })?.data ?? (body as { tokens?: unknown })?.tokens)
      if (
        !Array.isArray(list) ||
        !list.every((t) => t && typeof t === 'object' && ['string', 'number'].includes(typeof (t as { id?: unknown }).id))
      ) {
        throw new ResponseError('invalid_response', `personal access tokens at ${redactUrl(url)}: expected a list of objects with an id`, {
          url: redactUrl(url),
        })
      }
      return list.map((t) => ({ ...(t as object), id: String((t as { id: unknown }).id) }) as PersonalAccessToken)
    },
    /** Revokes (deletes) one personal access token by its id. */
    async revoke(id: string): Promise<void> {
      if (!id) throw new ConfigError('invalid_config', 'revoke needs the token id')
      const url = root + paths.revoke.replace('{id}', encodeURIComponent(id))
      // Already gone (404) is what was asked for.
      await call(options.fetch, url, { method: 'DELETE' }, `revoking personal access token ${cleanText(id, 40)}`, 404)
    },
  }
}

/**
 * One call to EPISHIP's API through the authorized fetch: a network failure is a NetworkError,
 * and an unsuccessful answer the server's error (a 401 without one: the token is refused).
 */
async function call(fetch: typeof globalThis.fetch, url: string, init: RequestInit, what: string, alsoOk?: number): Promise<Response> {
  let res: Response
  try {
    res = await fetch(url, init)
  } catch (err) {
    if (isOAuthKitError(err)) throw err
    throw new NetworkError('network_error', `${what} at ${redactUrl(url)} failed: could not reach the server`, {
      cause: err,
      url: redactUrl(url),
    })
  }
  if (res.ok || res.status === alsoOk) return res
  rememberAnswer(res, await res.text().catch(() => ''), undefined, Date.now())
  throw await answerError(res, `${what} at ${redactUrl(url)}`, redactUrl(url), res.status === 401 ? 'invalid_token' : 'access_denied')
}
