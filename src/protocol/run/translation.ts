// The error translation, loaded only when something failed: what errors from below (oauth4webapi,
// the platform) mean for oauthkit. It imports no value, so that bundlers put it in a chunk of its
// own that a run without failures never loads; what it needs is handed in (the TranslationKit
// of translate.ts, which also says what happens when this chunk cannot be loaded).
import type * as o from 'oauth4webapi'
import type { ErrorCode, OAuthKitError, OAuthKitErrorOptions } from '../../errors.js'
import type { OutgoingRequest } from '../../dialects/types.js'
import type { Kept, TranslationKit } from './translate.js'

/** What came back in an unsuccessful answer, read once. */
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

const read = new WeakMap<Response, Answer>()

/** The answer a kept response said, read once. */
function answerOf(kit: TranslationKit, response: Response): Answer | undefined {
  const kept = kit.answers.get(response)
  if (!kept) return undefined
  const answer = read.get(response) ?? readAnswer(kit.cleanText, response, kept)
  read.set(response, answer)
  return answer
}

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
  const { cleanText, oauthKitError } = kit
  const answer = answerOf(kit, response) ?? { status: response.status, contentType: '', excerpt: '', redact: (text: string) => text }
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
  const { o, cleanText, isOAuthKitError, oauthKitError, redactUrl } = kit
  if (isOAuthKitError(err)) return err
  const failed = `${operation} failed: `
  const response = (err as { response?: unknown } | undefined)?.response ?? (err as { cause?: unknown } | undefined)?.cause
  const answer = response instanceof Response ? answerOf(kit, response) : undefined
  const context = {
    url,
    cause: err,
    ...(answer ? { status: answer.status } : {}),
    ...(answer?.retryAfter === undefined ? {} : { retryAfter: answer.retryAfter }),
  }

  const unsuccessful = err instanceof o.OperationProcessingError && err.code === O.RESPONSE_IS_NOT_CONFORM
  const challenge = challengeOf(kit, err, unsuccessful && response instanceof Response ? response : undefined)
  // An OAuth error body wins, whatever the status (a 503 with temporarily_unavailable, say).
  if (coded(err, O.RESPONSE_BODY_ERROR) || challenge || (unsuccessful && answer?.oauth)) {
    return serverError(
      kit,
      err as o.OperationProcessingError,
      challenge,
      answer,
      response instanceof Response ? response : undefined,
      failed,
      context,
    )
  }
  if (err instanceof o.OperationProcessingError) {
    const code = idTokenFault(err, operation) ? 'invalid_id_token' : (CODES[err.code ?? ''] ?? 'invalid_response')
    if (err.code === O.JSON_ATTRIBUTE_COMPARISON) {
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
    // A discovery document that is JSON but not metadata (no issuer, not an object): said in oauthkit's words.
    const shape = code === 'invalid_response' && /^(resource )?discovery at /.test(operation) ? metadataFault(err.message) : undefined
    if (shape) return oauthKitError('invalid_metadata', `${failed}the document is not metadata: ${shape}`, context)
    // An unsuccessful answer that is no OAuth error is, first of all, an unexpected status.
    const truthful = answer && answer.status >= 300 && (code === 'not_json' || code === 'invalid_json') ? 'unexpected_status' : code
    return oauthKitError(truthful, failed + (answer ? said(answer, cleanText(err.message)) : cleanText(err.message)), context)
  }
  if (err instanceof TypeError && typeof (err as { code?: unknown }).code === 'string') {
    // oauth4webapi's argument checks (ERR_INVALID_ARG_TYPE / _VALUE)
    return oauthKitError('invalid_config', `${operation}: ${cleanText(err.message)}`, { url, cause: err })
  }
  // UnsupportedOperationError (an encrypted ID token, a `crit` header) and anything unforeseen
  const code =
    err instanceof Error && err.name === 'UnsupportedOperationError' && idTokenFault(err, operation)
      ? 'invalid_id_token'
      : 'invalid_response'
  return oauthKitError(code, failed + cleanText(err instanceof Error ? err.message : err), context)
}

/**
 * Whether `err` is oauth4webapi's error of that code: told by its code rather than its class, so
 * that a bundle carries no class of oauth4webapi's that none of its code throws.
 */
