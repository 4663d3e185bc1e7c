/**
 * The browser entry (`oauthkit/browser`): sign-in with authorization code + PKCE, tokens that
 * refresh without a reload, a storage choice, and tabs that cooperate — one refresh serves
 * all of them (a Web Lock plus a BroadcastChannel), and signing out in one signs out all.
 * Composition only: the protocol is the plain functions, the tokens are a TokenManager.
 */
import { ConfigError, isOAuthKitError } from './errors.js'
import type { Dialect } from './dialects/types.js'
import type { MetadataSource } from './discovery/resolve.js'
import { resolveMetadata } from './discovery/resolve.js'
import { createPublicContext, type OAuthContext } from './grants/context.js'
import { buildAuthorizationUrl, completeAuthorization, type PendingAuthorization } from './grants/authorization-code.js'
import { refreshGrant } from './grants/refresh.js'
import { revokeToken } from './grants/endpoints.js'
import { TokenManager, type TokenEvents } from './token/manager.js'
import { inProcessLock, type Lock } from './token/lock.js'
import { memoryStore, webStorageStore, type TokenStore } from './token/store.js'
import { createAuthorizedFetch } from './fetch/authorized-fetch.js'
import type { TokenSet } from './types.js'

export interface BrowserClientOptions extends MetadataSource {
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
  apiUrls?: string[]
  /** Where the end-session endpoint sends the user after logout. */
  postLogoutRedirectUri?: string
  /** A compiled dialect (a preset, or `compileDialect(d)`). */
  dialect?: Dialect
  fetch?: typeof fetch
  timeout?: number
  /** Prefix of the storage keys, the lock and the channel. Default `oauthkit:<clientId>`. */
  key?: string
}

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

export interface BrowserEvents extends TokenEvents {
  /** This tab or another one signed out. */
  logout: () => void
}

/** A lock shared by the origin's tabs (Web Locks API), or an in-tab lock where it is missing. */
export function webLock(): Lock {
  const locks = (globalThis.navigator as { locks?: { request(name: string, cb: () => Promise<unknown>): Promise<unknown> } } | undefined)?.locks
  if (!locks) return inProcessLock()
  return {
    run<T>(name: string, task: () => Promise<T>): Promise<T> {
      return locks.request(name, async () => {
        // Let a BroadcastChannel message from the previous holder land first.
        await new Promise((resolve) => setTimeout(resolve, 0))
        return task()
      }) as Promise<T>
    },
  }
}

type Message = { type: 'tokens'; tokens: TokenSet } | { type: 'logout' }

