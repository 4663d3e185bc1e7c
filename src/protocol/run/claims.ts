import * as o from 'oauth4webapi'
import { ResponseError } from '../../errors.js'
import type { ContextInternals, ReadTokens, TokenReader } from './context.js'
import type { JwsKit } from './jws.js'
import { runOperation } from './operation.js'

/**
 * oauth4webapi's processing of a token answer — every check, and the ID token's claims when
 * there is one — and the ID token's signature with the server's keys (OpenID Connect Core
 * §3.1.3.7 (6)): when asked (`verifyIdTokens`), and by default when the token endpoint is not
 * `https:` (the ID token did not come over TLS). The signature check is a chunk of its own
 * (protocol/run/jws.ts), loaded the first time.
 */
export async function withClaims(processed: Promise<o.TokenEndpointResponse>, { as, options }: ContextInternals): Promise<ReadTokens> {
  const body = await processed
  const jwt = body.id_token
  if (jwt && (options.verifyIdTokens ?? !/^https:/i.test(String(as.token_endpoint)))) {
    const { verifyJws } = await import('./jws.js')
    await verifyJws(jwsKit, options, as.jwks_uri, jwt, 'invalid_id_token')
  }
  const claims = jwt ? (o.getValidatedIdTokenClaims(body) as Record<string, unknown> | undefined) : undefined
  return claims ? { body, claims } : { body }
}

/** What the JWS chunk (protocol/run/jws.ts) is handed: it imports no value itself. */
export const jwsKit: JwsKit = {
  runOperation,
  Failure: ResponseError,
  unsuccessful: (response) =>
    new o.OperationProcessingError(`unsuccessful answer (${response.status})`, { cause: response, code: o.RESPONSE_IS_NOT_CONFORM }),
}

/** The full reader of client_credentials and refresh answers, for the contexts that may hold ID tokens. */
export const fullReader: TokenReader = (internals, response, grant) =>
  withClaims(
    grant === 'refresh_token'
      ? o.processRefreshTokenResponse(internals.as, internals.client, response)
      : o.processClientCredentialsResponse(internals.as, internals.client, response),
    internals,
  )
