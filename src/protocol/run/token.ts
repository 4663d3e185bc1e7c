import * as o from 'oauth4webapi'
import type { AuthorizationDetail, RetryPolicy, TokenSet } from '../../types.js'
import { checkedDetails, toTokenSet, type TokenSetContext } from '../../wire/token.js'
import { isTransient, isUnprocessed, ResponseError } from '../../errors.js'
import { withRetry } from './retry.js'
import { int, type OAuthContext, type ReadTokens, type TokenReader } from './context.js'
import { runAt, type RequestOptions } from './operation.js'
import { DEFAULT_TIMEOUT_MS } from '../../http/transport.js'

/** How a token request is run: what it holds and asked for, and how it may be retried (not RFC 8693 token exchange: that is protocol/grants/exchange.ts). */
export interface TokenRequestOptions extends Omit<TokenSetContext, 'idTokenClaims'> {
  /** The call's own retry policy (else the context's); `false` for one try. */
  retry?: RetryPolicy | false | undefined
  /**
   * What sending the request again could cost: `never` (an authorization code: single-use),
   * `unless-unprocessed` (a refresh token that may rotate: only after the server said it did
   * nothing), or `nothing` (the default: any passing failure is retried).
   */
  resend?: 'never' | 'unless-unprocessed' | 'nothing'
}

/**
 * One token endpoint request on the operation path: oauth4webapi builds and validates, the
 * answer becomes a TokenSet (with the validated ID token claims, when there is an ID token),
 * read against what the request held: the refresh token it sent, the scope it asked for.
 * Passing failures are retried as the policy and `resend` allow.
 */
export function tokenRequest(
  ctx: OAuthContext,
  name: string,
  request: (options: RequestOptions) => Promise<Response>,
  process: (response: Response) => Promise<ReadTokens>,
  signal: AbortSignal | undefined,
  how: TokenRequestOptions = {},
): Promise<TokenSet> {
  const { clock, options, dpop } = int(ctx)
  const { retry, resend, ...held } = how
  const retryable = resend === 'never' ? () => false : resend === 'unless-unprocessed' ? isUnprocessed : isTransient
  const once = (left: number | undefined) =>
    runAt(
      ctx,
      {
        name,
        endpoint: 'token',
        request,
        process: async (response) => {
          const { body, claims } = await process(response)
          // RFC 9449 §5: a DPoP-bound token answers a proof; a client without a key must not use it as a bearer token.
          if (!dpop && /^dpop$/i.test(String(body.token_type)))
            throw new ResponseError('invalid_response', `${name}: a DPoP-bound token, but no dpop key`)
          return toTokenSet(body as Record<string, unknown>, clock.now(), {
            ...held,
            ...(claims ? { idTokenClaims: claims } : {}),
          })
        },
      },
      signal,
      left === undefined ? undefined : Math.max(1, Math.min(options.timeout ?? DEFAULT_TIMEOUT_MS, left)),
    )
  return withRetry(name, policyOf(retry, options.retry), clock, signal, retryable, once)
}

/** A call's policy over its context's, field by field; a context that retries nothing lends a call one try unless the call says more. */
function policyOf(call: RetryPolicy | false | undefined, context: RetryPolicy | false | undefined): RetryPolicy | false | undefined {
  if (call === undefined || call === false) return call ?? context
  return context === false ? { attempts: 1, ...call } : { ...context, ...call }
}

/**
 * Parameters common to the grants: scope, RFC 8707 `resource`, `audience`, anything else.
 *
 * @example
 * await clientCredentialsGrant(ctx, { scope: 'read', resource: 'https://api.example.com', extraParams: { tenant: 'a' } })
 *
 * @group Contexts
 */
export interface GrantParameters {
  scope?: string
  /** RFC 8707 resource indicator(s). */
  resource?: string | string[]
  /** A non-standard but widespread audience parameter (Auth0, Okta, …). */
  audience?: string
  /** Rich Authorization Requests (RFC 9396): what is asked for beyond a scope, sent as `authorization_details`. */
  authorizationDetails?: AuthorizationDetail[]
  /** Anything else the server wants in the request body. */
  extraParams?: Record<string, string>
  signal?: AbortSignal
  /** This call's retry policy, instead of the context's (docs/sessions.md); `false` for one try. */
  retry?: RetryPolicy | false
}

export function grantParameters(p: GrantParameters): URLSearchParams {
  const params = new URLSearchParams()
  if (p.scope) params.set('scope', p.scope)
  for (const resource of p.resource === undefined ? [] : [p.resource].flat()) params.append('resource', resource)
  if (p.audience) params.set('audience', p.audience)
  if (p.authorizationDetails) params.set('authorization_details', JSON.stringify(checkedDetails(p.authorizationDetails)))
  for (const [key, value] of Object.entries(p.extraParams ?? {})) params.set(key, value)
  return params
}

/** How a context reads a client_credentials or refresh answer: with the reader it was made with. */
export function readerFor(ctx: OAuthContext, grant: 'client_credentials' | 'refresh_token'): (response: Response) => Promise<ReadTokens> {
  const internals = int(ctx)
  return (response) => internals.readTokens(internals, response, grant)
}

/**
 * A token answer read without oauth4webapi's processors, for a client that asked for no ID
 * token: the checks of RFC 6749 §5.1 (a 200 with a JSON object, `access_token` and `token_type`
 * non-empty strings, a token type it can send, `refresh_token` and `scope` strings when present), failing with the errors
 * oauth4webapi's would, so the translation reads them alike (the server's OAuth error included).
 * An ID token is never validated here, so it is dropped, with a warning: nothing unverified is
 * handed on as if it were checked.
 */
export const leanReader: TokenReader = async ({ options }, response, grant) => {
  const fail = (message: string, code: string) => new o.OperationProcessingError(message, { code, cause: response })
  if (response.status !== 200)
    throw fail('"response" is not a conform Token Endpoint response (unexpected HTTP status code)', o.RESPONSE_IS_NOT_CONFORM)
  let body: unknown
  try {
    body = await response.json()
  } catch {
    throw fail('failed to parse "response" body as JSON', o.PARSE_ERROR)
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw fail('"response" body must be a top level object', o.INVALID_RESPONSE)
  const read = body as Record<string, unknown>
  for (const [field, optional] of [
    ['access_token', false],
    ['token_type', false],
    ['refresh_token', true],
    ['scope', true],
  ] as const) {
    const value = read[field]
    if ((optional && value === undefined) || (typeof value === 'string' && value !== '')) continue
    throw fail(`"response" body "${field}" property must be a non-empty string`, o.INVALID_RESPONSE)
  }
  // As oauth4webapi: a token type this client cannot send is refused (RFC 6749 §7.1).
  if (!/^(bearer|dpop)$/i.test(read.token_type as string))
    throw new o.UnsupportedOperationError('unsupported `token_type` value', { cause: body })
  if (read.id_token !== undefined) {
    delete read.id_token
    options.onWarning?.({
      code: 'id_token_ignored',
      message: `the ${grant} answer carried an ID token this client never asked for: dropped, unread`,
    })
  }
  return { body: read }
}
