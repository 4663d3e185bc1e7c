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
// (protocol/endpoints/par.ts) stays a chunk of its own, loaded by its dynamic import() when a request is
// pushed.
export * from '../client.js'
export * from '../dialects/apply.js'
export * from '../dialects/check.js'
export * from '../dialects/presets.js'
export * from '../dialects/types.js'
export * from '../discovery/cache.js'
export * from '../discovery/index.js'
export * from '../discovery/resolve.js'
export * from '../errors.js'
export * from '../fetch/authorized-fetch.js'
export * from '../protocol/grants/authorization-code.js'
export * from '../protocol/run/client-auth.js'
export * from '../protocol/grants/client-credentials.js'
export * from '../protocol/run/context.js'
export * from '../protocol/run/id-token.js'
export * from '../protocol/grants/device.js'
export * from '../protocol/grants/ciba.js'
export * from '../dpop/proofs.js'
export * from '../protocol/endpoints/end-session.js'
export * from '../protocol/endpoints/endpoints.js'
export * from '../protocol/endpoints/logout-token.js'
export * from '../protocol/grants/exchange.js'
export * from '../protocol/run/operation.js'
export * from '../protocol/grants/password.js'
export * from '../protocol/grants/refresh.js'
export * from '../protocol/run/retry.js'
export * from '../protocol/run/token.js'
export * from '../protocol/run/translate.js'
export * from '../http/options.js'
export * from '../http/skew.js'
export * from '../http/transport.js'
export * from '../internal/abort.js'
export * from '../internal/base64url.js'
export * from '../internal/clock.js'
export * from '../internal/closest.js'
export * from '../internal/retrying.js'
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
