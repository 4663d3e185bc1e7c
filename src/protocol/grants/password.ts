import * as o from 'oauth4webapi'
import { ConfigError } from '../../errors.js'
import type { TokenSet } from '../../types.js'
import { int, type OAuthContext } from '../run/context.js'
import { grantParameters, tokenRequest, type GrantParameters } from '../run/token.js'

/**
 * The password grant's credentials, with the common grant parameters.
 *
 * @group Grants
 */
export interface PasswordGrantOptions extends GrantParameters {
  username: string
  password: string
}

/**
 * The resource owner password credentials grant. **Legacy**: OAuth 2.0 Security BCP (RFC 9700
 * §2.4) says it MUST NOT be used; it remains for trusted first-party logins on servers that
 * still offer it (EPISHIP does). Prefer authorization code + PKCE or the device flow.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.3
 *
 * @example
 * const tokens = await passwordGrant(ctx, { username, password, scope: 'read' })
 *
 * @group Grants
 */
export async function passwordGrant(ctx: OAuthContext, options: PasswordGrantOptions): Promise<TokenSet> {
  if (!options?.username || typeof options.password !== 'string') {
    throw new ConfigError('invalid_config', 'the password grant needs username and password')
  }
  const params = grantParameters(options)
  params.set('username', options.username)
  params.set('password', options.password)
  const { as, client, clientAuth } = int(ctx)
  return tokenRequest(
    ctx,
    'password grant',
    (request) => o.genericTokenEndpointRequest(as, client, clientAuth, 'password', params, request),
    options.signal,
    { requestedScope: options.scope, retry: options.retry },
  )
}
