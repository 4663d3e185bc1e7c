import * as o from 'oauth4webapi'
import { OAUTH_ERROR_RECOVERY, cleanText, isOAuthKitError, oauthKitError, redactUrl, type OAuthKitError } from '../../errors.js'
import type { OutgoingRequest } from '../../dialects/types.js'
import { parseWwwAuthenticate } from '../../internal/www-authenticate.js'
import { retrying } from '../../internal/retrying.js'

/** An unsuccessful answer as it came (rememberAnswer). */
export interface Kept {
  text: string
  request?: OutgoingRequest
  /** When it came, on the server's clock. */
  now: number
}

const answers = new WeakMap<Response, Kept>()

/**
 * Keeps an unsuccessful answer as it came, for the translation: its text, and the request it
 * answered (whose secrets — client secret, codes, tokens, passwords — are redacted from anything
 * an error quotes of it, in every encoding, in case the server echoes them). Read only when an
 * error is made of it, by the translation chunk.
 */
export function rememberAnswer(response: Response, text: string, request: OutgoingRequest | undefined, now: number): void {
  answers.set(response, request ? { text, request, now } : { text, now })
}

/** What the translation chunk is handed: the class of oauth4webapi's errors it reads (it names their codes itself), the answers kept, the error family's makers. */
export interface TranslationKit {
  o: Pick<typeof o, 'OperationProcessingError'>
  answers: WeakMap<Response, Kept>
  challenges: typeof parseWwwAuthenticate
  cleanText: typeof cleanText
  isOAuthKitError: typeof isOAuthKitError
  oauthKitError: typeof oauthKitError
  redactUrl: typeof redactUrl
}

function kit(): TranslationKit {
  return {
    o: { OperationProcessingError: o.OperationProcessingError },
    answers,
    challenges: parseWwwAuthenticate,
    cleanText,
    isOAuthKitError,
    oauthKitError,
    redactUrl,
  }
}

/** The translation chunk (asked for again after a failure to load it). */
const translation = retrying(() => import('./translation.js'))

/**
 * Without the translation chunk (it failed to load: a deploy replaced it, the network dropped):
 * the OAuth error the answer carried, as the server's, so that recovery still works
 * (`invalid_grant` is still a sign-in); anything else `invalid_response`.
 */
function untranslated(err: unknown, operation: string, url: string | undefined): OAuthKitError {
  const response = (err as { response?: unknown } | undefined)?.response ?? (err as { cause?: unknown } | undefined)?.cause
  const kept = response instanceof Response ? answers.get(response) : undefined
  const context = { url, cause: err, ...(response instanceof Response ? { status: response.status } : {}) }
  let error: unknown
  try {
    error = (JSON.parse(kept?.text ?? '') as { error?: unknown }).error
  } catch {
    error = undefined
  }
  // Only a code the OAuth registries define: nothing the server wrote freely (it may echo a secret) is quoted unredacted.
  return typeof error === 'string' && OAUTH_ERRORS.has(error)
    ? oauthKitError('oauth_error', `${operation} failed: the server answered ${(response as Response).status}: ${error}`, {
        ...context,
        error,
      })
    : oauthKitError('invalid_response', `${operation} failed: ${cleanText(err instanceof Error ? err.message : err)}`, context)
}

/** The OAuth error codes of RFC 6749, 6750, 8628 and OpenID Connect Core: what the fallback may read. */
const OAUTH_ERRORS = new Set([
  ...Object.keys(OAUTH_ERROR_RECOVERY),
  'invalid_request',
  'invalid_client',
  'invalid_scope',
  'unauthorized_client',
  'unsupported_grant_type',
  'unsupported_response_type',
  'unsupported_token_type',
])

/**
 * The one place where errors from below (oauth4webapi, the platform) become oauthkit errors.
 * `operation` reads as the start of a sentence: "client_credentials grant", "discovery", …
 * The translation itself is a chunk loaded on the first failure (translation.ts).
 */
export async function translateError(err: unknown, operation: string, url?: string): Promise<OAuthKitError> {
  if (isOAuthKitError(err)) return err
  const t = await translation().catch(() => undefined)
  return t ? t.translateError(kit(), err, operation, url) : untranslated(err, operation, url)
}

/**
 * The error for an unsuccessful answer to a request that oauth4webapi did not process (a
 * vendor's own endpoint): see translation.ts.
 */
export async function answerError(response: Response, operation: string, url: string, refused: string): Promise<OAuthKitError> {
  const t = await translation().catch(() => undefined)
  return t ? t.answerError(kit(), response, operation, url, refused) : untranslated(new Error('unexpected status'), operation, url)
}
