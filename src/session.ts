import { ConfigError } from './errors.js'
import { int, type OAuthContext } from './protocol/run/context.js'
import { clientCredentialsGrant } from './protocol/grants/client-credentials.js'
import { refreshGrant } from './protocol/grants/refresh.js'
import type { GrantParameters } from './protocol/run/token.js'
import type { RetryPolicy, TokenProof, TokenSet } from './types.js'
import { TokenManager, checkTokens, type TokenEvents, type TokenManagerOptions } from './token/manager.js'
import type { TokenStore } from './token/store.js'
import type { Lock } from './token/lock.js'
import { createAuthorizedFetch } from './fetch/authorized-fetch.js'

/**
 * Options of a session: how it gets tokens (`grant`, or `tokens` from a sign-in), where the token may go (`apiUrls`), and how tokens are kept and renewed.
 *
 * @group Start here
 */
export interface SessionOptions extends Omit<GrantParameters, 'signal'> {
  /**
   * `client_credentials`, or any {@link SessionGrant} (token exchange, JWT bearer, your own):
   * the session obtains its tokens itself, and runs the grant again (with the same parameters)
   * when a token nears expiry, or refreshes if the answer carried a refresh token. Omitted: the
   * session holds tokens from a sign-in (`tokens`, `setTokens`).
   */
  grant?: 'client_credentials' | SessionGrant
  /** Tokens from a completed sign-in. */
  tokens?: TokenSet
  /** The API base URLs `session.fetch` may send the token to. Nothing else gets it. */
  apiUrls?: Array<string | URL>
  store?: TokenStore
  lock?: Lock
  lockName?: string
  /** Refresh this many ms before expiry (default 60 000, never more than half the lifetime). */
  skew?: number
  backgroundRefresh?: boolean
  /** `refresh-expiring` this many ms before the refresh token expires, when the server said (default 600 000). */
  refreshExpiryNotice?: number
  /** Something beside the callers that shares these tokens: see {@link TokenManagerOptions.coordinator}. */
  coordinator?: TokenManagerOptions['coordinator']
}

/**
 * A grant a session runs by itself, again whenever it needs new tokens: `OAuthClient.session`
 * makes them for `token_exchange` and `jwt_bearer`; write one for a grant of your own.
 *
 * @example
 * const grant: SessionGrant = { name: 'token_exchange', run: (o) => tokenExchangeGrant(ctx, { ...o, subjectToken: () => upstream.getAccessToken() }) }
 * const session = createSession(ctx, { grant, apiUrls: ['https://orders.internal'] })
 *
 * @group Start here
 */
export interface SessionGrant {
  /** What the tokens come from, stamped in the store with them: sessions of other grants on one store never adopt each other's tokens. */
  name: string
  /** Runs the grant; `signal` and `retry` are the session's, to pass on to the request. */
  run(options: { signal?: AbortSignal; retry?: RetryPolicy | false }): Promise<TokenSet>
}

/**
 * A client's token manager plus an authorized fetch. Every method is safe to call concurrently.
 *
 * @group Start here
 */
export interface Session {
  /** A valid access token: the cached one, or renewed once for all callers. */
  getAccessToken(options?: { signal?: AbortSignal }): Promise<string>
  /** The whole current token set, renewed if needed. */
  getTokens(options?: { signal?: AbortSignal }): Promise<TokenSet>
  /** Stores tokens obtained elsewhere (a completed sign-in). */
  setTokens(tokens: TokenSet): Promise<TokenSet>
  /** Marks this access token bad if it is still the current one (a 401 said so); returns whether it was. */
  invalidate(accessToken: string): boolean
  /** The current token when it is valid, synchronously; undefined means call getAccessToken. */
  validToken(): string | undefined
  /** Forgets the tokens, here and in the store (a sign-out). */
  clear(): Promise<void>
  /** Listens to an event (docs/sessions.md); returns the function that stops listening. */
  on<K extends keyof TokenEvents>(event: K, listener: TokenEvents[K]): () => void
  /** `fetch` with the bearer token attached to `apiUrls` only; see createAuthorizedFetch. */
  fetch: typeof fetch
  /** Stops the background renewal timer. */
  close(): void
}

/**
 * Builds a session over a client context: the token manager gets the grant steps injected.
 *
 * @example
 * const session = createSession(ctx, { grant: 'client_credentials', scope: 'read', apiUrls: ['https://api.example.com'] })
 * const res = await session.fetch('https://api.example.com/things')
 *
 * @group Start here
 */
