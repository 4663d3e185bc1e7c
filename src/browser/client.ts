/**
 * The browser entry (`oauthkit/browser`): sign-in with authorization code + PKCE, tokens that
 * refresh without a reload, a storage choice, and tabs that cooperate — one refresh serves
 * all of them (a Web Lock plus a BroadcastChannel), and signing out in one signs out all.
 * Composition only: the protocol is the plain functions, the tokens are a TokenManager.
 */
import { ConfigError, OAuthKitError, ResponseError, isOAuthKitError, unloadedChunk } from '../errors.js'
import { systemClock } from '../internal/clock.js'
import { retrying } from '../internal/retrying.js'
import type { HttpOptions } from '../http/options.js'
import { resolveClient, type MetadataSource } from '../discovery/resolve.js'
import { int, type OAuthContext } from '../protocol/run/context.js'
import { createPublicContext } from '../protocol/run/client-auth.js'
import type { DPoP } from '../dpop/proofs.js'
import { refreshGrant } from '../protocol/grants/refresh.js'
import type { TokenControl, TokenEvents } from '../token/manager.js'
import { webLock } from '../token/lock.js'
import { memoryStore, webStorageStore, type TokenStore } from '../token/store.js'
import { openSession, type Session } from '../session.js'
import type { RetryPolicy, TokenProof, TokenSet } from '../types.js'
import { callbackParams } from './callback.js'
import { pendingSignIns } from './pending.js'
import { connectTabs, fingerprint } from './tabs.js'

/** Options of {@link createBrowserClient}: the client, the server, the storage and the {@link HttpOptions}, flat. */
export interface BrowserClientOptions extends MetadataSource, HttpOptions {
  clientId: string
  /** Where the server sends the user back; handle it with `handleRedirectCallback()`. */
  redirectUri: string
  /** Asked for at sign-in. A refresh asks for none: it keeps what was granted (RFC 6749 §6). */
  scope?: string
  /**
   * Where tokens live and what tabs share (docs/browser.md): `memory` (default; the least
   * exposed, gone on reload, each tab signs in on its own), `session` (sessionStorage: survives
   * reloads of this tab; each tab signs in on its own), `local` (localStorage: one sign-in for
   * the origin's tabs, survives restarts; the widest exposure to XSS).
   */
  storage?: 'memory' | 'session' | 'local'
  /** A store of your own (an extension's storage, IndexedDB), instead of `storage`; its tabs sign in on their own. */
  store?: TokenStore
  /** API base URLs `fetch` may send the token to. */
  apiUrls?: Array<string | URL>
  /** Where the end-session endpoint sends the user after logout. */
  postLogoutRedirectUri?: string
  /** Prefix of the storage keys, the lock and the channel. Default `oauthkit:<clientId>`. */
  key?: string
  /** How long (ms) a tab waits for the cross-tab lock before taking it over from a holder that never lets go. Default 40 s. */
  lockTimeout?: number
  /** Push sign-in requests (RFC 9126): default when the server requires it; `true` always. */
  par?: boolean
  /**
   * DPoP-bound tokens (RFC 9449): token requests and `fetch` carry proofs of this key. Give
   * `browserDPoP()`, a key kept in IndexedDB so that reloads and the origin's tabs use the
   * same one (an app that does not import it carries no DPoP code).
   */
  dpop?: DPoP | Promise<DPoP>
}

/** What `logout()` did about the server: whether the token was revoked, and why not when it failed. */
export interface LogoutResult {
  /** The refresh token (or, without one, the access token) was revoked (RFC 7009). */
  revoked: boolean
  /** Why revocation failed; the user is signed out here and in every tab all the same. */
  error?: OAuthKitError
  /** The end-session URL (with `redirect: false`, for the app to go to itself), when the server has an end-session endpoint. */
  endSessionUrl?: string
}

