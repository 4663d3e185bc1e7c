/**
 * The browser entry (`oauthkit/browser`): sign-in with authorization code + PKCE, tokens that
 * refresh without a reload, a storage choice, and tabs that cooperate — one refresh serves
 * all of them (a Web Lock plus a BroadcastChannel), and signing out in one signs out all.
 * Composition only: the protocol is the plain functions, the tokens are a TokenManager.
 */
import { ConfigError, isOAuthKitError } from '../errors.js'
import { parseUrl } from '../internal/url.js'
import { pickHttpOptions, type HttpOptions } from '../http/options.js'
import { resolveMetadata, type MetadataSource } from '../discovery/resolve.js'
import { createPublicContext, type OAuthContext } from '../grants/context.js'
import { buildAuthorizationUrl, completeAuthorization } from '../grants/authorization-code.js'
import { buildEndSessionUrl } from '../grants/end-session.js'
import { refreshGrant } from '../grants/refresh.js'
import { revokeToken } from '../grants/endpoints.js'
import { TokenManager, type TokenEvents } from '../token/manager.js'
import { webLock } from '../token/lock.js'
import { memoryStore, webStorageStore, type TokenStore } from '../token/store.js'
import { createAuthorizedFetch } from '../fetch/authorized-fetch.js'
import type { TokenSet } from '../types.js'
import { callbackParams, cleanAddressBar } from './callback.js'
import { pendingSignIns } from './pending.js'
import { connectTabs } from './tabs.js'

/** Options of {@link createBrowserClient}: the client, the server, the storage and the {@link HttpOptions}, flat. */
export interface BrowserClientOptions extends MetadataSource, HttpOptions {
  clientId: string
  /** Where the server sends the user back; handle it with `handleRedirectCallback()`. */
  redirectUri: string
  scope?: string
  /**
   * Where tokens live (docs/browser.md): `memory` (default; the least exposed, gone on reload),
   * `session` (sessionStorage: survives reloads of this tab), `local` (localStorage: shared by
   * the origin's tabs, survives restarts; the widest exposure to XSS).
   */
  storage?: 'memory' | 'session' | 'local'
  /** API base URLs `fetch` may send the token to. */
  apiUrls?: Array<string | URL>
  /** Where the end-session endpoint sends the user after logout. */
  postLogoutRedirectUri?: string
  /** Prefix of the storage keys, the lock and the channel. Default `oauthkit:<clientId>`. */
  key?: string
}

/**
 * The browser client: sign-in, callback, the token, an authorized fetch, logout and events.
 */
export interface BrowserClient {
  /** Redirects to the authorization server (PKCE, state, nonce kept in sessionStorage for the callback). */
  login(options?: { scope?: string; extraParams?: Record<string, string>; returnTo?: string }): Promise<void>
  /** True when `url` (default: the current address) is an authorization response. */
  isCallback(url?: string): boolean
  /** Completes sign-in from the query or the fragment, then cleans the address bar. */
  handleRedirectCallback(url?: string): Promise<{ tokens: TokenSet; returnTo?: string }>
  /** Signed in with a token that is or can be made valid. */
  isAuthenticated(): Promise<boolean>
  getAccessToken(): Promise<string>
  /** ID token claims of the signed-in user, if any. */
  getUser(): Promise<Record<string, unknown> | undefined>
  /** `fetch` with the bearer token attached to `apiUrls` only. */
  fetch: typeof fetch
  /** Revokes the refresh token, clears storage in every tab, and goes to the end-session endpoint if the server has one. */
  logout(options?: { returnTo?: string; redirect?: boolean }): Promise<void>
  on<K extends keyof BrowserEvents>(event: K, listener: BrowserEvents[K]): () => void
}

/**
 * The browser client's events: the token manager's, and `logout` from this or another tab.
 */
export interface BrowserEvents extends TokenEvents {
  /** This tab or another one signed out. */
  logout: () => void
}

function storeFor(storage: BrowserClientOptions['storage'], key: string): TokenStore {
  if (storage === 'local') return webStorageStore(localStorage, `${key}:tokens`)
  if (storage === 'session') return webStorageStore(sessionStorage, `${key}:tokens`)
  return memoryStore()
}

/** The public-client context, resolved once on first use (and again after a failure). */
function lazyContext(options: BrowserClientOptions, http: HttpOptions): () => Promise<OAuthContext> {
  let context: Promise<OAuthContext> | undefined
  return () =>
    (context ??= resolveMetadata(options, http).then((metadata) => createPublicContext(metadata, options.clientId, http))).catch((err: unknown) => {
      context = undefined
      throw err
    })
}

/** What the browser client's operations share. */
interface Parts {
  options: BrowserClientOptions
  ctx: () => Promise<OAuthContext>
  manager: TokenManager
  pending: ReturnType<typeof pendingSignIns>
  tabs: ReturnType<typeof connectTabs>
  logoutListeners: Set<() => void>
}

