// `oauthkit/browser`: the single-page-app client.
export { createBrowserClient } from '../browser/client.js'
export type { BrowserClient, BrowserClientOptions, BrowserEvents } from '../browser/client.js'
export { webLock } from '../token/lock.js'
export { defineDialect, compileDialect } from '../dialects/apply.js'
export type { HttpOptions } from '../http/options.js'
