import * as o from 'oauth4webapi'
import type { TokenSet } from '../types.js'
import { toTokenSet, type TokenSetContext } from '../wire/token.js'
import { int, type OAuthContext } from './context.js'
import { runAt, type RequestOptions } from './operation.js'

/**
 * One token endpoint exchange on the operation path: oauth4webapi builds and validates, the
 * answer becomes a TokenSet (with the validated ID token claims, when there is an ID token),
 * read against what the request `held`: the refresh token it sent, the scope it asked for.
 */
export function tokenExchange(
  ctx: OAuthContext,
  name: string,
  request: (options: RequestOptions) => Promise<Response>,
  process: (response: Response) => Promise<o.TokenEndpointResponse>,
  signal: AbortSignal | undefined,
  held: Omit<TokenSetContext, 'idTokenClaims'> = {},
): Promise<TokenSet> {
  const { clock } = int(ctx)
  return runAt(
    ctx,
    {
      name,
      endpoint: 'token',
      request,
      process: async (response) => {
        const body = await process(response)
        const claims = body.id_token ? o.getValidatedIdTokenClaims(body) : undefined
        return toTokenSet(body as Record<string, unknown>, clock.now(), { ...held, ...(claims ? { idTokenClaims: claims as Record<string, unknown> } : {}) })
      },
    },
    signal,
  )
}

/**
 * Parameters common to the grants: scope, RFC 8707 `resource`, `audience`, anything else.
 *
 * @example
 * await clientCredentialsGrant(ctx, { scope: 'read', resource: 'https://api.example.com', extraParams: { tenant: 'a' } })
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
}

export function grantParameters(p: GrantParameters): URLSearchParams {
  const params = new URLSearchParams()
  if (p.scope) params.set('scope', p.scope)
  for (const resource of p.resource === undefined ? [] : [p.resource].flat()) params.append('resource', resource)
  if (p.audience) params.set('audience', p.audience)
  for (const [key, value] of Object.entries(p.extraParams ?? {})) params.set(key, value)
  return params
}
