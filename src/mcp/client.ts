import { ConfigError, OAuthKitError, OAuthServerError, isOAuthKitError, redactUrl } from '../errors.js'
import { buildAuthorizationUrl, completeAuthorization } from '../protocol/grants/authorization-code.js'
import { startDeviceAuthorization } from '../protocol/grants/device.js'
import { privateKeyJwt, secretContext } from '../protocol/run/client-auth.js'
import { ignoreIdTokens } from '../protocol/run/token.js'
import { jwtBearerGrant, tokenExchangeGrant, TOKEN_TYPES, type TokenSource } from '../protocol/grants/exchange.js'
import { resolveClient } from '../discovery/resolve.js'
import { bearerChallenge } from '../internal/www-authenticate.js'
import type { TokenProof, TokenSet } from '../types.js'
import { int, type OAuthContext } from '../protocol/run/context.js'
import { keyValueTokenStore, type TokenStore } from '../token/store.js'
import { createSession, ownerOf, type Session, type SessionGrant } from '../session.js'
import { authorizedFetch, urlMatcher } from '../fetch/authorized-fetch.js'
import { checkInsufficientScope } from '../fetch/answer.js'
import { canonical, discoverMcpServer, type McpServerInfo } from './discovery.js'
import { checkOptions, chooseGrant, type McpAuthOptions, type McpGrant } from './options.js'
import { forgetRegistration, identityFor, type IdentityOptions, type McpClientIdentity } from './identity.js'

/**
 * An MCP client's authorization: `fetch` for any transport, and `token()` / `onUnauthorized()`,
 * the auth provider interface of the official SDK's client transports (v2).
 */
export interface McpAuth {
  /** `fetch` for the MCP server: the token attached, a 401 answered by signing in, a 403 `insufficient_scope` by stepping up; once each. */
  fetch: typeof fetch
  /** The current access token (refreshed when needed), or undefined when the user must sign in. */
  token(): Promise<string | undefined>
  /** Called by a transport on a 401: refreshes, or signs in again, so that `token()` has a good token. */
  onUnauthorized(context: { response: Response }): Promise<void>
  /** Signs in now (from a 401 or 403 `challenge` when there is one); `scope` replaces the chosen one. */
  authorize(options?: { challenge?: Response; scope?: string; signal?: AbortSignal }): Promise<TokenSet>
  /** What discovery found for the server, once it ran. */
  readonly server: McpServerInfo | undefined
  /** Forgets the tokens, here and in storage (the registration stays). */
  signOut(): Promise<void>
}

/** A sign-in's result: the server it is for, the client, and the session holding its tokens. */
interface Binding {
  info: McpServerInfo
  /** The client's context at the authorization server: its DPoP key, when it binds tokens. */
  ctx: OAuthContext
  /** The client, and how it was had (a registration the server may forget). */
  id: McpClientIdentity
  /** Whose tokens the session holds: the issuer and client, as the session stamps them in the store. */
  owner: string
  session: Session
  /** The scope asked for. */
  scope: string | undefined
  /** The scope granted: the token response's, else the scope asked for (RFC 6749 §5.1). */
  granted: string | undefined
  refreshable: boolean
}

const tokensKey = (server: string) => `oauthkit:mcp:tokens ${server}`
const ID_JAG = 'urn:ietf:params:oauth:token-type:id-jag'
const words = (scope: string | undefined) => new Set((scope ?? '').split(' ').filter(Boolean))

/**
 * An OAuth client for one MCP server, per the MCP authorization spec (2025-03-26 to 2026-07-28):
 * discovery from the server's 401 through RFC 9728 to its authorization server; a client ID
 * metadata document, else dynamic registration (kept per issuer); code + PKCE + RFC 8707
 * `resource`, the `iss` of the answer checked before the code is redeemed; refresh; step-up to
 * the union of the scopes held and challenged. See docs/mcp.md.
 *
 * @example
 * const mcp = createMcpAuth({ serverUrl, redirectUri: 'http://127.0.0.1:8765/callback', signIn: openBrowserAndWait })
 * const transport = new StreamableHTTPClientTransport(new URL(serverUrl), { fetch: mcp.fetch })
 */