async function login(p: Parts, o: Parameters<BrowserClient['login']>[0] = {}): Promise<void> {
  const scope = o.scope ?? p.options.scope
  const started = await buildAuthorizationUrl(await p.ctx(), {
    redirectUri: p.options.redirectUri,
    ...(scope ? { scope } : {}),
    ...(o.extraParams ? { extraParams: o.extraParams } : {}),
  })
  p.pending.save({ ...started, ...(o.returnTo ? { returnTo: o.returnTo } : {}) })
  location.assign(started.url)
}

async function handleRedirectCallback(p: Parts, url: string): Promise<{ tokens: TokenSet; returnTo?: string }> {
  const address = parseUrl(url, 'the callback URL')
  const saved = p.pending.take(callbackParams(address).get('state') ?? '')
  if (!saved) throw new ConfigError('invalid_config', 'no pending sign-in for this callback (already used, or started in another tab): sign in again')
  cleanAddressBar(address)
  const tokens = await completeAuthorization(await p.ctx(), url, saved)
  await p.manager.setTokens(tokens)
  return saved.returnTo ? { tokens, returnTo: saved.returnTo } : { tokens }
}

async function logout(p: Parts, o: Parameters<BrowserClient['logout']>[0] = {}): Promise<void> {
  const c = await p.ctx()
  const tokens = await p.manager.getTokens().catch(() => undefined)
  if (tokens?.refreshToken && c.metadata.revocation_endpoint) {
    await revokeToken(c, tokens.refreshToken, { tokenTypeHint: 'refresh_token' }).catch(() => {})
  }
  await p.manager.clear()
  p.tabs.logout()
  p.logoutListeners.forEach((l) => l())
  const back = o.returnTo ?? p.options.postLogoutRedirectUri
  const endSession = buildEndSessionUrl(c, { ...(tokens?.idToken ? { idTokenHint: tokens.idToken } : {}), ...(back ? { postLogoutRedirectUri: back } : {}) })
  if (endSession && o.redirect !== false) location.assign(endSession)
}

async function isAuthenticated(manager: TokenManager): Promise<boolean> {
  try {
    await manager.getAccessToken()
    return true
  } catch (err) {
    if (isOAuthKitError(err) && err.recovery === 'reauthenticate') return false
    throw err
  }
}

/**
 * The single-page-app client: sign-in, renewal without a reload, storage, and tabs that never
 * refresh twice.
 *
 * @example
 * const app = createBrowserClient({ issuer, clientId, redirectUri: `${location.origin}/`, scope: 'openid profile', apiUrls: [api] })
 * if (app.isCallback()) await app.handleRedirectCallback()
 * if (!(await app.isAuthenticated())) await app.login()
 */
export function createBrowserClient(options: BrowserClientOptions): BrowserClient {
  if (!options?.clientId || !options.redirectUri) throw new ConfigError('invalid_config', 'createBrowserClient needs clientId and redirectUri')
  const key = options.key ?? `oauthkit:${options.clientId}`
  const http = pickHttpOptions(options)
  const ctx = lazyContext(options, http)
  const logoutListeners = new Set<() => void>()
  const manager = new TokenManager({
    store: storeFor(options.storage, key),
    lock: webLock(),
    lockName: `${key}:refresh`,
    refresh: async (refreshToken, _signal, current) => refreshGrant(await ctx(), current ?? refreshToken, options.scope ? { scope: options.scope } : {}),
    ...(http.clock ? { clock: http.clock } : {}),
  })
  const tabs = connectTabs(key, manager, { persistAdopted: options.storage !== 'local', onLogout: () => logoutListeners.forEach((l) => l()) })
  const p: Parts = { options, ctx, manager, pending: pendingSignIns(key), tabs, logoutListeners }
  return {
    login: (o) => login(p, o),
    isCallback(url = location.href) {
      const address = URL.canParse(url) ? new URL(url) : undefined
      const params = address && callbackParams(address)
      return !!params && (params.has('code') || params.has('error'))
    },
    handleRedirectCallback: (url = location.href) => handleRedirectCallback(p, url),
    isAuthenticated: () => isAuthenticated(manager),
    getAccessToken: () => manager.getAccessToken(),
    getUser: () => manager.getTokens().then((t) => t.idTokenClaims, () => undefined),
    fetch: options.apiUrls?.length
      ? createAuthorizedFetch({ tokens: manager, apiUrls: options.apiUrls, ...(http.fetch ? { fetch: http.fetch } : {}), ...(http.allowInsecureHttp ? { allowInsecureHttp: true } : {}) })
      : () => Promise.reject(new ConfigError('invalid_config', 'fetch needs apiUrls: the API base URLs the token may be sent to')),
    logout: (o) => logout(p, o),
    on(event, listener) {
      if (event !== 'logout') return manager.on(event as keyof TokenEvents, listener as never)
      logoutListeners.add(listener as () => void)
      return () => logoutListeners.delete(listener as () => void)
    },
  }
}
