import * as o from 'oauth4webapi'
import type { RetryPolicy, TokenSet } from '../../types.js'
import { toTokenSet, type TokenSetContext } from '../../wire/token.js'
import { isTransient, isUnprocessed, ResponseError } from '../../errors.js'
import { withRetry } from './retry.js'
import { int, type OAuthContext } from './context.js'
import { runAt, type RequestOptions } from './operation.js'

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
  process: (response: Response) => Promise<o.TokenEndpointResponse>,
  signal: AbortSignal | undefined,
  how: TokenRequestOptions = {},
): Promise<TokenSet> {
  const { clock, options, dpop } = int(ctx)
  const { retry, resend, ...held } = how
  const retryable = resend === 'never' ? () => false : resend === 'unless-unprocessed' ? isUnprocessed : isTransient
  const once = () =>
    runAt(
      ctx,
      {
        name,
        endpoint: 'token',
        request,
        process: async (response) => {
          const body = await process(response)
          const claims = body.id_token ? o.getValidatedIdTokenClaims(body) : undefined
          // RFC 9449 §5: a DPoP-bound token answers a proof; a client without a key must not use it as a bearer token.
          if (!dpop && /^dpop$/i.test(String(body.token_type)))
            throw new ResponseError('invalid_response', `${name}: a DPoP-bound token, but no dpop key`)
          return toTokenSet(body as Record<string, unknown>, clock.now(), {
            ...held,
            ...(claims ? { idTokenClaims: claims as Record<string, unknown> } : {}),
          })
        },
      },
      signal,
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
  for (const [key, value] of Object.entries(p.extraParams ?? {})) params.set(key, value)
  return params
}
