import * as o from 'oauth4webapi'
import { cleanText, isOAuthKitError, oauthKitError, redactUrl, type ErrorCode, type OAuthKitError } from '../../errors.js'
import type { AuthorizationServerMetadata } from '../../types.js'

/** What came back in an unsuccessful answer, read once on the operation path. */
export interface Answer {
  status: number
  contentType: string
  /** A short, cleaned excerpt of a body that is not an OAuth error, with the request's secrets redacted. */
  excerpt: string
  /** The OAuth error the body carried (RFC 6749 §5.2), when it carried one. */
  oauth?: { error: string; description?: string; uri?: string }
  /** Seconds from the `Retry-After` header. */
  retryAfter?: number
  /** Replaces the request's secrets in text from this answer (a challenge's parameters, say). */
  redact: (text: string) => string
}

const answers = new WeakMap<Response, Answer>()

/** The ways a server may echo a secret it was sent: raw, percent-encoded, form-encoded, base64 and base64url (padding aside). */
export function encodingsOf(secret: string): string[] {
  const percent = encodeURIComponent(secret)
  // base64 of the UTF-8 bytes (unescape turns the percent-encoding into them, one char each).
  const base64 = btoa(unescape(percent)).replace(/=+$/, '')
  return [secret, percent, new URLSearchParams([['', secret]]).toString().slice(1), base64, base64.replace(/\+/g, '-').replace(/\//g, '_')]
}

/**
 * A function that masks every secret in a text, in each of its encodings ({@link encodingsOf}),
 * percent-escapes in either letter case: one pass of one pattern, the longest first.
 */
export function redactor(secrets: string[]): (text: string) => string {
  const variants = [...new Set(secrets.flatMap(encodingsOf))].filter((v) => v.length >= 4).sort((a, b) => b.length - a.length)
  if (!variants.length) return (text) => text
  const pattern = new RegExp(variants.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi')
  return (text) => text.replace(pattern, '[redacted]')
}

/**
 * Records an unsuccessful answer for {@link translateError}: its OAuth error body if any, else
 * a cleaned excerpt, and `Retry-After`. `secrets` (what the request carried: client secret,
 * codes, tokens, passwords) are redacted from everything kept, in every encoding, in case the
 * server echoes them.
 */
export function rememberAnswer(response: Response, text: string, secrets: string[], now: number): void {
  const redact = redactor(secrets)
  const contentType = cleanText(response.headers.get('content-type')?.split(';')[0] ?? 'no content type', 60)
  // A successful answer may carry tokens: only its content type is kept.
  const excerpt = response.ok ? '' : cleanText(redact(text), 120) || '(empty body)'
  const answer: Answer = { status: response.status, contentType, excerpt, redact }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  const { error, error_description: description, error_uri: uri } = (body ?? {}) as Record<string, unknown>
  if (typeof error === 'string' && error !== '') {
    answer.oauth = { error: redact(error) }
    if (description !== undefined && description !== null)
      answer.oauth.description = redact(typeof description === 'string' ? description : JSON.stringify(description))
    if (typeof uri === 'string') answer.oauth.uri = redact(uri)
  }
  const retryAfter = retryAfterSeconds(response.headers.get('retry-after'), now)
  if (retryAfter !== undefined) answer.retryAfter = retryAfter
  answers.set(response, answer)
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date; at most a day is believed. */
function retryAfterSeconds(header: string | null, now: number): number | undefined {
  if (header === null) return undefined
  const value = header.trim()
  const seconds = /^\d+$/.test(value) ? Number(value) : (Date.parse(value) - now) / 1000
  return Number.isFinite(seconds) ? Math.min(Math.max(0, Math.ceil(seconds)), 86_400) : undefined
}

/** What the translation chunk is handed: the classes and codes of oauth4webapi it reads, the answers kept, the error family's makers. */
export interface TranslationKit {
  o: Pick<
    typeof o,
    | 'OperationProcessingError'
    | 'ResponseBodyError'
    | 'WWWAuthenticateChallengeError'
    | 'RESPONSE_IS_NOT_JSON'
    | 'PARSE_ERROR'
    | 'RESPONSE_IS_NOT_CONFORM'
    | 'INVALID_RESPONSE'
    | 'JWT_TIMESTAMP_CHECK'
    | 'JWT_CLAIM_COMPARISON'
    | 'KEY_SELECTION'
    | 'MISSING_SERVER_METADATA'
    | 'INVALID_SERVER_METADATA'
    | 'HTTP_REQUEST_FORBIDDEN'
    | 'REQUEST_PROTOCOL_FORBIDDEN'
    | 'JSON_ATTRIBUTE_COMPARISON'
  >
  answers: WeakMap<Response, Answer>
  cleanText: typeof cleanText
  isOAuthKitError: typeof isOAuthKitError
  oauthKitError: typeof oauthKitError
  redactUrl: typeof redactUrl
}

function kit(): TranslationKit {
  // Each by name (a namespace destructured would keep every export of oauth4webapi in the bundle).
  return {
    o: {
      OperationProcessingError: o.OperationProcessingError,
      ResponseBodyError: o.ResponseBodyError,
      WWWAuthenticateChallengeError: o.WWWAuthenticateChallengeError,
      RESPONSE_IS_NOT_JSON: o.RESPONSE_IS_NOT_JSON,
      PARSE_ERROR: o.PARSE_ERROR,
      RESPONSE_IS_NOT_CONFORM: o.RESPONSE_IS_NOT_CONFORM,
      INVALID_RESPONSE: o.INVALID_RESPONSE,
      JWT_TIMESTAMP_CHECK: o.JWT_TIMESTAMP_CHECK,
      JWT_CLAIM_COMPARISON: o.JWT_CLAIM_COMPARISON,
      KEY_SELECTION: o.KEY_SELECTION,
      MISSING_SERVER_METADATA: o.MISSING_SERVER_METADATA,
      INVALID_SERVER_METADATA: o.INVALID_SERVER_METADATA,
      HTTP_REQUEST_FORBIDDEN: o.HTTP_REQUEST_FORBIDDEN,
      REQUEST_PROTOCOL_FORBIDDEN: o.REQUEST_PROTOCOL_FORBIDDEN,
      JSON_ATTRIBUTE_COMPARISON: o.JSON_ATTRIBUTE_COMPARISON,
    },
    answers,
    cleanText,
    isOAuthKitError,
    oauthKitError,
    redactUrl,
  }
}

let chunk: Promise<typeof import('./translation.js')> | undefined

/** The translation chunk, or undefined when it cannot be loaded (asked for again next time). */
async function translation(): Promise<typeof import('./translation.js') | undefined> {
  try {
    return await (chunk ??= import('./translation.js'))
  } catch {
    chunk = undefined
    return undefined
  }
}

/**
 * Without the translation chunk (it failed to load: a deploy replaced it, the network dropped):
 * the OAuth error the answer carried, as the server's, so that recovery still works
 * (`invalid_grant` is still a sign-in); anything else `invalid_response`.
 */
function untranslated(err: unknown, operation: string, url: string | undefined): OAuthKitError {
  const response = (err as { response?: unknown } | undefined)?.response ?? (err as { cause?: unknown } | undefined)?.cause
  const answer = response instanceof Response ? answers.get(response) : undefined
  const context = { url, cause: err, ...(answer ? { status: answer.status } : {}) }
  const error = answer?.oauth?.error
  return error
    ? oauthKitError('oauth_error', `${operation} failed: the server answered ${answer.status}: ${cleanText(error, 60)}`, {
        ...context,
        error,
      })
    : oauthKitError('invalid_response', `${operation} failed: ${cleanText(err instanceof Error ? err.message : err)}`, context)
}

/**
 * The one place where errors from below (oauth4webapi, the platform) become oauthkit errors.
 * `operation` reads as the start of a sentence: "client_credentials grant", "discovery", …
 * The translation itself is a chunk loaded on the first failure (translation.ts).
 */
export async function translateError(err: unknown, operation: string, url?: string): Promise<OAuthKitError> {
  if (isOAuthKitError(err)) return err
  const t = await translation()
  return t ? t.translateError(kit(), err, operation, url) : untranslated(err, operation, url)
}

const CALLBACK_MESSAGES: Partial<Record<ErrorCode, string>> = {
  missing_iss: 'no "iss", though the server advertises RFC 9207 (mix-up defence); sign in again',
  iss_mismatch: '"iss" names another server (mix-up defence); sign in again',
  missing_state: 'no "state": not an answer to this client; sign in again',
  state_mismatch: '"state" is not the pending request\'s (stale tab, replay or forgery); sign in again',
}

/**
 * An authorization response's check failed (synchronously, as parseCallback is): which one
 * (state, RFC 6749 §10.12; `iss`, RFC 9207 §2.4) from the same data oauth4webapi checked, or the
 * error the server redirected back with; anything else `invalid_response`.
 */
export function translateCallbackError(
  err: unknown,
  params: URLSearchParams,
  expectedState: string,
  metadata: AuthorizationServerMetadata,
): OAuthKitError {
  const failed = 'authorization callback failed: '
  if (err instanceof o.AuthorizationResponseError) {
    const description = err.cause.get('error_description') ?? undefined
    const errorUri = err.cause.get('error_uri') ?? undefined
    return oauthKitError(
      'oauth_error',
      `${failed}the authorization server redirected back with ${cleanText(err.error, 60)}${description ? ` (${cleanText(description)})` : ''}`,
      {
        cause: err,
        error: err.error,
        ...(description === undefined ? {} : { errorDescription: description }),
        ...(errorUri === undefined ? {} : { errorUri }),
      },
    )
  }
  const iss = params.get('iss')
  const code: ErrorCode | undefined = !(err instanceof o.OperationProcessingError)
    ? undefined
    : !iss && metadata.authorization_response_iss_parameter_supported
      ? 'missing_iss'
      : iss && iss !== metadata.issuer
        ? 'iss_mismatch'
        : !params.has('state')
          ? 'missing_state'
          : params.get('state') !== expectedState
            ? 'state_mismatch'
            : undefined
  if (code) return oauthKitError(code, `authorization callback rejected: ${CALLBACK_MESSAGES[code]}`, { cause: err })
  return oauthKitError('invalid_response', failed + cleanText(err instanceof Error ? err.message : err), { cause: err })
}

/**
 * The error for an unsuccessful answer to a request that oauth4webapi did not process (a
 * vendor's own endpoint): see translation.ts.
 */
export async function answerError(response: Response, operation: string, url: string, refused: string): Promise<OAuthKitError> {
  const t = await translation()
  return t ? t.answerError(kit(), response, operation, url, refused) : untranslated(new Error('unexpected status'), operation, url)
}
