import * as o from 'oauth4webapi'
import { ConfigError, OAuthKitError, OAuthServerError, ResponseError, isOAuthKitError, type ErrorCode } from '../errors.js'

/**
 * The one place where errors from below (oauth4webapi, the platform) become oauthkit errors.
 * `operation` reads as the start of a sentence: "client_credentials grant", "discovery", …
 */
export function translateError(err: unknown, operation: string, url?: string): OAuthKitError {
  if (isOAuthKitError(err)) return err
  const at = url === undefined ? {} : { url }

  if (err instanceof o.ResponseBodyError) {
    const body = err.cause
    return new OAuthServerError(
      'oauth_error',
      `${operation} failed: the server answered ${err.status} ${err.error}${describe(err.error_description)}`,
      {
        ...at,
        cause: err,
        status: err.status,
        error: err.error,
        ...opt('errorDescription', err.error_description),
        ...opt('errorUri', typeof body.error_uri === 'string' ? body.error_uri : undefined),
        response: err.response,
      },
    )
  }
  if (err instanceof o.AuthorizationResponseError) {
    const errorUri = err.cause.get('error_uri') ?? undefined
    return new OAuthServerError(
      'oauth_error',
      `${operation} failed: the authorization server redirected back with ${err.error}${describe(err.error_description)}`,
      { ...at, cause: err, error: err.error, ...opt('errorDescription', err.error_description), ...opt('errorUri', errorUri) },
    )
  }
  if (err instanceof o.WWWAuthenticateChallengeError) {
    const params = err.cause[0]?.parameters
    const error = params?.error ?? 'invalid_token'
    return new OAuthServerError(
      'oauth_error',
      `${operation} failed: the server answered ${err.status} with a ${err.cause[0]?.scheme ?? ''} challenge: ${error}${describe(params?.error_description)}`,
      {
        ...at,
        cause: err,
        status: err.status,
        error,
        ...opt('errorDescription', params?.error_description),
        ...opt('scope', params?.scope),
        response: err.response,
      },
    )
  }
  if (err instanceof o.OperationProcessingError) {
    let code = CODES[err.code ?? ''] ?? 'invalid_response'
    if (err.code === o.JSON_ATTRIBUTE_COMPARISON) {
      const attribute = (err.cause as { attribute?: string } | undefined)?.attribute
      code = attribute === 'issuer' ? 'issuer_mismatch' : attribute === 'resource' ? 'resource_mismatch' : 'invalid_response'
    }
    const status = err.cause instanceof Response ? err.cause.status : undefined
    const Type = code === 'insecure_url' || code === 'missing_endpoint' ? ConfigError : ResponseError
    return new Type(code, `${operation} failed: ${err.message}${status ? ` (HTTP ${status})` : ''}`, {
      ...at,
      cause: err,
      ...opt('status', status),
    })
  }
  if (err instanceof o.UnsupportedOperationError) {
    return new ResponseError('invalid_response', `${operation} failed: ${err.message}`, { ...at, cause: err })
  }
  if (err instanceof TypeError && typeof (err as { code?: unknown }).code === 'string') {
    // oauth4webapi's argument checks (ERR_INVALID_ARG_TYPE / _VALUE)
    return new ConfigError('invalid_config', `${operation}: ${err.message}`, { ...at, cause: err })
  }
  const message = err instanceof Error ? err.message : String(err)
  return new ResponseError('invalid_response', `${operation} failed: ${message}`, { ...at, cause: err })
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

function describe(description: string | undefined): string {
  return description ? `: ${description.slice(0, 300)}` : ''
}

/** `{ key: value }` when value is defined, `{}` otherwise (for exactOptionalPropertyTypes). */
export function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}
