import * as o from 'oauth4webapi'
import type { TokenSet } from '../../types.js'
import { int, type OAuthContext } from '../run/context.js'
import { grantParameters, tokenRequest, type GrantParameters } from '../run/token.js'

/**
 * Parameters of the client credentials grant: scope, resource, audience, extra parameters, cancellation.
 *
 * @group Grants
 */
export type ClientCredentialsOptions = GrantParameters

/**
 * The client credentials grant, for machine-to-machine calls.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 *
 * @example
 * const tokens = await clientCredentialsGrant(ctx, { scope: 'read' })
 *
 * @group Grants
 */
export async function clientCredentialsGrant(ctx: OAuthContext, options: ClientCredentialsOptions = {}): Promise<TokenSet> {
  options ??= {}
  const { as, client, clientAuth } = int(ctx)
  return tokenRequest(
    ctx,
    'client_credentials grant',
    (request) => o.clientCredentialsGrantRequest(as, client, clientAuth, grantParameters(options), request),
    options.signal,
    { requestedScope: options.scope, retry: options.retry },
  )
}