function coded(err: unknown, code: string): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === code
}

/** The answer's first challenge (RFC 7235): oauth4webapi's, or — the reader was oauthkit's — read from the unsuccessful answer's `WWW-Authenticate` as oauth4webapi reads one. */
function challengeOf(
  { challenges }: TranslationKit,
  err: unknown,
  unsuccessful: Response | undefined,
): o.WWWAuthenticateChallenge | undefined {
  if (coded(err, O.WWW_AUTHENTICATE_CHALLENGE)) return (err as o.WWWAuthenticateChallengeError).cause[0]
  const found = challenges(unsuccessful?.headers.get('www-authenticate'))[0]
  return found && ({ scheme: found.scheme.toLowerCase(), parameters: found.params } as o.WWWAuthenticateChallenge)
}

/** oauth4webapi's complaint about a metadata document's shape, as oauthkit says it (`issuer must be a string`), if it is one. */
function metadataFault(message: string): string | undefined {
  if (/body must be a top level object/.test(message)) return 'it is not a JSON object'
  const field = /body "(\w+)" property must be (.+)$/.exec(message)
  return field ? `${field[1]} must be ${field[2]} (it is missing or of another kind)` : undefined
}

/**
 * Whether oauth4webapi's error is about an ID token — its form, header or claims, missing as
 * much as wrong — so that every ID-token fault is one code (`invalid_id_token`). A token answer
 * holds no other JWT oauthkit reads; a signed userinfo answer is no ID token.
 */
function idTokenFault(err: Error, operation: string): boolean {
  return /\bJW[TE]\b|ID Token|"id_token"/.test(err.message) && !/userinfo/i.test(operation)
}