export function createBrowserClient(options: BrowserClientOptions): BrowserClient {
  if (!options?.clientId || !options.redirectUri) throw new ConfigError('invalid_config', 'createBrowserClient needs clientId and redirectUri')
  const key = options.key ?? `oauthkit:${options.clientId}`
  const store: TokenStore =
    options.storage === 'local' ? webStorageStore(localStorage, `${key}:tokens`) : options.storage === 'session' ? webStorageStore(sessionStorage, `${key}:tokens`) : memoryStore()
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(key) : undefined
  const logoutListeners = new Set<() => void>()

  let context: Promise<OAuthContext> | undefined
  const ctx = () =>
    (context ??= (async () => {
      const merged = await resolveMetadata(options, http.http)
      return createPublicContext(merged, options.clientId, http)
    })()).catch((err: unknown) => {
      context = undefined
      throw err
    })
  const http = {
    http: {
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.timeout ? { timeout: options.timeout } : {}),
      ...(options.dialect ? { dialect: options.dialect } : {}),
    },
    ...(options.clock ? { clock: options.clock } : {}),
  }

  const manager = new TokenManager({
    store,
    lock: webLock(),
    lockName: `${key}:refresh`,
    refresh: async (refreshToken) => refreshGrant(await ctx(), refreshToken, options.scope ? { scope: options.scope } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  })

  // One tab's new tokens reach the others; a logout anywhere signs out everywhere.
  let received: TokenSet | undefined
  manager.on('tokens', (tokens) => {
    if (tokens !== received) channel?.postMessage({ type: 'tokens', tokens } satisfies Message)
  })
  if (channel) {
    channel.onmessage = (event: MessageEvent<Message>) => {
      const message = event.data
      if (message?.type === 'tokens') {
        received = message.tokens
        manager.adopt(message.tokens, { persist: options.storage !== 'local' })
      } else if (message?.type === 'logout') {
        void manager.clear().then(() => logoutListeners.forEach((l) => l()))
      }
    }
  }

  const pendingKey = (state: string) => `${key}:pending:${state}`
  const paramsOf = (url: URL) => {
    const query = url.searchParams
    return query.has('code') || query.has('error') ? query : new URLSearchParams(url.hash.slice(1))
  }

  const client: BrowserClient = {
    async login(o = {}) {
      const pending = await buildAuthorizationUrl(await ctx(), {
        redirectUri: options.redirectUri,
        ...(o.scope ?? options.scope ? { scope: (o.scope ?? options.scope) as string } : {}),
        ...(o.extraParams ? { extraParams: o.extraParams } : {}),
      })
      sessionStorage.setItem(pendingKey(pending.state), JSON.stringify({ ...pending, returnTo: o.returnTo }))
      location.assign(pending.url)
    },
    isCallback(url = location.href) {
      const params = paramsOf(new URL(url))
      return params.has('code') || params.has('error')
    },
    async handleRedirectCallback(url = location.href) {
      const address = new URL(url)
      const params = paramsOf(address)
      const state = params.get('state') ?? ''
      // Servers that echo no state (their dialect says so) leave one pending sign-in to match.
      const saved = sessionStorage.getItem(pendingKey(state)) ?? (state ? null : onlyPending())
      if (!saved) throw new ConfigError('invalid_config', 'no pending sign-in for this callback (already used, or started in another tab): sign in again')
      const pending = JSON.parse(saved) as PendingAuthorization & { returnTo?: string }
      sessionStorage.removeItem(pendingKey(pending.state))
      // Clean the address bar first: the code is single-use and must not stay in history.
      for (const name of ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state']) address.searchParams.delete(name)
      history.replaceState(history.state, '', `${address.pathname}${address.search}`)
      const tokens = await completeAuthorization(await ctx(), url, pending)
      await manager.setTokens(tokens)
      return pending.returnTo ? { tokens, returnTo: pending.returnTo } : { tokens }
    },
    async isAuthenticated() {
      try {
        await manager.getAccessToken()
        return true
      } catch (err) {
        if (isOAuthKitError(err) && err.recovery === 'reauthenticate') return false
        throw err
      }
    },
    getAccessToken: () => manager.getAccessToken(),
    async getUser() {
      try {
        return (await manager.getTokens()).idTokenClaims
      } catch {
        return undefined
      }
    },
    fetch: options.apiUrls?.length
      ? createAuthorizedFetch({ tokens: manager, allowedUrls: options.apiUrls, ...(options.fetch ? { fetch: options.fetch } : {}) })
      : () => Promise.reject(new ConfigError('invalid_config', 'fetch needs apiUrls: the API base URLs the token may be sent to')),
    async logout(o = {}) {
      const c = await ctx()
      const tokens = await manager.getTokens().catch(() => undefined)
      if (tokens?.refreshToken && c.metadata.revocation_endpoint) {
        await revokeToken(c, tokens.refreshToken, { tokenTypeHint: 'refresh_token' }).catch(() => {})
      }
      await manager.clear()
      channel?.postMessage({ type: 'logout' } satisfies Message)
      logoutListeners.forEach((l) => l())
      const endSession = c.metadata.end_session_endpoint
      if (endSession && o.redirect !== false) {
        const url = new URL(endSession)
        url.searchParams.set('client_id', options.clientId)
        if (tokens?.idToken) url.searchParams.set('id_token_hint', tokens.idToken)
        const back = o.returnTo ?? options.postLogoutRedirectUri
        if (back) url.searchParams.set('post_logout_redirect_uri', back)
        location.assign(url.href)
      }
    },
    on(event, listener) {
      if (event === 'logout') {
        logoutListeners.add(listener as () => void)
        return () => logoutListeners.delete(listener as () => void)
      }
      return manager.on(event as keyof TokenEvents, listener as never)
    },
  }

  function onlyPending(): string | null {
    const keys = Object.keys(sessionStorage).filter((k) => k.startsWith(`${key}:pending:`))
    return keys.length === 1 ? sessionStorage.getItem(keys[0] as string) : null
  }

  return client
}
