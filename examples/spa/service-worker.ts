/**
 * The browser client where there is no DOM: a service worker (or an extension's background
 * script) that signs in, keeps the tokens in memory and calls the API. A page asks it for the
 * sign-in URL, opens it, and hands back the callback URL (an extension would use
 * `chrome.identity.launchWebAuthFlow`). Served as /sw.js by scripts/serve-spa.ts.
 */
import { createBrowserClient, isOAuthKitError, type BrowserClient } from 'oauthkit/browser'

/** The few service-worker globals used here (the DOM library's types describe a window). */
interface WorkerScope {
  location: { origin: string }
  skipWaiting(): Promise<void>
  clients: { claim(): Promise<void> }
  addEventListener(
    type: string,
    listener: (event: { data?: { type: string; url?: string }; ports?: MessagePort[]; waitUntil(p: Promise<unknown>): void }) => void,
  ): void
}
const worker = globalThis as unknown as WorkerScope

let app: Promise<BrowserClient> | undefined
let api = ''
async function client(): Promise<BrowserClient> {
  const config = (await (await fetch('/config.json')).json()) as { issuer: string; clientId: string; api: string }
  api = config.api
  return createBrowserClient({
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: `${worker.location.origin}/sw-callback`,
    scope: 'openid profile',
    storage: 'memory',
    apiUrls: [api],
  })
}

async function handle(message: { type: string; url?: string }): Promise<unknown> {
  const current = await (app ??= client())
  if (message.type === 'login-url') return current.createLoginUrl()
  if (message.type === 'callback') return (await current.handleRedirectCallback(message.url)).tokens.idTokenClaims?.sub
  if (message.type === 'call') {
    const res = await current.fetch(`${api}/me`)
    return { status: res.status, body: await res.json() }
  }
  return { authenticated: await current.isAuthenticated(), user: (await current.getUser())?.sub }
}

worker.addEventListener('install', (event) => event.waitUntil(worker.skipWaiting()))
worker.addEventListener('activate', (event) => event.waitUntil(worker.clients.claim()))
worker.addEventListener('message', (event) => {
  const reply = event.ports?.[0]
  event.waitUntil(
    handle(event.data ?? { type: 'state' }).then(
      (result) => reply?.postMessage({ ok: true, result }),
      (err: unknown) => reply?.postMessage({ ok: false, error: isOAuthKitError(err) ? err.code : String(err) }),
    ),
  )
})
