// The ESM build's shared code, in one module (tsup.config.ts). Node's loader pays per file: the
// main entry in one file imports in about half the time it took in sixteen chunks. Each
// published ESM entry re-exports from here, and the entries kept apart import from here. Not a
// package entry; test/layers.test.ts checks that every module it should list is listed.
//
// Every source module is listed but those of the entries kept apart: the browser client
// (browser/), the MCP client (mcp/), ky (fetch/ky.ts: ky is an optional peer), the Node-only
// stores and listener (node/: loading node:http and node:fs would cost every import a few
// milliseconds), the Redis store (redis/: its scripts are template literals, which bundlers keep
// whether used or not), the CLI (cli/) and the msw emulators (testing/). PAR's module
// (grants/par.ts) stays a chunk of its own, loaded by its dynamic import() when a request is
// pushed.
export * from '../client.js'
export * from '../dialects/apply.js'
export * from '../dialects/presets.js'
export * from '../dialects/types.js'
export * from '../discovery/cache.js'
export * from '../discovery/index.js'
export * from '../discovery/resolve.js'
export * from '../errors.js'
export * from '../fetch/authorized-fetch.js'
export * from '../grants/authorization-code.js'
export * from '../grants/client-auth.js'
export * from '../grants/client-credentials.js'
export * from '../grants/context.js'
export * from '../grants/device.js'
export * from '../grants/dpop.js'
export * from '../grants/end-session.js'
export * from '../grants/endpoints.js'
export * from '../grants/exchange.js'
export * from '../grants/operation.js'
export * from '../grants/password.js'
export * from '../grants/refresh.js'
export * from '../grants/retry.js'
export * from '../grants/token.js'
export * from '../grants/translate.js'
export * from '../http/options.js'
export * from '../http/skew.js'
export * from '../http/transport.js'
export * from '../internal/abort.js'
export * from '../internal/base64url.js'
export * from '../internal/clock.js'
export * from '../internal/url.js'
export * from '../internal/www-authenticate.js'
export * from '../m2m.js'
export * from '../session.js'
export * from '../token/lock.js'
export * from '../token/manager.js'
export * from '../token/renewal.js'
export * from '../token/store.js'
export * from '../types.js'
export * from '../vendors/epiship.js'
export * from '../vendors/eptura.js'
export * from '../wire/metadata.js'
export * from '../wire/token.js'