/** Options of `login()` and `createLoginUrl()`. */
export interface LoginOptions {
  scope?: string
  extraParams?: Record<string, string>
  /** Given back by `handleRedirectCallback()`, for the app to go to. */
  returnTo?: string
}

/**
 * The browser client: sign-in, callback, the token, an authorized fetch, logout and events.
 */
export interface BrowserClient {
  /** Redirects to the authorization server (PKCE, state, nonce and the hash route kept in sessionStorage for the callback). */
  login(options?: LoginOptions): Promise<void>
  /** The authorization URL, without going there (a popup, an extension's `launchWebAuthFlow`); the callback completes it as after `login()`. */
  createLoginUrl(options?: LoginOptions): Promise<string>
  /** True when `url` (default: the current address) is an authorization response. */
  isCallback(url?: string): boolean
  /**
   * Completes sign-in from the query or the fragment. The response leaves the address bar
   * first (the app's own hash route stays), so an error is never repeated by a reload.
   */
  handleRedirectCallback(url?: string): Promise<{ tokens: TokenSet; returnTo?: string }>
  /** Whether this tab holds tokens that are valid or renewable. Asks no server, renews nothing, emits nothing. */
  isAuthenticated(): Promise<boolean>
  /** A valid access token, renewed once for every tab of the grant when due. */
  getAccessToken(): Promise<string>
  /** ID token claims of the signed-in user, if any. Asks no server, renews nothing. */
  getUser(): Promise<Record<string, unknown> | undefined>
  /** The protocol context (the server's metadata and this client), for the plain functions: `getUserInfo(app)` uses it. */
  getContext(): Promise<OAuthContext>
  /** `fetch` with the bearer token attached to `apiUrls` only. */
  fetch: typeof fetch
  /**
   * Signs out in every tab: revokes with the tokens held (no renewal first), clears them, and
   * goes to the end-session endpoint if the server has one (with the ID token only when
   * `idTokenHint` is true). Resolves with what the revocation did.
   */
  logout(options?: { returnTo?: string; redirect?: boolean; idTokenHint?: boolean }): Promise<LogoutResult>
  /**
   * On the page the end-session endpoint sent the user back to: checks that it is the return
   * of the logout this tab started (its `state`, RP-Initiated Logout §3) and takes the state
   * out of the address bar; `state_mismatch` otherwise (a redirect someone else made).
   */
  handleLogoutCallback(url?: string): void
  /** Listens to an event; returns the function that stops listening. */
  on<K extends keyof BrowserEvents>(event: K, listener: BrowserEvents[K]): () => void
}

/**
 * The browser client's events: the token manager's, and `logout` from this or another tab.
 */
export interface BrowserEvents extends TokenEvents {
  /** This tab or another one signed out. */
  logout: () => void
}

function storeFor(options: BrowserClientOptions, key: string): TokenStore {
  if (options.store) return options.store
  if (options.storage === 'local') return webStorageStore(localStorage, `${key}:tokens`)
  if (options.storage === 'session') return webStorageStore(sessionStorage, `${key}:tokens`)
  return memoryStore()
}

/** The public-client context, resolved once on first use (and again after a failure); an OpenID provider's document is asked for first. */
function lazyContext(options: BrowserClientOptions): () => Promise<OAuthContext> {
  let context: Promise<OAuthContext> | undefined
  // Discovery is lazy here, so a constructor's signal has nothing to cancel: it is not kept (calls take their own).
  const source = { wellKnownFirst: 'openid-configuration' as const, ...options, signal: undefined }
  return () =>
    (context ??= resolveClient('createBrowserClient', source, (metadata, http) =>
      createPublicContext(metadata, options.clientId, http),
    )).catch((err: unknown) => {
      context = undefined
      throw err
    })
}

