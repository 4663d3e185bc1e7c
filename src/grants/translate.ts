import * as o from 'oauth4webapi'
import { ConfigError, OAuthKitError, OAuthServerError, ResponseError, isOAuthKitError, type ErrorCode } from '../errors.js'
import type { AuthorizationServerMetadata } from '../types.js'

/**
 * The one place where errors from below (oauth4webapi, the platform) become oauthkit errors.
 * `operation` reads as the start of a sentence: "client_credentials grant", "discovery", …
 */
export function translateError(err: unknown, operation: string, url?: string): OAuthKitError {
  if (isOAuthKitError(err)) return err
  const failed = `${operation} failed: `

  // The server said no: a token endpoint's error body, a 401's challenge, or an error redirect.
  let server: { status?: number; error: string; description?: string; errorUri?: unknown; scope?: string; response?: Response; said: string } | undefined
  if (err instanceof o.ResponseBodyError) {
    server = { status: err.status, response: err.response, error: err.error, description: err.error_description, errorUri: err.cause.error_uri, said: `the server answered ${err.status} ${err.error}` }
  } else if (err instanceof o.WWWAuthenticateChallengeError) {
    const challenge = err.cause[0]
    const params = challenge?.parameters
    const error = params?.error ?? 'invalid_token'
    server = { status: err.status, response: err.response, error, description: params?.error_description, scope: params?.scope, said: `the server answered ${err.status} with a ${challenge?.scheme ?? ''} challenge: ${error}` }
  } else if (err instanceof o.AuthorizationResponseError) {
    server = { error: err.error, description: err.error_description, errorUri: err.cause.get('error_uri'), said: `the authorization server redirected back with ${err.error}` }
  }
  if (server) {
    const { said, description, errorUri, ...fields } = server
    return new OAuthServerError('oauth_error', failed + said + (description ? `: ${description.slice(0, 300)}` : ''), {
      ...fields,
      url,
      cause: err,
      errorDescription: description,
      errorUri: typeof errorUri === 'string' ? errorUri : undefined,
    })
  }

  if (err instanceof o.OperationProcessingError) {
    const code = CODES[err.code ?? ''] ?? 'invalid_response'
    if (err.code === o.JSON_ATTRIBUTE_COMPARISON) {
      const { attribute, expected, body } = (err.cause ?? {}) as { attribute?: string; expected?: string; body?: Record<string, unknown> }
      // RFC 8414 §3.3 / RFC 9728 §3.3: the document must name exactly what was asked for.
      if (attribute === 'issuer' || attribute === 'resource') {
        return new ResponseError(`${attribute}_mismatch`, `${failed}the document names ${attribute} ${JSON.stringify(body?.[attribute])?.slice(0, 200)}, not ${expected}; refusing it`, { url, cause: err })
      }
    }
    const status = err.cause instanceof Response ? err.cause.status : undefined
    const Type = code === 'insecure_url' || code === 'missing_endpoint' ? ConfigError : ResponseError
    return new Type(code, failed + err.message + (status ? ` (HTTP ${status})` : ''), { url, cause: err, status })
  }
  if (err instanceof TypeError && typeof (err as { code?: unknown }).code === 'string') {
    // oauth4webapi's argument checks (ERR_INVALID_ARG_TYPE / _VALUE)
    return new ConfigError('invalid_config', `${operation}: ${err.message}`, { url, cause: err })
  }
  // UnsupportedOperationError and anything unforeseen
  return new ResponseError('invalid_response', failed + (err instanceof Error ? err.message : String(err)), { url, cause: err })
}

const CODES: Record<string, ErrorCode> = {
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
}

const CALLBACK_MESSAGES: Partial<Record<ErrorCode, string>> = {
  missing_iss: 'no "iss", though the server advertises RFC 9207 (possible mix-up attack); sign in again',
  iss_mismatch: '"iss" names another authorization server (possible mix-up attack); sign in again',
  missing_state: 'no "state": not an answer to a request of this client; sign in again',
  state_mismatch: '"state" does not match the pending request (stale tab, replay or forgery); sign in again',
}

/**
 * An authorization response's check failed: names which one (state, RFC 6749 §10.12; `iss`,
 * RFC 9207 §2.4) from the same data oauth4webapi checked; anything else as translateError.
 */
export function translateCallbackError(err: unknown, params: URLSearchParams, expectedState: string, metadata: AuthorizationServerMetadata): OAuthKitError {
  if (err instanceof o.OperationProcessingError) {
    const iss = params.get('iss')
    const code: ErrorCode | undefined =
      !iss && metadata.authorization_response_iss_parameter_supported
        ? 'missing_iss'
        : iss && iss !== metadata.issuer
          ? 'iss_mismatch'
          : !params.has('state')
            ? 'missing_state'
            : params.get('state') !== expectedState
              ? 'state_mismatch'
              : undefined
    if (code) return new ResponseError(code, `authorization callback rejected: ${CALLBACK_MESSAGES[code]}`, { cause: err })
  }
  return translateError(err, 'authorization callback')
}
