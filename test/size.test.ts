/**
 * The size budgets, checked on every `npm test` (the bench compares with the peers; this only
 * guards the numbers). The entries are the bench's: what a single-page app does —
 * authorization URL with PKCE, callback, refresh, authorized call — with the plain functions
 * and with the browser client, and a machine-to-machine session with the authorized fetch.
 */
import { resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { initialChunks } from '../bench/initial.mjs'

const root = resolve(import.meta.dirname, '..')

/**
 * The ceilings follow the measurements; lower each whenever its measurement drops. The
 * structure issue (#10) asks for 14 KiB (SPA), 15.5 KiB (browser client) and 13 KiB (M2M);
 * these are not reached, and the errors issue (#11) pulls the other way, so the ceilings stop
 * regressions from today's numbers. Measured 2026-11-30, each with what it cost:
 *
 * - 14.91 → 15.30 KiB (SPA): the one operation path (endpoint check, dialect rewrite,
 *   transport, response rewrite, processing, translation in one runner) and the discovery
 *   cache keyed by configuration (a second client with its own fetch or dialect was handed the
 *   first one's document).
 * - 15.30 → 16.50 KiB (SPA): errors that tell the truth (#11): recovery from one table and the
 *   status, the server's body error over a challenge's default, what came back (status,
 *   content type, a cleaned excerpt with the request's secrets redacted) and Retry-After kept
 *   from every unsuccessful answer, server text cleaned of control characters and markup, and
 *   causes reduced to name, message and code so that no token rides along.
 * - 16.50 → 17.00 KiB (SPA): token sets read from a store or another tab are checked
 *   (isTokenSet), a failing store is a typed error, no public function throws a raw error
 *   whatever its arguments — all found by the property tests — and the messages of the
 *   client's own mistakes (invalid_client, invalid_scope) say what to do.
 * - 17.00 → 17.76 KiB (SPA): #12 in part — apiUrls held to https, a cross-origin redirect
 *   without the body, a refused refresh token removed, nulls read as absent, an error on a 2xx
 *   read as the error, token JSON of another content type normalised as JSON, a 403
 *   invalid_token renewed, a refresh's ID token held to the same user, a pending sign-in
 *   completed once and expiring.
 * - 17.76 → 18.17 KiB (SPA): the rest of #12 on this path — the expires_in policy made
 *   explicit (a declared unit never overridden; over the ceiling, the JWT access token's exp,
 *   else the ceiling, with a warning), comma-separated scopes normalised, an absent scope read
 *   as the one requested or held, implicit-flow tokens in the callback refused, and
 *   sign-in-required said once per lost grant.
 * - 18.17 → 18.38 KiB (SPA): the token manager's share of #13 — a read that never acts
 *   (peek: for isAuthenticated, getUser and logout), forgetting a grant another holder found
 *   dead, and never adopting another user's stored tokens; discovery's `wellKnownFirst`.
 * - 18.38 → 19.62 KiB (SPA): resilience (#14), in every bundle that renews tokens — token
 *   requests retried with backoff, full jitter and Retry-After, bounded by tries and time,
 *   never resending a code or a possibly spent refresh token; stale while renewing; the
 *   circuit (RenewalGate); the server's clock from Date headers; `retry` and `renewal` events;
 *   the tracing hook.
 * - 19.62 → 19.71 KiB (SPA): the token manager's share of #15 — compare-and-delete of a
 *   refused set, owner stamps, one lock per store by default, renewing past a store out of
 *   reach when nothing can be spent twice.
 * - 19.71 → 20.07 KiB (SPA): refresh-token lifetime (#16 item 5), in every bundle that renews
 *   tokens — the three lifetime fields read (the earliest wins, kept across a refresh without a
 *   new refresh token), an expired refresh token never sent, and `refresh-expiring` said once
 *   per refresh token. (DPoP and PAR, also #16, stay out of bundles that do not use them.)
 * - 20.07 → 20.17 KiB (SPA): the switch for pushed authorization requests (#16); the code
 *   that pushes (RFC 9126) is a chunk of its own, loaded only when a request is pushed. Since
 *   then the measure is what loads up front (bench/initial.mjs), as every bundler splits
 *   dynamic imports.
 * - 20.17 → 20.34 KiB (SPA): DPoP's hooks (#16) in the paths every bundle takes — the
 *   authorized fetch's switch to a key's proofs and nonce round, token requests run through the
 *   key when there is one, a DPoP-bound token refused to a client without a key. The DPoP
 *   implementation (dpop/proofs.ts, oauth4webapi's DPoP) is only in bundles that call
 *   createDPoP (checked below).
 *
 * - 20.34 → 21.17 KiB (SPA): hostile servers (#23) on the paths every bundle takes — the one
 *   rule for URLs handed to a browser (the authorization and end-session URLs: https or
 *   loopback http, no userinfo, whitespace, quotes or controls), secrets masked in every
 *   encoding in what an error quotes, messages free of control characters, tokens outside
 *   VSCHAR refused at the endpoint and in a store, a DPoP-bound token never sent without its
 *   key. (The MCP address policy and the CLI's doors are in no bundle but theirs.)
 *
 * - 21.17 → 21.29 KiB (SPA): #24's defects fixed on the shared paths — a sign-out that wins
 *   over a renewal under way, a refused refresh token's fallback that stores its result, one
 *   caller's abort kept to itself (discovery and renewals), a signal never kept by a
 *   configuration, the class of every error from its row. (#24 item 9 is where size comes
 *   back down, from structure.)
 * - 21.29 → 21.50 KiB (SPA): one authorized fetch for every use case (#24 item 3): the loop
 *   takes the use case's recovery as a parameter (a session's refresh; the MCP client's sign-in
 *   and step-up), so oauthkit/mcp and ky carry no copy of it.
 * - 21.50 → 21.66 KiB (SPA): #24's one resolution and one session (the manager's coordinator,
 *   a sign-out that aborts a renewal and clears the store under the lock).
 * - 21.66 → 21.41 KiB (SPA): #24 item 9, size from structure — the error translation is a chunk
 *   loaded on the first failure (protocol/run/translation.ts; without it, the server's OAuth
 *   error is still read), and client_credentials and refresh answers are read by the reader the
 *   context was made with (the full one here: oauth4webapi's processors, ID tokens validated).
 * - 21.41 → 20.86 KiB (SPA): an unsuccessful answer is kept as it came, and read (redaction in
 *   every encoding, the excerpt, Retry-After, the request's secrets) by the translation chunk;
 *   without the chunk, only a registered OAuth error code is read from it.
 * - 20.86 → 20.54 KiB (SPA): what the authorized fetch does with a 401, a 403 or a redirect
 *   (the recovery's rounds, the challenges read) is a chunk loaded the first time one comes
 *   (fetch/answer.ts, no value imports); without it, the response is the answer.
 * - 20.54 → 20.81 KiB (SPA): #26 — the ID token's algorithms without `none` unless configured,
 *   the held ID token kept by a refresh, form_post's posted answer read as a query (the Request
 *   reader a chunk), and the door to the ID token's signature check (protocol/run/jws.ts, a
 *   chunk loaded the first time a signature is verified: asked, or no TLS).
 * - 20.81 → 21.01 KiB (SPA): #25's Web Storage compare-and-swap and #26's leftovers (20.96);
 *   #27's unknown_host (a host name that does not resolve is not retried); #28's door to a
 *   dialect's declared discovery deviation (the deviation itself is dialect code, in no bundle
 *   that declares none).
 * - 21.01 → 21.15 KiB (SPA): #28's authorization_details (RFC 9396) on the authorization
 *   request and the token requests, checked, and TokenSet.authorizationDetails from the answer,
 *   checked, its null read as absent.
 * - 21.15 → 19.10 KiB (SPA): #24 item 9 — every token answer read by oauthkit's reader (RFC 6749
 *   §5.1, failing as oauth4webapi's processors would: the content type, the challenge of a 401),
 *   and the ID token checked by oauthkit's own checks (OpenID Connect Core §3.1.3.7, held to
 *   oauth4webapi's verdicts by a property test) in the JWT chunk with the signature check
 *   (protocol/run/jws.ts), loaded when an ID token comes — before a sign-in with openid redeems
 *   its code — so oauth4webapi's token processors are in no bundle.
 * - 19.10 → 18.99 KiB (SPA): oauth4webapi's error classes told by their codes in the translation
 *   chunk (a class none of a bundle's code throws stays out of it), and the ID token reader of
 *   contexts that ask for none (ignoreIdTokens) only in the bundles that make such contexts.
 *   #24 item 9's goal for this path (19 KiB) is reached.
 * - 18.99 → 18.79 KiB (SPA): the translation chunk names oauth4webapi's error codes itself
 *   (values of its public API, held to the installed version's declarations by their types), so
 *   the kit every bundle hands it is one class instead of fifteen constants. The ID token check
 *   of an authorization code's answer is told by the check's presence (no flag). 18.82 since
 *   the five loads done once and again after a failure (the chunks, the browser's DPoP key) share
 *   one helper, internal/retrying.ts (+0.03).
 *
 * oauth4webapi (the protocol and its checks) is 3.5 KiB of the SPA path.
 */
const SPA_BUDGET_GZIP_BYTES = 18.85 * 1024

/**
 * 21.8 KiB gzip for `oauthkit/browser`'s createBrowserClient doing the same job plus what the
 * plain path leaves to the app: storage choice, cross-tab lock and channel, logout with
 * revocation and end-session (#24 item 9's goal: 22 KiB). Measures 21.79 KiB (21.77 before the
 * loads done once shared internal/retrying.ts; 21.91 before the
 * translation chunk named oauth4webapi's error codes itself, as above; 22.30 before the callback's
 * errors moved beside the callback, out of the error translation's door, and the SPA path's
 * 0.11 above; 23.59 before the sign-in, the callback and the
 * server's half of logout became a chunk loaded by the first of them, browser/sign-in.ts —
 * without it, sign-in fails with network_error having done nothing and logout still clears
 * every tab; 25.26 before every token answer was read by
 * oauthkit's reader and the ID token checked in the JWT chunk, as above; +0.12 #28's authorization_details — RFC 9396
 * on the authorization request and every token request, checked, and kept from the answer as
 * TokenSet.authorizationDetails, checked; +0.09 #27's unknown_host and #28's door to a declared
 * discovery deviation; 25.05 before: +0.07 #27's warning for an expires_in over
 * a day from a server whose dialect declares no unit; 24.98 before #26's leftovers — the call
 * deadline, the lost refresh answer, the 200 page quoted; 24.30 before #25 and #26: +0.12 the
 * compare-and-swap of the Web Storage token store (#25), +0.05 the refreshed ID token kept and
 * the ID token's algorithms without `none`, +0.17 logout's state and its return check,
 * handleLogoutCallback (RP-Initiated Logout §3), +0.11 form_post in the authorization code path
 * the browser client shares — `responseMode`, a posted form read as a query, and the door to
 * the chunk that reads a posted Request (never loaded in a browser), +0.11 the door to the ID
 * token's signature check (a chunk, loaded when one is verified); 24.66 before the fetch's answer to a 401, a 403
 * or a redirect became a chunk, as above; 25.17 before an unsuccessful answer was kept as
 * it came and read by the translation chunk, as above; 25.48 before the tabs' rotation ledger became a
 * chunk loaded on first use, browser/ledger.ts; 25.84 before the error translation became a
 * chunk loaded on the first failure, as above; 25.26 before #24's one session: the browser
 * client's tokens are a session's, made by the one function every use case's are, the tabs its
 * coordinator with adopt and forget under the lock and losing to a sign-out, a sign-out that
 * aborts a renewal under way and clears the store under the lock, Web Storage as the one
 * key-value token store; #24 item 9 is where this comes back down; 25.04 before the one authorized fetch, as above,
 * and the functions split when the formatter's wrapping took them past 60 lines; 24.89 before #24's defect fixes, as above, and
 * the DPoP key reached through the context; 24.05 before #23's share, as above, and tabs
 * that exchange tokens only with session or local storage; 23.97 before the browser client's `dpop` option: a key given, e.g. browserDPoP()'s, whose code is only in apps that import it; 23.80 before DPoP's hooks, as above; 23.67 before pushed authorization requests (#16): the switch that pushes, the pushing itself being a chunk of 0.5 KiB loaded only when used; 23.31 before #16's refresh-token lifetime, as above; 23.27 before the tabs fix of 2026-11-30, 23.12 before #15's share, 21.84 before #14's resilience, as above;
 * 16.95 before #11's error work, 18.76 before
 * #12, 19.64 before #12's second part, 20.04 before #13: tabs that never replay a rotated
 * refresh token — the rotation ledger in IndexedDB, asking the tab that holds the current
 * tokens, adopting only the renewals of the grant held, forgetting a refused grant in every
 * tab — pending sign-ins that expire and are replaced, a callback cleaned before it can fail
 * with its hash route kept, queries and a logout that never renew, a bounded lock with one
 * takeover at a time, OpenID discovery first; oidc-client-ts: 17.2 KiB). The userinfo JWT
 * check stays out: `getUserInfo(app)` is a separate function, 2.5 KiB for those who call it.
 */
const BROWSER_CLIENT_BUDGET_GZIP_BYTES = 21.8 * 1024

/**
 * 17.75 KiB gzip for `oauthkit/m2m`'s createClientCredentialsSession: discovery, client
 * authentication with a secret, the client_credentials grant and refresh, the token manager and
 * the authorized fetch (its Node redirect follower a chunk loaded on the first redirect,
 * fetch/follow.ts). Measures 17.73 KiB (17.72 before the loads done once shared
 * internal/retrying.ts; 17.90 before the translation chunk named oauth4webapi's
 * error codes itself, as above; 18.01 before oauth4webapi's error classes were told
 * by their codes, as above; 17.91 before the one token-answer reader of every use
 * case, which brought the M2M path oauth4webapi's answers on two faults it read otherwise: a
 * body that is not JSON is `not_json` (not `invalid_json`) unless it says it is, and a 401's
 * Basic challenge is `invalid_client`; 17.76 before #28's authorization_details on the token
 * request and from the answer, both checked; 17.73 before #27's unknown_host: the transport tells a
 * host name that does not resolve from a passing network fault, so a typo is not retried, 30
 * bytes; 17.59 before #25 and #26, as above; 17.92 before the fetch's answer to a 401, a 403 or a
 * redirect became a chunk, as above; 18.45 before an unsuccessful answer was kept as it came
 * and read by the translation chunk, as above; 18.67 before the follower's chunk; 21.14 before #24
 * item 9: the error translation a chunk loaded on the first failure, and the token answers read
 * by oauthkit's lean reader — the checks of RFC 6749 §5.1, failing as oauth4webapi's processors
 * would — so that those processors and their ID token validation stay out; an ID token this
 * client never asked for is dropped, with a warning (test/m2m.test.ts); 21.00 before the one
 * resolution and one session; 20.79 before the one
 * authorized fetch, as above; 20.61 before #24's
 * defect fixes, as above, and the session options m2m now passes whole; 20.08 before #23's
 * share, as above, without the URLs for a browser; 19.87 before DPoP's
 * hooks, as above, and the redirect follower's per-hop credentials; 19.85 before PAR's switch; 19.45 before #16:
 * the refresh-token lifetime, as above, and sessions that run any grant — token exchange, JWT
 * bearer, one of the application's — not only client_credentials; 19.33 before #15's
 * share, as above; 18.02 before #14's
 * resilience, as above; 15.08 before #11's
 * error work, 16.78 before #12, 17.49 before #12's second part: the expires_in policy and the
 * scope reading, 17.79 before the token manager's share of #13, as above); `createOAuthClient`
 * doing the same measures 22.7 KiB, because it binds every grant.
 */
const M2M_BUDGET_GZIP_BYTES = 17.75 * 1024

async function bundle(entry: string, platform: 'browser' | 'node' = 'browser') {
  return build({
    entryPoints: [resolve(root, entry)],
    bundle: true,
    minify: true,
    format: 'esm',
    platform,
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    // What package.json's `browser` condition gives bundlers: the build with Node-only code left out.
    define: { __OAUTHKIT_BROWSER__: platform === 'browser' ? 'true' : 'false' },
    alias: {
      oauthkit: resolve(root, 'src/index.ts'),
      'oauthkit/browser': resolve(root, 'src/entries/browser.ts'),
      'oauthkit/m2m': resolve(root, 'src/entries/m2m.ts'),
    },
    metafile: true,
    // Measured: what loads up front. Code behind a dynamic import() (PAR) loads only when used.
    splitting: true,
    outdir: resolve(root, '.tmp', 'size'),
  }).then((result) => initialChunks(result, root))
}

async function gzipSize(entry: string, platform: 'browser' | 'node' = 'browser'): Promise<number> {
  return gzipSync((await bundle(entry, platform)).bytes, { level: 9 }).length
}

describe('size budget', () => {
  it(`the SPA path stays within ${SPA_BUDGET_GZIP_BYTES / 1024} KiB gzip`, async () => {
    const size = await gzipSize('bench/entries/spa/oauthkit.js')
    expect(size, `SPA bundle is ${(size / 1024).toFixed(2)} KiB gzip`).toBeLessThanOrEqual(SPA_BUDGET_GZIP_BYTES)
  })

  it(`createBrowserClient stays within ${BROWSER_CLIENT_BUDGET_GZIP_BYTES / 1024} KiB gzip`, async () => {
    const size = await gzipSize('bench/entries/spa/oauthkit__browser.js')
    expect(size, `browser client bundle is ${(size / 1024).toFixed(2)} KiB gzip`).toBeLessThanOrEqual(BROWSER_CLIENT_BUDGET_GZIP_BYTES)
  })

  it(`the machine-to-machine session stays within ${M2M_BUDGET_GZIP_BYTES / 1024} KiB gzip`, async () => {
    const size = await gzipSize('bench/entries/m2m/oauthkit.js', 'node')
    expect(size, `M2M bundle is ${(size / 1024).toFixed(2)} KiB gzip`).toBeLessThanOrEqual(M2M_BUDGET_GZIP_BYTES)
  })

  it('the code that pushes authorization requests (PAR) and the error translation are not loaded up front; DPoP and the MCP client are in none of the three', async () => {
    for (const entry of ['bench/entries/spa/oauthkit.js', 'bench/entries/spa/oauthkit__browser.js', 'bench/entries/m2m/oauthkit.js']) {
      const { inputs } = await bundle(entry, entry.includes('m2m') ? 'node' : 'browser')
      expect(inputs.some((f) => f.endsWith('src/protocol/run/token.ts'))).toBe(true)
      expect(
        inputs.filter(
          (f) =>
            f.endsWith('src/protocol/endpoints/par.ts') ||
            f.endsWith('src/protocol/run/translation.ts') ||
            f.endsWith('src/dpop/proofs.ts') ||
            f.includes('src/mcp/'),
        ),
      ).toEqual([])
    }
  })

  it('the machine-to-machine entry pulls in no authorization code, device, password, introspection, userinfo, registration or dialect code', async () => {
    const { inputs } = await bundle('bench/entries/m2m/oauthkit.js', 'node')
    expect(inputs.some((f) => f.endsWith('src/protocol/grants/client-credentials.ts'))).toBe(true)
    const foreign = [
      'protocol/grants/authorization-code.ts',
      'protocol/grants/device.ts',
      'protocol/grants/password.ts',
      'protocol/endpoints/endpoints.ts',
      'dialects/apply.ts',
      'browser/',
      'client.ts',
    ]
    expect(inputs.filter((f) => foreign.some((name) => f.includes(`src/${name}`)))).toEqual([])
  })
})
