// The browser client's sign-in, callback and the server's half of logout: a chunk loaded by the
// first of them (client.ts), so that the pages that only renew tokens and call the API carry
// none of the authorization code flow, revocation or end-session code.
import { OAuthKitError } from '../errors.js'
import { parseUrl } from '../internal/url.js'
import { buildAuthorizationUrl, completeAuthorization } from '../protocol/grants/authorization-code.js'
import { buildEndSessionUrl } from '../protocol/endpoints/end-session.js'
import { revokeToken } from '../protocol/endpoints/endpoints.js'
import type { TokenSet } from '../types.js'
import { callbackParams } from './callback.js'
import type { BrowserClient, LoginOptions, LogoutResult, Parts } from './client.js'

/** The authorization URL of a new sign-in, kept pending (with where to come back) for its callback. */
export async function createLoginUrl(p: Parts, o: LoginOptions = {}): Promise<string> {
  const scope = o.scope ?? p.options.scope
  const started = await buildAuthorizationUrl(await p.ctx(), {
    redirectUri: p.options.redirectUri,
    ...(scope ? { scope } : {}),
    ...(o.extraParams ? { extraParams: o.extraParams } : {}),
    ...(p.options.par === undefined ? {} : { par: p.options.par }),
  })
  const hash = typeof location === 'object' ? location.hash : ''
  p.pending.save({ ...started, ...(o.returnTo ? { returnTo: o.returnTo } : {}), ...(hash ? { hash } : {}) })
  return started.url
}

/** Completes the sign-in whose callback `url` is, once it has left the address bar. */
export async function handleRedirectCallback(p: Parts, url: string): Promise<{ tokens: TokenSet; returnTo?: string }> {
  const address = parseUrl(url, 'the callback URL')
  const saved = p.pending.take(callbackParams(address).get('state') ?? '')
  // Out of the address bar before anything can fail: a reload must not repeat the callback.
  if (typeof history === 'object')
    history.replaceState(history.state, '', withoutResponse(address, p.options.dialect?.authorizationResponse?.extraFields, saved?.hash))
  if (!saved)
    throw new OAuthKitError(
      'no_pending_sign_in',
      'this callback matches no sign-in started in this tab (a replayed or forged callback, or one over ten minutes old): sign in again',
    )
  const tokens = await completeAuthorization(await p.ctx(), url, saved)
  await p.session.setTokens(tokens)
  return saved.returnTo ? { tokens, returnTo: saved.returnTo } : { tokens }
}

/** Revokes the grant held (its refresh token, else its access token; RFC 7009), before the tokens are cleared. */
export async function revoke(p: Parts, held: TokenSet | undefined): Promise<LogoutResult> {
  const c = await p.ctx()
  const token = held?.refreshToken ?? held?.accessToken
  const result: LogoutResult = { revoked: false }
  if (token && c.metadata.revocation_endpoint) {
    await revokeToken(c, token, { tokenTypeHint: held?.refreshToken ? 'refresh_token' : 'access_token' }).then(
      () => void (result.revoked = true),
      (err: OAuthKitError) => void (result.error = err),
    )
  }
  return result
}

/** Goes to the end-session endpoint, when the server has one (RP-Initiated Logout), with a state for the return. */
export async function endSession(
  p: Parts,
  held: TokenSet | undefined,
  result: LogoutResult,
  o: Parameters<BrowserClient['logout']>[0] = {},
): Promise<LogoutResult> {
  const c = await p.ctx()
  const back = o.returnTo ?? p.options.postLogoutRedirectUri
  // A state for the return (RP-Initiated Logout §3), which handleLogoutCallback() matches.
  const state = back && c.metadata.end_session_endpoint ? crypto.randomUUID() : undefined
  if (state) p.pending.saveLogout(state)
  const url = buildEndSessionUrl(c, {
    ...(o.idTokenHint && held?.idToken ? { idTokenHint: held.idToken } : {}),
    ...(back ? { postLogoutRedirectUri: back } : {}),
    ...(state ? { state } : {}),
  })
  if (url && o.redirect !== false) location.assign(url)
  return url ? { ...result, endSessionUrl: url } : result
}

const RESPONSE_PARAMETERS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state']

/**
 * The address without the authorization response: its parameters leave the query or the
 * fragment they came in (with `extra`, a dialect's own fields), and everything else stays —
 * the application's own hash route included, or `hash` (saved at login) when the callback
 * brought none.
 */
export function withoutResponse(url: URL, extra: string[] = [], hash = ''): string {
  const address = new URL(url)
  const names = [...RESPONSE_PARAMETERS, ...extra]
  if (address.searchParams.has('code') || address.searchParams.has('error')) {
    for (const name of names) address.searchParams.delete(name)
  } else if (address.hash.length > 1) {
    const fragment = new URLSearchParams(address.hash.slice(1))
    if (names.some((name) => fragment.has(name))) {
      for (const name of names) fragment.delete(name)
      address.hash = fragment.toString()
    }
  }
  return `${address.pathname}${address.search}${address.hash || hash}`
}