/** What the browser client's operations share. */
export interface Parts {
  options: BrowserClientOptions
  ctx: () => Promise<OAuthContext>
  session: Session
  /** What the tabs and the client may do besides a caller: read the tokens held, adopt, forget. */
  control: TokenControl
  pending: ReturnType<typeof pendingSignIns>
  tabs: ReturnType<typeof connectTabs>
  logoutListeners: Set<() => void>
  /** Forgets this tab's tokens of a grant (by refresh token fingerprint), or a refused grant's leftovers. */
  forget: (grant: string | undefined) => Promise<void>
}

/** The sign-in chunk (./sign-in.ts): loaded by the first sign-in, callback or logout; a network_error when it cannot be (nothing was done). */
function signIn(): Promise<typeof import('./sign-in.js')> {
  return signInChunk().catch((err: unknown) => {
    throw unloadedChunk('the sign-in', err)
  })
}
const signInChunk = retrying(() => import('./sign-in.js'))

/**
 * Signs out: revokes with the tokens held and goes to the end-session endpoint (the sign-in
 * chunk), and in between clears the tokens here and in every tab — even when that chunk cannot
 * be loaded (then nothing is revoked, and the result says why).
 */
async function logout(p: Parts, o: Parameters<BrowserClient['logout']>[0] = {}): Promise<LogoutResult> {
  const server = await signIn().catch((err: OAuthKitError) => err)
  const held = (await p.control.peek())?.tokens
  const result = server instanceof Error ? { revoked: false, error: server } : await server.revoke(p, held)
  await p.session.clear()
  p.tabs.logout()
  p.logoutListeners.forEach((l) => l())
  return server instanceof Error ? result : server.endSession(p, held, result, o)
}

function logoutCallback(p: Parts, href = location.href): void {
  const url = new URL(href)
  if (!p.pending.takeLogout(url.searchParams.get('state')))
    throw new ResponseError('state_mismatch', 'not the return of a logout this tab started (its state does not match): nothing to do')
  url.searchParams.delete('state')
  if (typeof location === 'object' && href === location.href) history.replaceState(history.state, '', url.href)
}

/**
 * The refresh step, tab-safe: a refresh token another tab already rotated is never sent (the
 * tab holding the current tokens is asked for them instead); a rotation is recorded for the
 * tabs that missed it; a refused grant is announced, so every tab forgets it.
 */
async function refreshStep(
  p: Parts,
  refreshToken: string,
  current: TokenSet | undefined,
  signal: AbortSignal | undefined,
  retry: RetryPolicy | false | undefined,
): Promise<TokenSet> {
  const grant = fingerprint(refreshToken) as string
  if (await p.tabs.spent(grant)) {
    const theirs = await p.tabs.ask(grant)
    if (theirs) return theirs
    void p.forget(grant)
    throw new OAuthKitError('sign_in_required', 'another tab renewed this sign-in and holds its tokens, but did not answer: sign in again')
  }
  try {
    const next = await refreshGrant(await p.ctx(), current ?? refreshToken, {
      ...(signal ? { signal } : {}),
      ...(retry === undefined ? {} : { retry }),
    })
    await p.tabs.rotated(grant, fingerprint(next.refreshToken)).catch(() => {})
    return next
  } catch (err) {
    if (isOAuthKitError(err) && err.error === 'invalid_grant') p.tabs.dead(grant)
    throw err
  }
}

/**
 * The single-page-app client: sign-in, renewal without a reload, storage, and tabs that never
 * refresh twice nor replay a rotated refresh token.
 *
 * @example
 * const app = createBrowserClient({ issuer, clientId, redirectUri: `${location.origin}/`, scope: 'openid profile', apiUrls: [api] })
 * if (app.isCallback()) await app.handleRedirectCallback()
 * if (!(await app.isAuthenticated())) await app.login()
 */
