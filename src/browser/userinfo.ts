import { fetchUserInfo, type UserInfo, type UserInfoOptions } from '../protocol/endpoints/endpoints.js'
import type { BrowserClient } from './client.js'

/**
 * The signed-in user's claims from the userinfo endpoint (a signed answer verified against the
 * server's keys), held to the user of the ID token (its `sub`, OpenID Connect Core §5.3.2). A
 * sign-in without an ID token has no user to hold them to: pass `expectedSubject`, or
 * `skipSubjectCheck`. A function rather than a method, so that apps that never call it do not
 * carry its JWT verification.
 *
 * @example
 * const me = await getUserInfo(app)
 */
export async function getUserInfo(app: BrowserClient, options: Pick<UserInfoOptions, 'expectedSubject'> = {}): Promise<UserInfo> {
  const [ctx, token, user] = await Promise.all([app.getContext(), app.getAccessToken(), app.getUser()])
  const sub = options?.expectedSubject ?? (typeof user?.sub === 'string' ? user.sub : undefined)
  return fetchUserInfo(ctx, token, sub === undefined ? {} : { expectedSubject: sub })
}
