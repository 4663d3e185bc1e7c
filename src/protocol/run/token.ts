import * as o from 'oauth4webapi'
import type { AuthorizationDetail, RetryPolicy, TokenSet } from '../../types.js'
import { checkedDetails, toTokenSet, type TokenSetContext } from '../../wire/token.js'
import { isTransient, isUnprocessed, ResponseError } from '../../errors.js'
import { withRetry } from './retry.js'
import { int, type ContextInternals, type IdTokenCheck, type IdTokenReader, type OAuthContext } from './context.js'
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
  /** What the answer's ID token is held to (an authorization code's nonce and max_age); with a nonce, one is required. */
  idToken?: IdTokenCheck
  /** Token types the grant may answer beyond the two a client sends (RFC 8693's `N_A`), lower case. */
  tokenTypes?: string[]
}

/**
 * One token endpoint request on the operation path: oauth4webapi builds it, {@link readTokens}
 * reads the answer, which becomes a TokenSet (with the checked ID token's claims, when there is
 * an ID token), read against what the request held: the refresh token it sent, the scope it
 * asked for. Passing failures are retried as the policy and `resend` allow.
 */
export function tokenRequest(
  ctx: OAuthContext,
  name: string,
  request: (options: RequestOptions) => Promise<Response>,
  signal: AbortSignal | undefined,
  how: TokenRequestOptions = {},
): Promise<TokenSet> {
  const internals = int(ctx)
  const { clock, options, dpop } = internals
  const { retry, resend, idToken, tokenTypes, ...held } = how
  const retryable = resend === 'never' ? () => false : resend === 'unless-unprocessed' ? isUnprocessed : isTransient
  const once = (left: number | undefined) =>
    runAt(
      ctx,
      {
        name,
        endpoint: 'token',
        request,
        process: async (response) => {
          const { body, claims } = await readTokens(internals, response, name, idToken, tokenTypes)
          // RFC 9449 §5: a DPoP-bound token answers a proof; a client without a key must not use it as a bearer token.
          if (!dpop && /^dpop$/i.test(String(body.token_type)))
            throw new ResponseError('invalid_response', `${name}: a DPoP-bound token, but no dpop key`)
          return toTokenSet(body, clock.now(), {
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

/**
 * A token answer, read: the checks of RFC 6749 §5.1 (a 200 with a JSON object, `access_token`
 * and `token_type` non-empty strings, a token type the client can send, `refresh_token` and
 * `scope` strings when present), failing with the errors oauth4webapi's processors would, so the
 * translation reads them alike (the server's OAuth error included); then the ID token, when one
 * came or the sign-in asked for one, checked by the JWT chunk (protocol/run/jws.ts). A context
 * that asks for no ID token (the machine-to-machine entry, the MCP client) drops one that comes
 * anyway, unread, with a warning; so does any context when the chunk cannot be loaded and no
 * ID token was required: nothing unchecked is handed on as if it were checked.
 */
async function readTokens(
  internals: ContextInternals,
  response: Response,
  name: string,
  check: IdTokenCheck | undefined,
  tokenTypes: string[] = [],
): Promise<{ body: Record<string, unknown>; claims?: Record<string, unknown> }> {
  const fail = (message: string, code: string) => new o.OperationProcessingError(message, { code, cause: response })
  if (response.status !== 200)
    throw fail('"response" is not a conform Token Endpoint response (unexpected HTTP status code)', o.RESPONSE_IS_NOT_CONFORM)
  let body: unknown
  try {
    body = await response.json()
  } catch {
    // As oauth4webapi: what does not parse is first of all not JSON, unless it says it is.
    if (response.headers.get('content-type')?.split(';')[0] !== 'application/json')
      throw fail('"response" content-type must be application/json', o.RESPONSE_IS_NOT_JSON)
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
    // As oauth4webapi: a scope may be empty (nothing granted); the others may not.
    if ((optional && value === undefined) || (typeof value === 'string' && (value !== '' || field === 'scope'))) continue
    throw fail(`"response" body "${field}" property must be a ${field === 'scope' ? '' : 'non-empty '}string`, o.INVALID_RESPONSE)
  }
  // As oauth4webapi: a token type this client cannot send is refused (RFC 6749 §7.1).
  const type = (read.token_type as string).toLowerCase()
  if (type !== 'bearer' && type !== 'dpop' && !tokenTypes.includes(type))
    throw new o.UnsupportedOperationError('unsupported `token_type` value', { cause: body })
  if (read.id_token === undefined && check?.nonce === undefined) return { body: read }
  return internals.idTokens(internals, read, name, check)
}

/** The ID token reader of a context that asks for none (the machine-to-machine entry, the MCP client): one that comes anyway is dropped. */
export const ignoreIdTokens: IdTokenReader = async (internals, body, name) => {
  if (body.id_token !== undefined) dropIdToken(internals, body, `the ${name} answer carried an ID token this client never asked for`)
  return { body }
}

/** An ID token that is not checked is not handed on: dropped, unread, with a warning. */
export function dropIdToken({ options }: ContextInternals, body: Record<string, unknown>, why: string): void {
  delete body.id_token
  options.onWarning?.({ code: 'id_token_ignored', message: `${why}: dropped, unread` })
}
