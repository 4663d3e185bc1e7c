import * as o from 'oauth4webapi'
import { NetworkError, OAuthKitError, ResponseError, isTransient, withoutControls } from '../../errors.js'
import type { TokenSet } from '../../types.js'
import { int, type OAuthContext } from '../run/context.js'
import { runAt } from '../run/operation.js'
import { userAgentUrl } from '../../internal/url.js'
import { grantParameters, tokenRequest, type GrantParameters } from '../run/token.js'

/**
 * How long DeviceAuthorization.wait() polls, and its cancellation.
 *
 * @group Grants
 */
export interface DeviceWaitOptions {
  signal?: AbortSignal
  /** Give up after this many milliseconds even if the code has not expired yet. */
  timeout?: number
}

/**
 * A started device authorization: show `userCode` and `verificationUri`, then `wait()`.
 *
 * @group Grants
 */
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

/** The device grant's type (RFC 8628 §3.4). */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/** RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default." */
const DEFAULT_INTERVAL_S = 5
/** RFC 8628 §3.5: on slow_down "the interval MUST be increased by 5 seconds". */
const SLOW_DOWN_S = 5

/**
 * Starts the device authorization grant.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.1
 *
 * @example
 * const flow = await startDeviceAuthorization(ctx, { scope: 'openid offline_access' })
 * console.log(`Open ${flow.verificationUri} and enter ${flow.userCode}`)
 * const tokens = await flow.wait()
 *
 * @group Grants
 */
export async function startDeviceAuthorization(ctx: OAuthContext, options: GrantParameters = {}): Promise<DeviceAuthorization> {
  options ??= {}
  const { as, client, clientAuth, clock, options: http } = int(ctx)
  const started = await runAt(
    ctx,
    {
      name: 'device authorization',
      endpoint: 'device_authorization',
      request: (request) => o.deviceAuthorizationRequest(as, client, clientAuth, grantParameters(options), request),
      process: (response) => o.processDeviceAuthorizationResponse(as, client, response),
    },
    options.signal,
  )
  // Shown to a person: a code with control characters (an escape sequence for their terminal, a bidi override) is no code.
  if (withoutControls(started.user_code) !== started.user_code)
    throw new ResponseError('invalid_response', 'device authorization: the user_code holds control characters; refusing to show it')
  const expiresAt = clock.now() + started.expires_in * 1000
  const interval = typeof started.interval === 'number' && started.interval > 0 ? started.interval : DEFAULT_INTERVAL_S
  return {
    userCode: started.user_code,
    // Shown to the user, opened on another device: the URL rule of every URL handed to a person.
    verificationUri: userAgentUrl(started.verification_uri, 'the verification_uri', http.allowInsecureHttp),
    ...(started.verification_uri_complete
      ? {
          verificationUriComplete: userAgentUrl(started.verification_uri_complete, 'the verification_uri_complete', http.allowInsecureHttp),
        }
      : {}),
    expiresAt,
    interval,
    wait: (waitOptions = {}) =>
      pollUntilApproved(ctx, 'device authorization', { expiresAt, interval }, waitOptions, (signal) =>
        tokenRequest(
          ctx,
          'device_code grant',
          // RFC 8707 §2.2: the resource indicators of the authorization request, on the token request too.
          (request) =>
            o.deviceCodeGrantRequest(as, client, clientAuth, started.device_code, {
              ...request,
              additionalParameters: grantParameters({ resource: options.resource } as GrantParameters),
            }),
          signal,
          // The polling is the retry: a failed poll waits for the next.
          { requestedScope: options.scope, retry: false },
        ),
      ),
  }
}

/**
 * Polls at the interval until the user approves, refuses, or time runs out: the device grant
 * (RFC 8628 §3.4–3.5) and CIBA's poll mode (CIBA Core §7.3, §11) alike — `authorization_pending`
 * waits the interval, `slow_down` adds 5 s to it, a bad moment of the server doubles it (60 s at
 * most, never sooner than its Retry-After), and anything else ends the wait.
 */
export async function pollUntilApproved(
  ctx: OAuthContext,
  what: string,
  flow: { expiresAt: number; interval: number },
  options: DeviceWaitOptions,
  grant: (signal: AbortSignal | undefined) => Promise<TokenSet>,
): Promise<TokenSet> {
  const { clock } = int(ctx)
  const { expiresAt } = flow
  const { signal } = options
  const deadline = Math.min(expiresAt, options.timeout === undefined ? Infinity : clock.now() + options.timeout)
  // The pace the server set (its interval, plus each slow_down), and the one of the moment: slower while the server fails.
  let pace = flow.interval
  let interval = pace
  for (;;) {
    const remaining = deadline - clock.now()
    if (remaining <= 0) throw expired(what, deadline < expiresAt)
    try {
      await clock.sleep(Math.min(interval * 1000, remaining), signal)
    } catch (err) {
      throw new NetworkError('aborted', `${what}: waiting was cancelled by the caller`, { cause: err })
    }
    if (clock.now() >= deadline) throw expired(what, deadline < expiresAt)
    try {
      return await grant(signal)
    } catch (err) {
      const error = (err as OAuthKitError).error
      if (error === 'authorization_pending') {
        interval = pace
        continue
      }
      if (error === 'slow_down') {
        interval = pace += SLOW_DOWN_S
        continue
      }
      // A network error, a timeout, a 429, a 5xx or a server_error is a bad moment, not an
      // answer: poll again, twice as slowly each time (RFC 8628 §3.5 recommends doubling on a
      // connection timeout), 60 s at most and never sooner than a Retry-After; the server's own
      // pace again once it answers as it should.
      if (isTransient(err)) {
        interval = Math.max(Math.min(interval * 2, 60), err.retryAfter ?? 0)
        continue
      }
      throw err // access_denied, expired_token and everything else end the wait
    }
  }
}

function expired(what: string, ownDeadline: boolean): OAuthKitError {
  return new OAuthKitError(
    'device_flow_expired',
    ownDeadline
      ? `${what}: the user did not approve within the timeout given to wait(); start again`
      : `${what}: the request expired before the user approved; start again`,
  )
}
