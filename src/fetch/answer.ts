// What the authorized fetch does when the answer is not the response itself — a 401 asking for a
// token, a 403 asking for more scope, a redirect to follow — loaded the first time one comes. It
// imports no value (what it needs is handed in: AnswerKit), so that bundlers put it in a chunk
// of its own, and the Node build's shared module stays one file.
import type { OAuthServerError as ServerError, redactUrl as Redact } from '../errors.js'
import type { Challenge, bearerChallenge as Bearer, parseWwwAuthenticate as Parse } from '../internal/www-authenticate.js'
import type { TokenProof } from '../types.js'
import type { Call, FetchRecovery } from './authorized-fetch.js'

/** What the answer needs of the authorized fetch and of the error family. */
export interface AnswerKit {
  send(call: Call, token: string | undefined, base: Request | undefined): Promise<Response>
  carrying(
    dpop: TokenProof | undefined,
    token: string,
    method: string,
    href: string,
  ): Record<string, string> | Promise<Record<string, string>>
  OAuthServerError: typeof ServerError
  redactUrl: typeof Redact
  bearerChallenge: typeof Bearer
  parseWwwAuthenticate: typeof Parse
}

/** No request is sent more often than this, whatever the recovery says (a loop's backstop: each recovery bounds itself). */
const MAX_ROUNDS = 8

/** The Bearer challenge of a 403 `insufficient_scope` (RFC 6750 §3.1), with the `scope` it asks for; undefined for any other response. */
export function insufficientScope(kit: Pick<AnswerKit, 'bearerChallenge'>, response: Response): Challenge | undefined {
  const challenge = response.status === 403 ? kit.bearerChallenge(response.headers.get('www-authenticate')) : undefined
  return challenge?.params.error === 'insufficient_scope' ? challenge : undefined
}

/**
 * Throws a typed error for a 403 `insufficient_scope` challenge (RFC 6750 §3.1), carrying the
 * scope the server asked for. Any other response passes.
 */
export function checkInsufficientScope(
  kit: Pick<AnswerKit, 'OAuthServerError' | 'redactUrl' | 'bearerChallenge'>,
  response: Response,
  url: string,
): void {
  const challenge = insufficientScope(kit, response)
  if (!challenge) return
  const scope = challenge.params.scope
  const { OAuthServerError, redactUrl } = kit
  throw new OAuthServerError('oauth_error', `${redactUrl(url)} needs more scope${scope ? `: ${scope}` : ''}; sign in again asking for it`, {
    status: 403,
    error: 'insufficient_scope',
    ...(challenge.params.error_description ? { errorDescription: challenge.params.error_description } : {}),
    ...(scope ? { scope } : {}),
    url: redactUrl(url),
    response,
  })
}

/** A 401 that asks for a (new) bearer token (a Bearer challenge, or no challenge at all), or a 403 whose Bearer challenge says `invalid_token`. */
export function asksForNewToken(kit: Pick<AnswerKit, 'parseWwwAuthenticate'>, response: Response): boolean {
  if (response.status !== 401 && response.status !== 403) return false
  const header = response.headers.get('www-authenticate')
  if (!header) return response.status === 401
  // DPoP's challenges (RFC 9449 §7.1) mean what Bearer's do; its use_dpop_nonce asks for a nonce, not a token.
  const bearer = kit.parseWwwAuthenticate(header).filter((c) => /^(bearer|dpop)$/i.test(c.scheme) && c.params.error !== 'use_dpop_nonce')
  // RFC 6750 §3.1 says 401 for an expired or revoked token; servers also answer 403 + invalid_token.
  return response.status === 401 ? bearer.length > 0 : bearer.some((c) => c.params.error === 'invalid_token')
}

/** A 401 whose challenges name DPoP and not Bearer (RFC 9449 §7.1): the resource wants a proof of possession. */
function asksForDpop(kit: Pick<AnswerKit, 'parseWwwAuthenticate'>, response: Response): boolean {
  const schemes =
    response.status === 401 ? kit.parseWwwAuthenticate(response.headers.get('www-authenticate')).map((c) => c.scheme.toLowerCase()) : []
  return schemes.includes('dpop') && !schemes.includes('bearer')
}

/** Redirects, a 401 asking for a new token, a 403 for more scope: what the recovery says, then the request once more. */
export async function answer(
  kit: AnswerKit,
  call: Call,
  steps: FetchRecovery,
  first: Response,
  token: string | undefined,
  replay: Request | undefined,
  signal: AbortSignal | undefined,
): Promise<Response> {
  const { core, hops, init, href, follow } = call
  let response = first
  let sent = token
  if (follow && response.status >= 300 && response.status < 400 && response.status !== 304)
    response = await follow(
      response,
      href,
      init,
      replay,
      (url, method) => (sent === undefined ? {} : kit.carrying(core.dpop, sent, method, url)),
      hops,
    )
  // A resource that takes only DPoP-bound tokens, and a client without a key: a new Bearer token would be refused the same way.
  if (!(core.proves ?? core.dpop) && asksForDpop(kit, response))
    throw new kit.OAuthServerError(
      'oauth_error',
      `${kit.redactUrl(href)} takes only DPoP-bound tokens (its WWW-Authenticate names DPoP, not Bearer): give the client a DPoP key (createDPoP); renewing the Bearer token would not help`,
      { status: response.status, url: kit.redactUrl(href), response },
    )
  const replayable = replay !== undefined || !(init?.body instanceof ReadableStream)
  for (let round = 1; replayable && round < MAX_ROUNDS; round++) {
    const again = asksForNewToken(kit, response)
      ? await steps.unauthorized(response, sent, href, signal)
      : insufficientScope(kit, response) && steps.insufficientScope
        ? await steps.insufficientScope(response, sent, href, signal)
        : false
    if (!again) break
    void response.body?.cancel().catch(() => {})
    sent = await core.token(signal)
    response = await kit.send(call, sent, replay?.clone())
  }
  checkInsufficientScope(kit, response, response.url || href)
  return response
}
