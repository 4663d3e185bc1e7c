/**
 * A small single-page app on oauthkit/browser: sign in (code + PKCE), show who is signed in,
 * call an API with a token that renews itself, sign out (in every tab). Served by
 * `npm run spa` (scripts/serve-spa.ts) against the local authorization server.
 */
import { browserDPoP, createBrowserClient, isOAuthKitError } from 'oauthkit/browser'

interface Config {
  issuer: string
  clientId: string
  api: string
  /** How long a tab waits for the cross-tab lock (the tests shorten it). */
  lockTimeout?: number
  /** DPoP-bound tokens, the key kept in IndexedDB (`npm run spa` serves without; a test serves with). */
  dpop?: boolean
}

const config = (await (await fetch('/config.json')).json()) as Config
// The storage choice is the visitor's (?storage=memory|session|local), remembered across the redirect.
const chosen = new URLSearchParams(location.search).get('storage') ?? localStorage.getItem('spa:storage') ?? 'memory'
const storage = chosen === 'session' || chosen === 'local' ? chosen : 'memory'
localStorage.setItem('spa:storage', storage)

const app = createBrowserClient({
  issuer: config.issuer,
  clientId: config.clientId,
  redirectUri: `${location.origin}/`,
  postLogoutRedirectUri: `${location.origin}/`,
  scope: 'openid profile offline_access',
  storage,
  apiUrls: [config.api],
  ...(config.lockTimeout ? { lockTimeout: config.lockTimeout } : {}),
  ...(config.dpop ? { dpop: browserDPoP() } : {}),
})

const $ = (id: string) => document.getElementById(id) as HTMLElement
const describe = (err: unknown) => (isOAuthKitError(err) ? `${err.code}: ${err.message}` : String(err))

async function render(note?: string) {
  $('storage').textContent = storage
  $('route').textContent = location.hash || '(none)'
  // Queries only: they renew nothing and ask no server.
  const user = (await app.isAuthenticated()) ? await app.getUser() : undefined
  $('user').textContent = user ? String(user.name ?? user.sub) : 'nobody'
  $('status').textContent = note ?? (user ? 'Signed in.' : 'Signed out.')
}

$('login').onclick = () => void app.login({ extraParams: { prompt: 'consent' } })
$('logout').onclick = async () => {
  const { error } = await app.logout()
  if (error) $('api').textContent = `revocation failed: ${describe(error)}`
}
$('call').onclick = async () => {
  try {
    const res = await app.fetch(`${config.api}/me`)
    const token = await app.getAccessToken()
    $('api').textContent = `HTTP ${res.status}\n${JSON.stringify(await res.json(), null, 2)}\ntoken …${token.slice(-6)}`
  } catch (err) {
    $('api').textContent = `failed: ${describe(err)}`
  }
}
app.on('logout', () => void render('Signed out (in this or another tab).'))
app.on('sign-in-required', () => void render('Signed out: sign in again.'))

try {
  if (app.isCallback()) await app.handleRedirectCallback()
  // Back from the end-session endpoint: the state is this tab's logout's (and leaves the address bar).
  else if (new URLSearchParams(location.search).has('state')) app.handleLogoutCallback()
  await render()
} catch (err) {
  await render(`Sign-in failed: ${describe(err)}`)
}
// For the browser tests: the client, to look at its state.
;(globalThis as { oauthkitApp?: unknown }).oauthkitApp = app