export function createMcpAuth(options: McpAuthOptions): McpAuth {
  const client = new McpClient(options)
  return {
    fetch: (input, init) => client.fetch(input, init),
    token: () => client.token(),
    // The token the transport sent is the last one token() gave it (one past its refresh point included): refreshed first, a sign-in only if that fails.
    onUnauthorized: async ({ response }) => void (await client.recover(response, client.issued, true, undefined)),
    authorize: (o = {}) => client.authorize(o.challenge, o.scope, o.signal),
    get server() {
      return client.binding?.info
    },
    signOut: () => client.signOut(),
  }
}

/** The state of one MCP server's authorization: its binding (sign-in), and the sign-in or restore under way. */
class McpClient {
  readonly #options: McpAuthOptions
  readonly #config: ReturnType<typeof checkOptions>
  /** Where this server's tokens are stored: the one store its sessions keep them in. */
  readonly #tokens: TokenStore
  readonly #isServer: (url: string | URL) => boolean
  /**
   * `fetch` for the MCP server: the one authorized fetch (fetch/authorized-fetch.ts) — the token
   * only under the server URL, redirects followed here so that a hop elsewhere, another path of
   * the same origin included, gets none — with the MCP client's recovery: a 401 is a refresh,
   * else a sign-in (and a refusal right after one is `sign_in_required`, not a loop); a 403
   * `insufficient_scope` a step-up, at most `maxStepUps` per request.
   */
  readonly fetch: typeof fetch
  binding: Binding | undefined
  /** The last access token token() handed out: what a transport sent. */
  issued: string | undefined
  /** The DPoP key that token goes with, when it is DPoP-bound. */
  proof: TokenProof | undefined
  #restoring: Promise<Binding | undefined> | undefined
  #authorizing: Promise<TokenSet> | undefined
  /** The enterprise identity provider's context (SEP-990), resolved on first use. */
  #idp: Promise<OAuthContext> | undefined

  constructor(options: McpAuthOptions) {
    this.#config = checkOptions(options)
    this.#options = options
    const server = canonical(this.#config.serverUrl)
    this.#tokens = keyValueTokenStore(this.#config.storage, tokensKey(server))
    this.#isServer = urlMatcher([server], this.#config.http.allowInsecureHttp)
    this.fetch = this.#authorizedFetch()
  }

  /** Whether the current token is another than `sent` (a concurrent call renewed it, or signed in): the request only needs sending again. */
  #renewedSince(sent: string | undefined): boolean {
    const now = this.binding?.session.validToken()
    return now !== undefined && now !== sent
  }

