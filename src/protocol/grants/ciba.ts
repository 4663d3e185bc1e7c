import * as o from 'oauth4webapi'
import { ConfigError, ResponseError, withoutControls } from '../../errors.js'
import type { TokenSet } from '../../types.js'
import { int, type OAuthContext } from '../run/context.js'
import { runAt } from '../run/operation.js'
import { grantParameters, tokenRequest, type GrantParameters } from '../run/token.js'
import { pollUntilApproved, type DeviceWaitOptions } from './device.js'

/**
 * What a backchannel authentication request asks (OpenID CIBA Core 1.0 §7.1): who the user is
 * — exactly one of the three hints — what they are shown, and for how long the request may wait.
 *
 * @group Grants
 */
export interface BackchannelAuthenticationOptions extends GrantParameters {
  /** Must include `openid` (CIBA §7.1). */
  scope: string
  /** An identifier the server knows the user by (an e-mail address, a phone number, a username). */
  loginHint?: string
  /** An ID token the server issued for the user before. */
  idTokenHint?: string
  /** A token that names the user, issued by someone the server trusts. */
  loginHintToken?: string
  /** Shown on the user's device and on the consumption device, so the user knows which request they approve (§7.1). */
  bindingMessage?: string
  /** A code the user set up with the server, to approve (§7.1 `user_code`). */
  userCode?: string
  /** How long, in seconds, the request may wait for the user (§7.1 `requested_expiry`). */
  requestedExpiry?: number
  acrValues?: string
  /** Ping mode: the bearer token the server must show when it pings your notification endpoint (§7.1 `client_notification_token`). */
  clientNotificationToken?: string
}

/**
 * A started backchannel authentication: the user is asked on their own device. Poll mode:
 * `wait()`; ping mode: `complete()` once the server pinged (see {@link validatePing}).
 *
 * @group Grants
 */
export interface BackchannelAuthentication {
  /** The request's id (`auth_req_id`): what a ping names. */
  authReqId: string
  /** When the request expires (epoch ms). */
  expiresAt: number
  /** The polling interval in seconds the server asked for (5 when it gave none). */
  interval: number
  /** Poll mode: polls the token endpoint until the user approves, refuses, or the request expires (as the device grant's `wait`). */
  wait(options?: DeviceWaitOptions): Promise<TokenSet>
  /** Ping mode: the tokens, once the server pinged that the user answered (one token request). */
  complete(options?: { signal?: AbortSignal }): Promise<TokenSet>
}

/** CIBA Core §7.3: "If no value is provided, clients MUST use 5 as the default value." */
const DEFAULT_INTERVAL_S = 5

/**
 * Starts a backchannel authentication request (OpenID CIBA Core 1.0, poll and ping modes): the
 * server asks the user on their own device — an agent's "ask the human". Then `wait()` (poll)
 * or `complete()` after the server's ping (ping). Errors follow the recovery table:
 * `authorization_pending` and `slow_down` are waited out, `access_denied`, `expired_token` and
 * `transaction_failed` are `reauthenticate` (ask again), `unknown_user_id` and other request
 * errors `fix-config`.
 *
 * @see https://openid.net/specs/openid-client-initiated-backchannel-authentication-core-1_0.html
 *
 * @example
 * const request = await startBackchannelAuthentication(ctx, { scope: 'openid payments', loginHint: 'ann@example.com', bindingMessage: 'Pay 12 EUR? Code W4K' })
 * const tokens = await request.wait()
 *
 * @group Grants
 */
export async function startBackchannelAuthentication(
  ctx: OAuthContext,
  options: BackchannelAuthenticationOptions,
): Promise<BackchannelAuthentication> {
  const { as, client, clientAuth, clock } = int(ctx)
  const params = cibaParameters(options)
  const started = await runAt(
    ctx,
    {
      name: 'backchannel authentication',
      endpoint: 'backchannel_authentication',
      request: (request) => o.backchannelAuthenticationRequest(as, client, clientAuth, params, request),
      process: (response) => o.processBackchannelAuthenticationResponse(as, client, response),
    },
    options.signal,
  )
  const authReqId = started.auth_req_id
  const expiresAt = clock.now() + started.expires_in * 1000
  const interval = typeof started.interval === 'number' && started.interval > 0 ? started.interval : DEFAULT_INTERVAL_S
  const grant = (signal: AbortSignal | undefined) =>
    tokenRequest(
      ctx,
      'CIBA grant',
      (request) =>
        o.backchannelAuthenticationGrantRequest(as, client, clientAuth, authReqId, {
          ...request,
          additionalParameters: grantParameters({ resource: options.resource } as GrantParameters),
        }),
      signal,
      // An auth_req_id is redeemed once; the polling is the retry.
      { requestedScope: options.scope, retry: false },
    )
  return {
    authReqId,
    expiresAt,
    interval,
    wait: (waitOptions = {}) => pollUntilApproved(ctx, 'backchannel authentication', { expiresAt, interval }, waitOptions, grant),
    complete: (completeOptions = {}) => grant(completeOptions.signal),
  }
}

