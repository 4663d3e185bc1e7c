import * as o from 'oauth4webapi'
import { redactUrl } from '../errors.js'
import type { TokenSet } from '../types.js'
import { toTokenSet } from '../wire/token.js'
import { requireEndpoint, type OAuthContext } from './context.js'
import { translateError } from './translate.js'

/**
 * Runs one token endpoint exchange: oauth4webapi builds and validates, the transport sends,
 * errors are translated once, the answer becomes a TokenSet.
 */
export async function tokenExchange(
  ctx: OAuthContext,
  operation: string,
  request: () => Promise<Response>,
  process: (response: Response) => Promise<o.TokenEndpointResponse>,
  previousRefreshToken?: string,
): Promise<TokenSet> {
  const url = redactUrl(requireEndpoint(ctx, 'token_endpoint', operation))
  try {
    const response = await request()
    const body = await process(response)
    const claims = body.id_token ? o.getValidatedIdTokenClaims(body) : undefined
    return toTokenSet(body as Record<string, unknown>, ctx.clock.now(), {
      ...(previousRefreshToken === undefined ? {} : { previousRefreshToken }),
      ...(claims ? { idTokenClaims: claims as Record<string, unknown> } : {}),
    })
  } catch (err) {
    throw translateError(err, operation, url)
  }
}

/** Extra parameters common to the grants: RFC 8707 `resource`, `audience`, anything else. */
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