  /**
   * The session for tokens from `info`'s authorization server and client `id`, holding `tokens`
   * when given (else what the store holds): the current one when it is theirs too, else a new
   * one in its place. The session keeps the tokens in the store itself, stamped with whose they are.
   */
  async #bind(
    info: McpServerInfo,
    ctx: OAuthContext,
    id: McpClientIdentity,
    tokens: TokenSet | undefined,
    scope: string | undefined,
    grant?: SessionGrant | 'client_credentials',
  ): Promise<Binding> {
    // A session that runs a grant itself stamps its tokens with the grant and its parameters too.
    const params = grant ? { scope, resource: info.resource } : {}
    const owner = ownerOf(ctx, grant, params)
    // Another authorization server's or client's tokens (a sign-in after a move) are not these: they leave the store.
    const held = (tokens || grant) && (await this.#tokens.load().catch(() => undefined))
    if (held && held.owner !== owner) await this.#tokens.clear()
    let next = this.binding
    if (next?.owner !== owner || next.info.resource !== info.resource) {
      this.binding?.session.close()
      const session = createSession(ctx, { resource: info.resource, store: this.#tokens, ...(grant ? { grant, ...params } : {}) })
      // A session with a grant renews by running it again: a 401 is a renewal, not a sign-in.
      const bound: Binding = { info, ctx, id, owner, session, scope, granted: scope, refreshable: Boolean(grant) }
      session.on(
        'tokens',
        (fresh) =>
          void Object.assign(bound, { granted: fresh.scope ?? scope, refreshable: Boolean(grant) || fresh.refreshToken !== undefined }),
      )
      next = bound
    }
    this.binding = next
    if (tokens) {
      next.scope = scope
      await next.session.setTokens(tokens)
    }
    return next
  }

  /** The context of this client at the authorization server `info` names: the one resolution every constructor uses. */
  #context(info: McpServerInfo, id: McpClientIdentity): Promise<OAuthContext> {
    // DPoP where the authorization server says it binds tokens to a key (RFC 9449 §5.1).
    const { dpop } = this.#options
    const algs = info.metadata.dpop_signing_alg_values_supported
    const source = {
      ...this.#config.http,
      metadata: info.metadata,
      ...(dpop && Array.isArray(algs) && algs.includes('ES256') ? { dpop } : {}),
    }
    return resolveClient('createMcpAuth', source, (metadata, options) =>
      secretContext(metadata, id, options, ignoreIdTokens, privateKeyJwt),
    )
  }

  /** Tokens a previous process stored, for this server and the authorization server and client it has today. */
  async #restore(): Promise<Binding | undefined> {
    const { discovery, identity, serverUrl } = this.#config
    const stored = await this.#tokens.load().catch(() => undefined)
    if (!stored) return undefined
    const info = await discoverMcpServer(serverUrl, undefined, discovery)
    const known = await identityFor(info.metadata, stored.tokens.scope, identity, false)
    const grant = chooseGrant(info.metadata, this.#config, known)
    // Tokens of a grant the session runs itself are found by that session, once a 401 made it.
    if (grant !== 'authorization_code' && grant !== 'device') return undefined
    const id = grant === 'device' ? await identityFor(info.metadata, stored.tokens.scope, this.#identity(grant, known), false) : known
    const ctx = id && (await this.#context(info, id))
    if (this.binding) return this.binding
    if (ctx && stored.owner === ownerOf(ctx, undefined, {})) {
      const restored = await this.#bind(info, ctx, id, undefined, stored.tokens.scope)
      Object.assign(restored, { refreshable: stored.tokens.refreshToken !== undefined })
      return restored
    }
    // Another authorization server now (or another client): its tokens are not for this one.
    await this.#tokens.clear()
    return undefined
  }

  async token(signal?: AbortSignal): Promise<string | undefined> {
    const current = this.binding ?? (await (this.#restoring ??= this.#restore().finally(() => (this.#restoring = undefined))))
    if (!current) return undefined
    try {
      const tokens = await current.session.getTokens(signal ? { signal } : {})
      // A DPoP-bound token goes with a proof; one the server issued as Bearer, as Bearer (RFC 9449 §7.1).
      this.proof = tokens.tokenType === 'dpop' ? int(current.ctx).dpop : undefined
      return (this.issued = tokens.accessToken)
    } catch (err) {
      // The grant is gone (or the client: then it registers anew): the request goes without a token, and its 401 leads to a sign-in.
      if (isOAuthKitError(err) && err.recovery === 'reauthenticate') return undefined
      if (await this.#forgotten(err, current.info, current.id)) return void (await this.signOut())
      throw err
    }
  }

  /**
   * Whether `err` says the authorization server no longer knows a client this one registered
   * (`invalid_client`); if so, the registration is forgotten, and the next sign-in makes one.
   */
  async #forgotten(err: unknown, info: McpServerInfo, id: McpClientIdentity): Promise<boolean> {
    if (!isOAuthKitError(err) || err.error !== 'invalid_client' || id.via !== 'registration') return false
    await forgetRegistration(this.#config.storage, info.metadata.issuer, id.clientId)
    return true
  }

  async #signIn(
    challenge: Response | undefined,
    wanted: string | undefined,
    signal: AbortSignal | undefined,
    again = false,
  ): Promise<TokenSet> {
    const { discovery, identity, serverUrl } = this.#config
    // Fresh: a sign-in follows what the server says now (it may have moved to another authorization server).
    const info = await discoverMcpServer(serverUrl, challenge, { ...discovery, discoveryCache: false })
    const known = await identityFor(info.metadata, undefined, identity, false)
    const grant = chooseGrant(info.metadata, this.#config, known)
    if (grant !== 'authorization_code' && grant !== 'device')
      return this.#obtain(info, grant, known, scopeFor(info, wanted ?? challengeScope(challenge), false), signal)
    const scope = scopeFor(info, wanted ?? challengeScope(challenge))
    // The client found above (the device grant's own), else a registration — for every scope the resource offers, not only this sign-in's: a step-up asks for more later.
    const id =
      (grant === 'device' ? await identityFor(info.metadata, undefined, this.#identity(grant, known), false) : known) ??
      (await identityFor(
        info.metadata,
        [...new Set([...words(info.resourceMetadata?.scopes_supported?.join(' ')), ...words(scope)])].join(' ') || undefined,
        this.#identity(grant, known),
      ))
    if (grant === 'device') return this.#deviceSignIn(info, id, scope, signal)
    const { redirectUri, signIn } = this.#options as Required<Pick<McpAuthOptions, 'redirectUri' | 'signIn'>>
    checkPkce(info)
    const ctx = await this.#context(info, id)
    const aborts = signal ? { signal } : {}
    const pending = await buildAuthorizationUrl(ctx, {
      redirectUri,
      resource: info.resource,
      ...(scope ? { scope } : {}),
      ...aborts,
    })
    // The sign-in page is opened by the user's browser: not on the user's own network either.
    await this.#config.network.check(new URL(pending.url), 'the authorization endpoint')
    const callback = await signIn({ url: pending.url, issuer: info.metadata.issuer, ...(scope ? { scope } : {}), ...aborts })
    let tokens: TokenSet
    try {
      tokens = await completeAuthorization(ctx, callback, pending, { resource: info.resource, ...aborts })
    } catch (err) {
      // A registration the authorization server forgot: registered once more, and the user asked once more.
      if (again || !(await this.#forgotten(err, info, id))) throw err
      return this.#signIn(challenge, wanted, signal, true)
    }
    await this.#bind(info, ctx, id, tokens, scope)
    return tokens
  }

  /** Where the client for `grant` comes from: the device grant registers without a redirect, for the device_code grant type. */
  #identity(grant: McpGrant, known: McpClientIdentity | undefined): IdentityOptions {
    const { identity } = this.#config
    // A client given by hand is the client, whatever the grant; a registration is for one way of signing in.
    if (grant !== 'device' || known?.via === 'preregistered') return identity
    const { redirectUri: _code, ...rest } = identity
    return { ...rest, device: true }
  }

  /**
   * A user's sign-in on another device (RFC 8628), for a headless agent: the device
   * authorization with the resource indicator and the scope, its URL checked as the sign-in
   * page's is (the URL rules, then the network policy), shown through `deviceSignIn`, then polled
   * until the user approves; the tokens are kept per MCP server as a sign-in's are.
   */
  async #deviceSignIn(
    info: McpServerInfo,
    id: McpClientIdentity,
    scope: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<TokenSet> {
    const ctx = await this.#context(info, id)
    const aborts = signal ? { signal } : {}
    const flow = await startDeviceAuthorization(ctx, { resource: info.resource, ...(scope ? { scope } : {}), ...aborts })
    for (const url of [flow.verificationUri, flow.verificationUriComplete])
      if (url) await this.#config.network.check(new URL(url), 'the verification URI')
    const { userCode, verificationUri, verificationUriComplete, expiresAt } = flow
    await this.#options.deviceSignIn!({
      verificationUri,
      ...(verificationUriComplete ? { verificationUriComplete } : {}),
      userCode,
      expiresAt,
      issuer: info.metadata.issuer,
      ...(scope ? { scope } : {}),
      ...aborts,
    })
    const tokens = await flow.wait(aborts)
    await this.#bind(info, ctx, id, tokens, scope)
    return tokens
  }

  /**
   * Tokens by a grant that needs no user: a session that runs it (again, whenever it needs new
   * tokens), with the resource indicator and the scope, at the authorization server the MCP
   * server names today.
   */
  async #obtain(
    info: McpServerInfo,
    grant: Exclude<McpGrant, 'authorization_code'>,
    id: McpClientIdentity | undefined,
    scope: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<TokenSet> {
    if (!id)
      throw new ConfigError(
        'invalid_config',
        `the ${grant} grant at ${redactUrl(info.metadata.issuer)} needs the client registered there: give it as client (or in clients)`,
      )
    const ctx = await this.#context(info, id)
    const params = { resource: info.resource, ...(scope ? { scope } : {}) }
    const assertion = (run: { signal?: AbortSignal }): TokenSource =>
      grant === 'workload' ? this.#options.workloadToken! : () => this.#identityAssertion(info, scope, run.signal)
    const run: SessionGrant | 'client_credentials' =
      grant === 'client_credentials'
        ? grant
        : { name: grant, run: (o) => jwtBearerGrant(ctx, { ...params, ...o, assertion: assertion(o) }) }
    const bound = await this.#bind(info, ctx, id, undefined, scope, run)
    return bound.session.getTokens(signal ? { signal } : {})
  }

  /**
   * Enterprise-managed authorization (SEP-990): the user's ID token exchanged at the enterprise
   * identity provider (RFC 8693) for an identity assertion grant (ID-JAG) naming the MCP
   * server's authorization server (`audience`) and the MCP server (`resource`).
   */
  async #identityAssertion(info: McpServerInfo, scope: string | undefined, signal: AbortSignal | undefined): Promise<string> {
    const idp = this.#options.enterprise!
    // The identity provider is the application's own setting, not one a server named: no network policy.
    this.#idp ??= resolveClient(
      'createMcpAuth',
      { ...this.#config.http, fetch: this.#config.serverFetch, issuer: idp.issuer },
      (metadata, o) =>
        secretContext(
          metadata,
          { clientId: idp.clientId, ...(idp.clientSecret ? { clientSecret: idp.clientSecret } : {}) },
          o,
          ignoreIdTokens,
        ),
    ).catch((err: unknown) => {
      this.#idp = undefined
      throw err
    })
    const issued = await tokenExchangeGrant(await this.#idp, {
      subjectToken: idp.idToken,
      subjectTokenType: TOKEN_TYPES.idToken,
      requestedTokenType: ID_JAG,
      audience: info.metadata.issuer,
      resource: info.resource,
      ...(scope ? { scope } : {}),
      ...(signal ? { signal } : {}),
    })
    if (issued.extra.issued_token_type !== ID_JAG)
      throw new OAuthKitError(
        'invalid_response',
        `the identity provider ${redactUrl(idp.issuer)} answered the ID-JAG exchange with another token type (issued_token_type ${JSON.stringify(String(issued.extra.issued_token_type)).slice(0, 120)})`,
      )
    return issued.accessToken
  }

  /** One sign-in at a time: concurrent callers share it. */
  authorize(challenge?: Response, scope?: string, signal?: AbortSignal): Promise<TokenSet> {
    this.#authorizing ??= this.#signIn(challenge, scope, signal).finally(() => (this.#authorizing = undefined))
    return this.#authorizing
  }

  /** After a 401 for `sent`: a newer token already (another call renewed it), a refresh, or a sign-in. */
  async recover(
    response: Response,
    sent: string | undefined,
    mayRefresh: boolean,
    signal: AbortSignal | undefined,
  ): Promise<'renewed' | 'refreshed' | 'signed-in'> {
    if (this.#renewedSince(sent)) return 'renewed'
    if (mayRefresh && sent !== undefined && this.binding?.refreshable) {
      this.binding.session.invalidate(sent)
      const fresh = await this.token(signal)
      if (fresh !== undefined && fresh !== sent) return 'refreshed'
    }
    await this.authorize(response, undefined, signal)
    return 'signed-in'
  }

  /** After a 403 `insufficient_scope`: the union of the scopes held and challenged, when it asks for more. */
  async #stepUp(response: Response, href: string, sent: string | undefined, signal: AbortSignal | undefined): Promise<void> {
    if (this.#renewedSince(sent)) return
    const held = new Set([...words(this.binding?.scope), ...words(this.binding?.granted)])
    const union = new Set([...held, ...words(challengeScope(response))])
    // Nothing new to ask for: signing in again would end the same way.
    if (union.size === held.size) checkInsufficientScope({ OAuthServerError, redactUrl, bearerChallenge }, response, href)
    await this.authorize(response, [...union].join(' '), signal)
  }

  /** The one authorized fetch with the MCP client's recovery (see `fetch`). */
  #authorizedFetch(): typeof fetch {
    const core = {
      isAllowed: this.#isServer,
      fetch: this.#config.serverFetch,
      token: (signal?: AbortSignal) => this.token(signal),
      proves: this.#options.dpop !== undefined,
    }
    // Read as each request is sent, after its token: the key of that token, when it is DPoP-bound.
    Object.defineProperty(core, 'dpop', { get: () => this.proof })
    return authorizedFetch(core, () => {
      let [signedIn, refreshed, stepUps] = [false, false, 0]
      return {
        unauthorized: async (response, sent, href, signal) => {
          if (signedIn) throw refusedAfterSignIn(href)
          const how = await this.recover(response, sent, !refreshed, signal)
          signedIn = how === 'signed-in'
          refreshed ||= how === 'refreshed'
          return true
        },
        insufficientScope: async (response, sent, href, signal) => {
          if (stepUps++ >= this.#config.maxStepUps) return false
          await this.#stepUp(response, href, sent, signal)
          return true
        },
      }
    })
  }

  async signOut(): Promise<void> {
    const session = this.binding?.session
    this.binding = undefined
    // The session's sign-out wins over its renewal under way; without one, the store is cleared as it is.
    await (session ? session.clear() : this.#tokens.clear())
    session?.close()
  }
}

/**
 * The scope to ask for (MCP authorization, 2025-11-25 and later): the challenge's, else the
 * resource's `scopes_supported`, else none; for a user's sign-in, `offline_access` added when
 * the authorization server advertises it; never asked of one that does not.
 */
function scopeFor(info: McpServerInfo, wanted: string | undefined, user = true): string | undefined {
  const scope = words(wanted ?? info.resourceMetadata?.scopes_supported?.join(' '))
  const offline = user && Array.isArray(info.metadata.scopes_supported) && info.metadata.scopes_supported.includes('offline_access')
  if (offline && scope.size) scope.add('offline_access')
  else if (!offline) scope.delete('offline_access')
  return scope.size ? [...scope].join(' ') : undefined
}

/** PKCE with S256 is required: metadata that does not list it is refused (MCP authorization, 2025-11-25). */
function checkPkce(info: McpServerInfo): void {
  const methods = info.metadata.code_challenge_methods_supported
  if (Array.isArray(methods) && methods.includes('S256')) return
  throw new ConfigError(
    'invalid_config',
    `the authorization server ${redactUrl(info.metadata.issuer)} does not list S256 in code_challenge_methods_supported; the MCP authorization spec forbids signing in without PKCE`,
  )
}

/** The scope a 401's or 403's Bearer challenge names, if any. */
const challengeScope = (response: Response | undefined) =>
  response ? bearerChallenge(response.headers.get('www-authenticate'))?.params.scope : undefined

function refusedAfterSignIn(href: string): OAuthKitError {
  return new OAuthKitError(
    'sign_in_required',
    `the MCP server ${redactUrl(href)} refused the token it was just signed in for; check that it accepts tokens of the authorization server it names`,
  )
}