/** The server said no: its OAuth error body (which wins), else a challenge's error, else what a challenge without one means. */
function serverError(
  { cleanText, oauthKitError }: TranslationKit,
  err: o.ResponseBodyError | o.WWWAuthenticateChallengeError | o.OperationProcessingError,
  challenge: o.WWWAuthenticateChallenge | undefined,
  answer: Answer | undefined,
  response: Response | undefined,
  failed: string,
  context: OAuthKitErrorOptions,
): OAuthKitError {
  const status = answer?.status ?? (err as o.ResponseBodyError).status
  const params = challenge?.parameters
  const fallback = challenge && !/^(bearer|dpop)$/i.test(challenge.scheme) ? 'invalid_client' : 'invalid_token'
  const redact = answer?.redact ?? ((text: string) => text)
  const error =
    answer?.oauth?.error ?? redact(coded(err, O.RESPONSE_BODY_ERROR) ? (err as o.ResponseBodyError).error : (params?.error ?? fallback))
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

/**
 * oauth4webapi's error codes: values of its public API, written here so that the bundles carry
 * them only in this chunk; the type holds each to the value the installed oauth4webapi declares.
 */
const O: Pick<
  typeof o,
  | 'RESPONSE_BODY_ERROR'
  | 'WWW_AUTHENTICATE_CHALLENGE'
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
> = {
  RESPONSE_BODY_ERROR: 'OAUTH_RESPONSE_BODY_ERROR',
  WWW_AUTHENTICATE_CHALLENGE: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
  RESPONSE_IS_NOT_JSON: 'OAUTH_RESPONSE_IS_NOT_JSON',
  PARSE_ERROR: 'OAUTH_PARSE_ERROR',
  RESPONSE_IS_NOT_CONFORM: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
  INVALID_RESPONSE: 'OAUTH_INVALID_RESPONSE',
  JWT_TIMESTAMP_CHECK: 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  JWT_CLAIM_COMPARISON: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  KEY_SELECTION: 'OAUTH_KEY_SELECTION_FAILED',
  MISSING_SERVER_METADATA: 'OAUTH_MISSING_SERVER_METADATA',
  INVALID_SERVER_METADATA: 'OAUTH_INVALID_SERVER_METADATA',
  HTTP_REQUEST_FORBIDDEN: 'OAUTH_HTTP_REQUEST_FORBIDDEN',
  REQUEST_PROTOCOL_FORBIDDEN: 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN',
  JSON_ATTRIBUTE_COMPARISON: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
}

/** oauth4webapi's error codes, as oauthkit's. */
const CODES: Record<string, ErrorCode> = {
  [O.RESPONSE_IS_NOT_JSON]: 'not_json',
  [O.PARSE_ERROR]: 'invalid_json',
  [O.RESPONSE_IS_NOT_CONFORM]: 'unexpected_status',
  [O.INVALID_RESPONSE]: 'invalid_response',
  [O.JWT_TIMESTAMP_CHECK]: 'invalid_id_token',
  [O.JWT_CLAIM_COMPARISON]: 'invalid_id_token',
  [O.KEY_SELECTION]: 'invalid_id_token',
  [O.MISSING_SERVER_METADATA]: 'missing_endpoint',
  [O.INVALID_SERVER_METADATA]: 'invalid_metadata',
  [O.HTTP_REQUEST_FORBIDDEN]: 'insecure_url',
  [O.REQUEST_PROTOCOL_FORBIDDEN]: 'insecure_url',
}

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
 * What an unsuccessful answer said: its OAuth error body if any, else a cleaned excerpt, and
 * `Retry-After`, with what the request carried redacted from all of it, in every encoding.
 */
function readAnswer(cleanText: TranslationKit['cleanText'], response: Response, kept: Kept): Answer {
  const { text, now } = kept
  const redact = redactor(kept.request ? secretsOf(kept.request) : [])
  const contentType = cleanText(response.headers.get('content-type')?.split(';')[0] ?? 'no content type', 60)
  // A successful JSON answer may carry tokens: only its content type is kept. Anything else —
  // an error, a 200 HTML page (a proxy's sign-in page where the token endpoint should be) — is
  // quoted, cleaned, with what the request carried masked; in a successful one, any run of 16
  // token characters too (it may be a token the page holds), so that words stay and tokens go.
  const quoted = response.ok ? redact(text).replace(/[\w.~+/=-]{16,}/g, '…') : redact(text)
  const excerpt = response.ok && /[/+]json\b/i.test(contentType) ? '' : cleanText(quoted, 120) || '(empty body)'
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
  return answer
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date; at most a day is believed. */
function retryAfterSeconds(header: string | null, now: number): number | undefined {
  if (header === null) return undefined
  const value = header.trim()
  const seconds = /^\d+$/.test(value) ? Number(value) : (Date.parse(value) - now) / 1000
  return Number.isFinite(seconds) ? Math.min(Math.max(0, Math.ceil(seconds)), 86_400) : undefined
}

/** Parameters that are not secret; every other value a request carries is redacted from what an error quotes. */
const PUBLIC_PARAMETERS = new Set([
  'grant_type',
  'scope',
  'redirect_uri',
  'client_id',
  'resource',
  'audience',
  'token_type_hint',
  'client_assertion_type',
  'code_challenge_method',
  'username',
])

/**
 * The values a request carries in its body, its query and its headers (but the plainly public
 * ones), read from the request as it was before any dialect rewrite, and only when an error may
 * quote the answer.
 */
function secretsOf(request: OutgoingRequest): string[] {
  let body: Iterable<[string, unknown]> = new URLSearchParams(request.body ?? '')
  try {
    if (request.body?.startsWith('{')) body = Object.entries(JSON.parse(request.body) as object)
  } catch {
    // read as a form
  }
  const found: string[] = []
  for (const [name, value] of [...request.url.searchParams, ...body, ...request.headers]) {
    if (typeof value === 'string' && value.length >= 6 && !PUBLIC_PARAMETERS.has(name) && !/^(content-type|accept|user-agent)$/i.test(name))
      found.push(value, ...value.split(/\s+/))
  }
  const basic = /^basic\s+(\S+)/i.exec(request.headers.get('authorization') ?? '')?.[1]
  let pair = ''
  try {
    if (basic) pair = atob(basic)
  } catch {
    // not Basic credentials after all
  }
  // id:secret, form-encoded or not (client_secret_basic_unencoded): both spellings are secret.
  const at = pair.indexOf(':')
  if (at >= 0) for (const part of [pair.slice(0, at), pair.slice(at + 1)]) found.push(part, formDecoded(part))
  return found.filter((value) => value.length >= 6)
}

function formDecoded(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return value
  }
}