/** The request's parameters, checked: `openid`, exactly one hint, a binding message fit to show. */
function cibaParameters(options: BackchannelAuthenticationOptions): URLSearchParams {
  if (!options || !(options.scope ?? '').split(' ').includes('openid'))
    throw new ConfigError('invalid_config', 'a backchannel authentication request needs a scope with openid (CIBA §7.1)')
  const hints = { login_hint: options.loginHint, id_token_hint: options.idTokenHint, login_hint_token: options.loginHintToken }
  const given = Object.entries(hints).filter(([, value]) => value !== undefined)
  if (given.length !== 1)
    throw new ConfigError(
      'invalid_config',
      `a backchannel authentication request names the user with exactly one of loginHint, idTokenHint, loginHintToken (CIBA §7.1); got ${given.length}`,
    )
  if (options.bindingMessage !== undefined && (typeof options.bindingMessage !== 'string' || hasControls(options.bindingMessage)))
    throw new ConfigError('invalid_config', 'bindingMessage is shown to the user: plain text, without control characters')
  if (options.requestedExpiry !== undefined && !(Number.isInteger(options.requestedExpiry) && options.requestedExpiry > 0))
    throw new ConfigError('invalid_config', 'requestedExpiry is a whole number of seconds above 0')
  const params = grantParameters(options)
  params.set(given[0]![0], String(given[0]![1]))
  const more: Array<[string, string | number | undefined]> = [
    ['binding_message', options.bindingMessage],
    ['user_code', options.userCode],
    ['requested_expiry', options.requestedExpiry],
    ['acr_values', options.acrValues],
    ['client_notification_token', options.clientNotificationToken],
  ]
  for (const [key, value] of more) if (value !== undefined) params.set(key, String(value))
  return params
}

/**
 * Validates the server's ping to your client notification endpoint (CIBA Core §10.2, ping mode):
 * a POST with `Authorization: Bearer` the `clientNotificationToken` of the request, and a JSON
 * body naming its `auth_req_id` — returned, so that you call that request's `complete()`.
 * Anything else is `invalid_response` (answer the ping with 401 or 400, and complete nothing).
 *
 * @example
 * const waiting = new Map<string, BackchannelAuthentication>() // the requests started, by authReqId
 * // At your notification endpoint, with the Request your framework hands you:
 * const authReqId = await validatePing(request, { clientNotificationToken: 'the token the request was started with' })
 * const tokens = await waiting.get(authReqId)?.complete()
 *
 * @group Grants
 */
export async function validatePing(request: Request, expected: { clientNotificationToken: string }): Promise<string> {
  const refuse = (why: string): never => {
    throw new ResponseError('invalid_response', `CIBA ping refused: ${why}`)
  }
  if (!expected?.clientNotificationToken)
    throw new ConfigError('invalid_config', 'validatePing needs the clientNotificationToken the request was made with')
  if (request.method !== 'POST') refuse(`a ${request.method}, not a POST`)
  const bearer = /^Bearer ([\x21-\x7e]+)$/i.exec(request.headers.get('authorization') ?? '')?.[1]
  if (!bearer || !sameText(bearer, expected.clientNotificationToken))
    refuse("the bearer token is not the request's client_notification_token")
  if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) refuse('the body is not JSON')
  const text = await request.text()
  if (text.length > 4096) refuse('the body is over 4 KiB')
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    refuse('the body is not JSON')
  }
  const id = (body as { auth_req_id?: unknown } | null)?.auth_req_id
  if (typeof id !== 'string' || !id || hasControls(id)) refuse('the body names no auth_req_id')
  return id as string
}

/** Whether text holds what `withoutControls` removes (a control character, an escape sequence, a bidi mark). */
const hasControls = (text: string) => withoutControls(text) !== text

/** Compares two strings in time independent of where they differ. */
function sameText(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0)
  return diff === 0
}
