import * as o from 'oauth4webapi'
import type { TokenSet } from '../types.js'
import { requestOptions, type OAuthContext } from './context.js'
import { grantParameters, tokenExchange, type GrantParameters } from './token.js'

export type ClientCredentialsOptions = GrantParameters

/**
 * The client credentials grant, for machine-to-machine calls.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export function clientCredentialsGrant(ctx: OAuthContext, options: ClientCredentialsOptions = {}): Promise<TokenSet> {
  return tokenExchange(
    ctx,
    'client_credentials grant',
    () =>
      o.clientCredentialsGrantRequest(ctx.as, ctx.client, ctx.clientAuth, grantParameters(options), requestOptions(ctx, 'token', options.signal)),
    (response) => o.processClientCredentialsResponse(ctx.as, ctx.client, response),
  )
}