export function createBrowserClient(options: BrowserClientOptions): BrowserClient {
  if (!options?.clientId || !options.redirectUri)
    throw new ConfigError('invalid_config', 'createBrowserClient needs clientId and redirectUri')
  const key = options.key ?? `oauthkit:${options.clientId}`
  const clock = options.clock ?? systemClock
  const p = {
    options,
    ctx: lazyContext(options),
    pending: pendingSignIns(key, () => clock.now()),
    logoutListeners: new Set<() => void>(),
  } as Parts
  // The one session owns the tokens; the tabs plug into it as its coordinator.
  p.session = openSession({
    store: storeFor(options, key),
    lock: webLock(options.lockTimeout === undefined ? {} : { timeout: options.lockTimeout }),
    lockName: `${key}:refresh`,
    owner: key,
    bound: Boolean(options.dpop),
    refresh: (refreshToken, signal, current, retry) => refreshStep(p, refreshToken, current, signal, retry),
    clock,
    coordinator: (control) => (p.control = control),
    ...(options.apiUrls ? { apiUrls: options.apiUrls } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
    // Proofs dated by the context's clock and the server's skew: the key as the context holds it.
    ...(options.dpop ? { dpop: lazyProof(() => p.ctx().then((c) => int(c).dpop!)) } : {}),
  })
  // A grant's tokens, or a refused grant's leftovers (no refresh token, expired), leave this tab and its store.
  p.forget = (grant) =>
    p.control.forget(
      (t) =>
        (grant !== undefined && fingerprint(t.refreshToken) === grant) || (!t.refreshToken && (t.expiresAt ?? Infinity) <= clock.now()),
    )
  p.session.on('sign-in-required', () => void p.forget(undefined))
  const shared = options.storage === 'local' && !options.store
  const exchange = !options.store && (options.storage === 'local' || options.storage === 'session')
  p.tabs = connectTabs(
    key,
    { ...p.control, on: p.session.on, clear: p.session.clear },
    {
      shared,
      exchange,
      persistAdopted: !shared,
      forget: p.forget,
      onLogout: () => p.logoutListeners.forEach((l) => l()),
      now: () => clock.now(),
    },
  )
  return clientMethods(p)
}

function clientMethods(p: Parts): BrowserClient {
  const { session, control } = p
  return {
    login: async (o) => location.assign(await (await signIn()).createLoginUrl(p, o)),
    createLoginUrl: async (o) => (await signIn()).createLoginUrl(p, o),
    isCallback(url = location.href) {
      const address = URL.canParse(url) ? new URL(url) : undefined
      const params = address && callbackParams(address)
      return !!params && (params.has('code') || params.has('error'))
    },
    handleRedirectCallback: async (url = location.href) => (await signIn()).handleRedirectCallback(p, url),
    isAuthenticated: async () => {
      const held = await control.peek()
      return !!held && (held.valid || held.tokens.refreshToken !== undefined)
    },
    getAccessToken: () => session.getAccessToken(),
    getUser: async () => (await control.peek())?.tokens.idTokenClaims,
    getContext: () => p.ctx(),
    fetch: session.fetch,
    logout: (o) => logout(p, o),
    handleLogoutCallback: (url) => logoutCallback(p, url),
    on(event, listener) {
      if (event !== 'logout') return session.on(event as keyof TokenEvents, listener as never)
      p.logoutListeners.add(listener as () => void)
      return () => p.logoutListeners.delete(listener as () => void)
    },
  }
}

/** A DPoP key had on first use (the context resolved); one that could not be had (discovery down) is asked for again by the next call. */
function lazyProof(get: () => Promise<TokenProof>): TokenProof {
  let key: TokenProof | undefined
  const load = retrying(() => get().then((k) => (key = k)))
  return {
    proof: async (method, url, token) => (await load()).proof(method, url, token),
    // A response is only observed after a request that loaded the key.
    observe: (url, response) => key?.observe(url, response) ?? false,
    headers: async (token, method, url) => (await load()).headers(token, method, url),
    send: async (fetch, token, url, init, request) => (await load()).send(fetch, token, url, init, request),
  }
}
