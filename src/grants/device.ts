import * as o from 'oauth4webapi'
import { NetworkError, OAuthKitError, redactUrl } from '../errors.js'
import type { TokenSet } from '../types.js'
import { requestOptions, requireEndpoint, type OAuthContext } from './context.js'
import { grantParameters, tokenExchange, type GrantParameters } from './token.js'
import { translateError } from './translate.js'

export interface DeviceWaitOptions {
  signal?: AbortSignal
  /** Give up after this many milliseconds even if the code has not expired yet. */
  timeout?: number
}

/** A started device authorization: show `userCode` and `verificationUri`, then `wait()`. */
export interface DeviceAuthorization {
  userCode: string
  verificationUri: string
  verificationUriComplete?: string
  /** When the device code expires (epoch ms). */
  expiresAt: number
  /** The polling interval in seconds the server asked for (5 when it gave none). */
  interval: number
  /** Polls the token endpoint until the user approves, refuses, or the code expires. */
  wait(options?: DeviceWaitOptions): Promise<TokenSet>
}

/** RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default." */
const DEFAULT_INTERVAL_S = 5
/** RFC 8628 §3.5: on slow_down "the interval MUST be increased by 5 seconds". */
const SLOW_DOWN_S = 5

/**
 * Starts the device authorization grant.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.1
 */
export async function startDeviceAuthorization(ctx: OAuthContext, options: GrantParameters = {}): Promise<DeviceAuthorization> {
  const url = redactUrl(requireEndpoint(ctx, 'device_authorization_endpoint', 'device authorization'))
  let started: o.DeviceAuthorizationResponse
  try {
    const response = await o.deviceAuthorizationRequest(
      ctx.as,
      ctx.client,
      ctx.clientAuth,
      grantParameters(options),
      requestOptions(ctx, 'device_authorization', options.signal),
    )
    started = await o.processDeviceAuthorizationResponse(ctx.as, ctx.client, response)
  } catch (err) {
    throw translateError(err, 'device authorization', url)
  }
  const deviceCode = started.device_code
  const expiresAt = ctx.clock.now() + started.expires_in * 1000
  const initialInterval = typeof started.interval === 'number' && started.interval > 0 ? started.interval : DEFAULT_INTERVAL_S

  const flow: DeviceAuthorization = {
    userCode: started.user_code,
    verificationUri: started.verification_uri,
    ...(started.verification_uri_complete ? { verificationUriComplete: started.verification_uri_complete } : {}),
    expiresAt,
    interval: initialInterval,
    async wait(waitOptions = {}) {
      const { signal } = waitOptions
      const deadline = Math.min(expiresAt, waitOptions.timeout === undefined ? Infinity : ctx.clock.now() + waitOptions.timeout)
      let interval = initialInterval
      for (;;) {
        const remaining = deadline - ctx.clock.now()
        if (remaining <= 0) throw expired(deadline < expiresAt)
        try {
          await ctx.clock.sleep(Math.min(interval * 1000, remaining), signal)
        } catch (err) {
          throw new NetworkError('aborted', 'device authorization: waiting was cancelled by the caller', { cause: err })
        }
        if (ctx.clock.now() >= deadline) throw expired(deadline < expiresAt)
        try {
          return await tokenExchange(
            ctx,
            'device_code grant',
            () => o.deviceCodeGrantRequest(ctx.as, ctx.client, ctx.clientAuth, deviceCode, requestOptions(ctx, 'token', signal)),
            (response) => o.processDeviceCodeResponse(ctx.as, ctx.client, response),
          )
        } catch (err) {
          const error = (err as OAuthKitError).error
          if (error === 'authorization_pending') continue
          if (error === 'slow_down') {
            interval += SLOW_DOWN_S
            continue
          }
          throw err // access_denied, expired_token and everything else end the wait
        }
      }
    },
  }
  return flow
}

function expired(ownDeadline: boolean): OAuthKitError {
  return new OAuthKitError(
    'device_flow_expired',
    ownDeadline
      ? 'device authorization: the user did not approve within the timeout given to wait(); start again'
      : 'device authorization: the device code expired before the user approved; start again',
  )
}
