import { ConfigError, ResponseError } from '../errors.js'
import { send, type HttpOptions } from '../http/transport.js'

export interface EpturaCodeRequest {
  site: string
  username: string
  password: string
  clientId: string
  redirectUri: string
  scope: string
  http?: HttpOptions
  signal?: AbortSignal
}

/**
 * Eptura Workplace's "alternate authorization code request" (seeds/002): an authorization
 * code without a browser, from `POST <site>/external/api/oauth2/auth` with the `x-auth-*`
 * headers; the answer is `{ "code": "…" }`. Exchange it with `client.exchangeCode({ code })`.
 * The code expires after 5 minutes. The password travels in a header, as the vendor requires:
 * over https only (the transport enforces it).
 */
export async function requestEpturaCode(options: EpturaCodeRequest): Promise<string> {
  for (const field of ['site', 'username', 'password', 'clientId', 'redirectUri', 'scope'] as const) {
    if (!options?.[field]) throw new ConfigError('invalid_config', `requestEpturaCode needs ${field}`)
  }
  const site = /^https?:\/\//i.test(options.site) ? options.site : `https://${options.site}`
  const url = new URL('/external/api/oauth2/auth', site)
  const response = await send(
    'vendor',
    url,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-auth-username': options.username,
        'x-auth-password': options.password,
        'x-client-id': options.clientId,
        'x-redirect-uri': options.redirectUri,
        'x-scope': options.scope,
      },
      ...(options.signal ? { signal: options.signal } : {}),
    },
    options.http,
  )
  const where = `${url.origin}${url.pathname}`
  let body: unknown
  try {
    body = await response.json()
  } catch (err) {
    throw new ResponseError('invalid_json', `Eptura code request at ${where} answered ${response.status} without JSON`, { status: response.status, url: where, cause: err })
  }
  if (!response.ok) {
    throw new ResponseError('unexpected_status', `Eptura code request at ${where} was refused (HTTP ${response.status}); check the username, password, client id and redirect URI`, {
      status: response.status,
      url: where,
      response,
    })
  }
  const code = (body as { code?: unknown })?.code
  if (typeof code !== 'string' || code === '') {
    throw new ResponseError('invalid_response', `Eptura code request at ${where} answered without a "code" string`, { url: where })
  }
  return code
}