export function createSession(ctx: OAuthContext, options: SessionOptions = {}): Session {
  const { grant, tokens, apiUrls, store, lock, lockName, skew, backgroundRefresh, refreshExpiryNotice, coordinator } = options ?? {}
  // Its fields by name: a constructor hands it its whole flat options (createClientCredentialsSession).
  const params = grantParametersOf(options ?? {})
  const { options: http, dpop } = int(ctx)
  return openSession({
    obtain: obtainStep(ctx, grant, params),
    refresh: (refreshToken, signal, current, retry) => refreshGrant(ctx, current ?? refreshToken, { ...params, signal, retry }),
    // The manager hands the steps its retry policy (the session's, reporting `retry` events).
    retry: params.retry,
    // What the tokens belong to, stamped in the store: another configuration's are not these.
    owner: ownerOf(ctx, grant, params),
    // A client with a DPoP key sends its tokens with proofs; without one, a DPoP-bound token is never sent as Bearer.
    bound: Boolean(dpop),
    store,
    lock,
    lockName,
    skew,
    refreshExpiryNotice,
    backgroundRefresh,
    coordinator,
    clock: http.clock,
    tokens,
    apiUrls,
    fetch: http.fetch,
    allowInsecureHttp: http.allowInsecureHttp,
    dpop,
  })
}

/**
 * What a session is made of below its options: the token manager's steps and settings, the
 * initial tokens, and what its fetch needs. `createSession` makes them of a context; the browser
 * client, whose context is resolved on first use, gives its own (a tab-safe refresh step, the
 * tabs as coordinator, a DPoP key still on its way).
 */
export interface SessionParts extends TokenManagerOptions {
  tokens?: TokenSet
  apiUrls?: Array<string | URL>
  fetch?: typeof fetch
  allowInsecureHttp?: boolean
  /** The DPoP key the tokens are sent with. */
  dpop?: TokenProof
}

/** The one place a session's token manager is made: every use case's token state goes through here. */
export function openSession(parts: SessionParts): Session {
  const { tokens, apiUrls, fetch: wrapped, allowInsecureHttp, dpop, ...managed } = parts
  // Initial tokens that cannot be used are the caller's mistake: said now, not at the first call.
  if (tokens !== undefined) checkTokens(tokens, managed.bound)
  const manager = new TokenManager(managed)
  // Initial tokens are stored first; once that settled, calls take the manager's fast path.
  let ready: Promise<unknown> | undefined = tokens ? manager.setTokens(tokens) : undefined
  ready?.then(
    () => (ready = undefined),
    () => (ready = undefined),
  )
  const after = <T>(run: () => Promise<T>): Promise<T> => (ready ? ready.then(run, run) : run())
  const session: Session = {
    getAccessToken: (o) => (ready ? after(() => manager.getAccessToken(o)) : manager.getAccessToken(o)),
    getTokens: (o) => after(() => manager.getTokens(o)),
    setTokens: (t) => manager.setTokens(t),
    invalidate: (token) => manager.invalidate(token),
    validToken: () => (ready ? undefined : manager.validToken()),
    clear: () => manager.clear(),
    on: (event, listener) => manager.on(event, listener),
    fetch: () =>
      Promise.reject(new ConfigError('invalid_config', 'session.fetch needs apiUrls: the API base URLs the token may be sent to')),
    close: () => manager.close(),
    ...(dpop ? { dpop } : {}),
  }
  if (apiUrls?.length) session.fetch = createAuthorizedFetch({ tokens: session, apiUrls, fetch: wrapped, allowInsecureHttp, dpop })
  return session
}

/** The step that obtains tokens anew: client_credentials, a `{ name, run }` grant, or none (the tokens come from a sign-in). */
function obtainStep(ctx: OAuthContext, grant: SessionOptions['grant'], params: GrantParameters) {
  if (grant === undefined) return undefined
  if (grant !== 'client_credentials' && (typeof grant !== 'object' || typeof grant.run !== 'function' || typeof grant.name !== 'string')) {
    throw new ConfigError(
      'invalid_config',
      `session grant ${JSON.stringify(grant)} is not supported; use 'client_credentials', a { name, run } grant, or sign in and pass tokens`,
    )
  }
  const asked = (signal?: AbortSignal, retry?: RetryPolicy | false) => ({
    ...(signal ? { signal } : {}),
    ...(retry === undefined ? {} : { retry }),
  })
  return grant === 'client_credentials'
    ? (signal?: AbortSignal, retry?: RetryPolicy | false) => clientCredentialsGrant(ctx, { ...params, ...asked(signal, retry) })
    : (signal?: AbortSignal, retry?: RetryPolicy | false) => grant.run(asked(signal, retry))
}

/** What a session's tokens belong to, stamped in the store: the issuer and client, and for a grant it runs its parameters and name. */
export function ownerOf(ctx: OAuthContext, grant: SessionOptions['grant'], params: GrantParameters): string {
  return JSON.stringify([
    ctx.metadata.issuer,
    ctx.clientId,
    ...(grant ? [params.scope, params.resource, params.audience] : []),
    ...(typeof grant === 'object' ? [grant.name] : []),
  ])
}

/** The grant parameters of a session's options, by name: nothing else of a larger options object reaches a token request. */
function grantParametersOf({ scope, resource, audience, extraParams, retry }: SessionOptions): GrantParameters {
  return { scope, resource, audience, extraParams, retry }
}
