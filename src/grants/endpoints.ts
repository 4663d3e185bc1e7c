import * as o from 'oauth4webapi'
import { ConfigError, redactUrl } from '../errors.js'
import { parseUrl } from '../internal/url.js'
import type { AuthorizationServerMetadata } from '../types.js'
import type { HttpOptions } from '../http/transport.js'
import { requestOptions, requireEndpoint, type OAuthContext } from './context.js'
import { translateError } from './translate.js'

export interface TokenHintOptions {
  /** `access_token` or `refresh_token` (RFC 7009 §2.1, RFC 7662 §2.1). */
  tokenTypeHint?: 'access_token' | 'refresh_token' | (string & {})
  signal?: AbortSignal
}

function hint(options: TokenHintOptions) {
  return options.tokenTypeHint ? { additionalParameters: { token_type_hint: options.tokenTypeHint } } : {}
}

function requireToken(token: unknown, operation: string): asserts token is string {
  if (typeof token !== 'string' || token === '') throw new ConfigError('invalid_config', `${operation} needs a token`)
}

/**
 * Revokes an access or refresh token. Succeeds also for a token the server does not know
 * (RFC 7009 §2.2: "invalid tokens do not cause an error response").
 * @see https://www.rfc-editor.org/rfc/rfc7009
 */
export async function revokeToken(ctx: OAuthContext, token: string, options: TokenHintOptions = {}): Promise<void> {
  requireToken(token, 'revocation')
  const url = redactUrl(requireEndpoint(ctx, 'revocation_endpoint', 'revocation'))
  try {
    const response = await o.revocationRequest(ctx.as, ctx.client, ctx.clientAuth, token, {
      ...requestOptions(ctx, 'revocation', options.signal),
      ...hint(options),
    })
    await o.processRevocationResponse(response)
  } catch (err) {
    throw translateError(err, 'revocation', url)
  }
}

/** RFC 7662 §2.2 introspection answer; every field but `active` is optional. */
export type IntrospectionResult = o.IntrospectionResponse

/**
 * Asks the server whether a token is active, and what it carries.
 * @see https://www.rfc-editor.org/rfc/rfc7662
 */
export async function introspectToken(ctx: OAuthContext, token: string, options: TokenHintOptions = {}): Promise<IntrospectionResult> {
  requireToken(token, 'introspection')
  const url = redactUrl(requireEndpoint(ctx, 'introspection_endpoint', 'introspection'))
  try {
    const response = await o.introspectionRequest(ctx.as, ctx.client, ctx.clientAuth, token, {
      ...requestOptions(ctx, 'introspection', options.signal),
      ...hint(options),
    })
    return await o.processIntrospectionResponse(ctx.as, ctx.client, response)
  } catch (err) {
    throw translateError(err, 'introspection', url)
  }
}

export interface UserInfoOptions {
  /** OpenID Connect Core §5.3.1 allows both. Default `GET`. */
  method?: 'GET' | 'POST'
  /** The `sub` of the ID token; checked when given (OpenID Connect Core §5.3.2 MUST). */
  expectedSubject?: string
  signal?: AbortSignal
}

/**
 * Fetches the OpenID Connect UserInfo claims for an access token.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#UserInfo
 */
export async function fetchUserInfo(ctx: OAuthContext, accessToken: string, options: UserInfoOptions = {}): Promise<o.UserInfoResponse> {
  requireToken(accessToken, 'userinfo')
  const endpoint = requireEndpoint(ctx, 'userinfo_endpoint', 'userinfo')
  const subject = options.expectedSubject ?? o.skipSubjectCheck
  try {
    const response =
      options.method === 'POST'
        ? await o.protectedResourceRequest(
            accessToken,
            'POST',
            parseUrl(endpoint, 'userinfo_endpoint'),
            new Headers({ accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }),
            '',
            requestOptions(ctx, 'userinfo', options.signal),
          )
        : await o.userInfoRequest(ctx.as, ctx.client, accessToken, requestOptions(ctx, 'userinfo', options.signal))
    return await o.processUserInfoResponse(ctx.as, ctx.client, subject, response)
  } catch (err) {
    throw translateError(err, 'userinfo', redactUrl(endpoint))
  }
}

/** Client metadata sent to and returned by the registration endpoint (RFC 7591 §2). */
export interface ClientMetadata {
  client_id?: string
  client_secret?: string
  redirect_uris?: string[]
  grant_types?: string[]
  response_types?: string[]
  token_endpoint_auth_method?: string
  client_name?: string
  scope?: string
  [key: string]: unknown
}

export interface RegisterOptions {
  /** RFC 7591 §3: an initial access token, when the server requires one. */
  initialAccessToken?: string
  http?: HttpOptions
  signal?: AbortSignal
}

/**
 * Dynamic client registration. Needs no client yet, only the server metadata.
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3
 */
export async function registerClient(
  metadata: AuthorizationServerMetadata,
  client: ClientMetadata,
  options: RegisterOptions = {},
): Promise<ClientMetadata & { client_id: string }> {
  const endpoint = metadata.registration_endpoint
  if (typeof endpoint !== 'string') {
    throw new ConfigError('missing_endpoint', `the server ${metadata.issuer} has no registration_endpoint: register the client by hand`)
  }
  try {
    const response = await o.dynamicClientRegistrationRequest(metadata as o.AuthorizationServer, client as Partial<o.Client>, {
      ...requestOptions({ http: options.http ?? {} }, 'registration', options.signal),
      ...(options.initialAccessToken ? { initialAccessToken: options.initialAccessToken } : {}),
    })
    return (await o.processDynamicClientRegistrationResponse(response)) as ClientMetadata & { client_id: string }
  } catch (err) {
    throw translateError(err, 'client registration', redactUrl(endpoint))
  }
}
