import { ConfigError, ResponseError } from '../errors.js'
import { base } from '../dialects/presets.js'
import { pickHttpOptions, type HttpOptions } from '../http/options.js'
import { runOperation } from '../protocol/run/operation.js'
import { answerError } from '../protocol/run/translate.js'
import { parseUrl } from '../internal/url.js'

/** What Eptura's direct code request needs, and the {@link HttpOptions}, flat. */
export interface EpturaCodeRequest extends HttpOptions {
  site: string
  username: string
  password: string
  clientId: string
  redirectUri: string
  scope: string
}

/**
 * Eptura Workplace's "alternate authorization code request" (its "Using OAuth 2.0 to Access the API" page): an authorization
 * code without a browser, from `POST <site>/external/api/oauth2/auth` with the `x-auth-*`
 * headers; the answer is `{ "code": "…" }`. Exchange it with `client.exchangeCode({ code })`.
 * The code expires after 5 minutes. The password travels in a header, as the vendor requires:
 * over https only (the transport enforces it).
 *
 * @example
 * const code = await requestEpturaCode({ site, username, password, clientId, redirectUri, scope: 'email' })
 * const tokens = await client.exchangeCode({ code })
 */
export async function requestEpturaCode(options: EpturaCodeRequest): Promise<string> {
  for (const field of ['site', 'username', 'password', 'clientId', 'redirectUri', 'scope'] as const) {
    if (!options?.[field]) throw new ConfigError('invalid_config', `requestEpturaCode needs ${field}`)
  }
  // The site as the preset reads it (a path kept: a site under a path prefix), so both reach the same server.
  const url = parseUrl(`${base(options.site, 'Eptura site')}/external/api/oauth2/auth`, 'site')
  const where = `${url.origin}${url.pathname}`
  return runOperation(pickHttpOptions(options), {
    name: 'Eptura code request',
    endpoint: 'vendor',
    url: url.href,
    request: (_, send) =>
      send(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-auth-username': options.username,
          'x-auth-password': options.password,
          'x-client-id': options.clientId,
          'x-redirect-uri': options.redirectUri,
          'x-scope': options.scope,
        },
      }),
    process: (response) => epturaCode(response, where),
  })
}

async function epturaCode(response: Response, where: string): Promise<string> {
  // A refusal without an OAuth error body is the user's username or password (access_denied: ask again).
  if (!response.ok) throw await answerError(response, `Eptura code request at ${where}`, where, 'access_denied')
  let body: unknown
  try {
    body = await response.json()
  } catch (err) {
    throw new ResponseError('invalid_json', `Eptura code request at ${where} answered ${response.status} without JSON`, {
      status: response.status,
      url: where,
      cause: err,
    })
  }
  const code = (body as { code?: unknown })?.code
  if (typeof code !== 'string' || code === '') {
    throw new ResponseError('invalid_response', `Eptura code request at ${where} answered without a "code" string`, { url: where })
  }
  return code
}
