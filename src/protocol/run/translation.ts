// The error translation, loaded only when something failed: what errors from below (oauth4webapi,
// the platform) mean for oauthkit. It imports no value, so that bundlers put it in a chunk of its
// own that a run without failures never loads; what it needs is handed in (the TranslationKit
// of translate.ts, which also says what happens when this chunk cannot be loaded).
import type * as o from 'oauth4webapi'
import type { ErrorCode, OAuthKitError, OAuthKitErrorOptions } from '../../errors.js'
import type { Answer, TranslationKit } from './translate.js'

function said(answer: Answer, problem: string): string {
  return `the server answered ${answer.status} (${answer.contentType})${answer.excerpt ? `: ${answer.excerpt}` : `; ${problem}`}`
}

/** What to do about the server errors that are the client's to fix, said in the message. */
const HINTS: Record<string, string> = {
  invalid_client: '; check the client id and its credentials',
  invalid_scope: '; the scope asked for is wrong or not allowed for this client',
  unauthorized_client: '; this client may not use this grant',
}

/**
 * The error for an unsuccessful answer to a request that oauth4webapi did not process (a
 * vendor's own endpoint): the server's OAuth error when the body has one; a 400, 401 or 403
 * without one as `refused` (e.g. `access_denied` for credentials a user typed); anything else
 * as `unexpected_status`, saying what came back.
 */
export function answerError(kit: TranslationKit, response: Response, operation: string, url: string, refused: string): OAuthKitError {
  const { answers, cleanText, oauthKitError } = kit
  const answer = answers.get(response) ?? { status: response.status, contentType: '', excerpt: '', redact: (text: string) => text }
  const context = { url, status: answer.status, ...(answer.retryAfter === undefined ? {} : { retryAfter: answer.retryAfter }) }
  const error = answer.oauth?.error ?? ([400, 401, 403].includes(answer.status) ? refused : undefined)
  if (error === undefined) return oauthKitError('unexpected_status', `${operation} failed: ${said(answer, 'unexpected status')}`, context)
  // Without an OAuth error body, what the server said (cleaned, secrets redacted) is the description.
  const description = answer.oauth ? answer.oauth.description : answer.excerpt
  return oauthKitError(
    'oauth_error',
    `${operation} failed: ${cleanText(error, 60)}: the server answered ${answer.status}${description ? ` (${cleanText(description)})` : ''}`,
    {
      ...context,
      error,
      ...(description ? { errorDescription: description } : {}),
    },
  )
}

/**
 * The one place where errors from below (oauth4webapi, the platform) become oauthkit errors.
 * `operation` reads as the start of a sentence: "client_credentials grant", "discovery", …
 * The server's OAuth error in the body wins over a default taken from a `WWW-Authenticate`
 * challenge; text from the server is cleaned before it reaches a message.
 */
export function translateError(kit: TranslationKit, err: unknown, operation: string, url?: string): OAuthKitError {
  const { o, answers, cleanText, isOAuthKitError, oauthKitError, redactUrl } = kit
  if (isOAuthKitError(err)) return err
  const failed = `${operation} failed: `
  const response = (err as { response?: unknown } | undefined)?.response ?? (err as { cause?: unknown } | undefined)?.cause
  const answer = response instanceof Response ? answers.get(response) : undefined
  const context = {
    url,
    cause: err,
    ...(answer ? { status: answer.status } : {}),
    ...(answer?.retryAfter === undefined ? {} : { retryAfter: answer.retryAfter }),
  }

  // An OAuth error body wins, whatever the status (a 503 with temporarily_unavailable, say).
  const bodyError = answer?.oauth && err instanceof o.OperationProcessingError && err.code === o.RESPONSE_IS_NOT_CONFORM
  if (err instanceof o.ResponseBodyError || err instanceof o.WWWAuthenticateChallengeError || bodyError) {
    return serverError(kit, err, answer, response instanceof Response ? response : undefined, failed, context)
  }
  if (err instanceof o.OperationProcessingError) {
    const code = codes(o)[err.code ?? ''] ?? 'invalid_response'
    if (err.code === o.JSON_ATTRIBUTE_COMPARISON) {
      const { attribute, expected, body } = (err.cause ?? {}) as { attribute?: string; expected?: string; body?: Record<string, unknown> }
      // RFC 8414 §3.3 / RFC 9728 §3.3: the document must name exactly what was asked for.
      if (attribute === 'issuer' || attribute === 'resource') {
        return oauthKitError(
          `${attribute}_mismatch`,
          `${failed}the document names ${attribute} ${cleanText(JSON.stringify(body?.[attribute]), 100)}, not ${redactUrl(String(expected))}; refusing it`,
          { url, cause: err },
        )
      }
    }
    // An unsuccessful answer that is no OAuth error is, first of all, an unexpected status.
    const truthful = answer && answer.status >= 300 && (code === 'not_json' || code === 'invalid_json') ? 'unexpected_status' : code
    return oauthKitError(truthful, failed + (answer ? said(answer, cleanText(err.message)) : cleanText(err.message)), context)
  }
  if (err instanceof TypeError && typeof (err as { code?: unknown }).code === 'string') {
    // oauth4webapi's argument checks (ERR_INVALID_ARG_TYPE / _VALUE)
    return oauthKitError('invalid_config', `${operation}: ${cleanText(err.message)}`, { url, cause: err })
  }
  // UnsupportedOperationError and anything unforeseen
  return oauthKitError('invalid_response', failed + cleanText(err instanceof Error ? err.message : err), context)
}

