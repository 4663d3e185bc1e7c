/**
 * The size budget of the browser path, checked on every `npm test` (the bench compares with
 * the peers; this only guards the number). The entry is the bench's SPA entry: what a
 * single-page app does — authorization URL with PKCE, callback, refresh, authorized call.
 */
import { resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')

/**
 * 15.75 KiB gzip. Why this number: the SPA path measured 15.0 KiB (oauth4webapi's part is
 * about 6.6 KiB of it) after zod and the secret-based client authentication were taken out
 * of it; then 15.53 KiB after two additions the browser needs (discovery moving on after a
 * CORS-less 404, and tokens adopted from another tab). The goal is 13 KiB (benchmark issue);
 * until then this ceiling stops any regression. Lower it whenever the measurement drops.
 */
const SPA_BUDGET_GZIP_BYTES = 15.75 * 1024

/**
 * 17.75 KiB gzip for `oauthkit/browser`'s createBrowserClient doing the same job plus what the
 * plain path leaves to the app: storage choice, cross-tab lock and channel, logout with
 * revocation and end-session. Measured 17.3 KiB when it landed (oidc-client-ts: 17.2 KiB);
 * the way down is the same as for the SPA path (the 13 KiB goal of the benchmark issue).
 */
const BROWSER_CLIENT_BUDGET_GZIP_BYTES = 17.75 * 1024

async function gzipSize(entry: string): Promise<number> {
  const out = await build({
    entryPoints: [resolve(root, entry)],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    // What package.json's `browser` condition gives bundlers: the build with Node-only code left out.
    define: { __OAUTHKIT_BROWSER__: 'true' },
    alias: { oauthkit: resolve(root, 'src/index.ts'), 'oauthkit/browser': resolve(root, 'src/entries/browser.ts') },
  })
  return gzipSync(out.outputFiles[0]!.contents, { level: 9 }).length
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
})
