// `oauthkit/browser`: the single-page-app client.
export { createBrowserClient, webLock } from '../browser.js'
export type { BrowserClient, BrowserClientOptions, BrowserEvents } from '../browser.js'
export { compileDialect } from '../dialects/apply.js'