/** The server said no: its OAuth error body (which wins), else a challenge's error, else what a challenge without one means. */
function serverError(
  { o, cleanText, oauthKitError }: TranslationKit,
  err: o.ResponseBodyError | o.WWWAuthenticateChallengeError | o.OperationProcessingError,
  answer: Answer | undefined,
  response: Response | undefined,
  failed: string,
  context: OAuthKitErrorOptions,
): OAuthKitError {
  const status = answer?.status ?? (err as o.ResponseBodyError).status
  const challenge = err instanceof o.WWWAuthenticateChallengeError ? err.cause[0] : undefined
  const params = challenge?.parameters
  const fallback = challenge && !/^(bearer|dpop)$/i.test(challenge.scheme) ? 'invalid_client' : 'invalid_token'
  const redact = answer?.redact ?? ((text: string) => text)
  const error = answer?.oauth?.error ?? redact(err instanceof o.ResponseBodyError ? err.error : (params?.error ?? fallback))
  const description = answer?.oauth?.description ?? (params?.error_description === undefined ? undefined : redact(params.error_description))
  const how = challenge && !answer?.oauth ? ` with a ${cleanText(challenge.scheme, 20)} challenge` : ''
  const hint = Object.hasOwn(HINTS, error) ? HINTS[error] : ''
  return oauthKitError(
    'oauth_error',
    `${failed}the server answered ${status}${how}: ${cleanText(error, 60)}${description ? ` (${cleanText(description)})` : ''}${hint}`,
    {
      ...context,
      status,
      error,
      ...(description === undefined ? {} : { errorDescription: description }),
      ...(answer?.oauth?.uri ? { errorUri: answer.oauth.uri } : {}),
      ...(params?.scope ? { scope: params.scope } : {}),
      ...(response ? { response } : {}),
    },
  )
}

/** oauth4webapi's error codes, as oauthkit's. */
const codes = (o: TranslationKit['o']): Record<string, ErrorCode> => ({
  [o.RESPONSE_IS_NOT_JSON]: 'not_json',
  [o.PARSE_ERROR]: 'invalid_json',
  [o.RESPONSE_IS_NOT_CONFORM]: 'unexpected_status',
  [o.INVALID_RESPONSE]: 'invalid_response',
  [o.JWT_TIMESTAMP_CHECK]: 'invalid_id_token',
  [o.JWT_CLAIM_COMPARISON]: 'invalid_id_token',
  [o.KEY_SELECTION]: 'invalid_id_token',
  [o.MISSING_SERVER_METADATA]: 'missing_endpoint',
  [o.INVALID_SERVER_METADATA]: 'invalid_metadata',
  [o.HTTP_REQUEST_FORBIDDEN]: 'insecure_url',
  [o.REQUEST_PROTOCOL_FORBIDDEN]: 'insecure_url',
})
