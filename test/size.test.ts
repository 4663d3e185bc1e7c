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
 * 15 KiB gzip. Why this number: the SPA path measures 14.91 KiB (2026-11-22). Of that,
 * oauth4webapi (the protocol and its checks) is 5.9 KiB. The rest was cut from 21.6 KiB by
 * taking zod and the secret-based client authentication out of the browser path, a browser
 * build without the Node-only redirect follower, and shorter messages. The benchmark issue
 * asked for 13 KiB; with every message of ours over 15 characters deleted the path would
 * still be 13.6 KiB, so that number needs features out of the default path (see the issue's
 * note). Until then this ceiling stops any regression. Lower it whenever the measurement drops.
 */
const SPA_BUDGET_GZIP_BYTES = 15 * 1024

/**
 * 16.75 KiB gzip for `oauthkit/browser`'s createBrowserClient doing the same job plus what the
 * plain path leaves to the app: storage choice, cross-tab lock and channel, logout with
 * revocation and end-session. Measures 16.49 KiB (oidc-client-ts: 17.2 KiB).
 */
const BROWSER_CLIENT_BUDGET_GZIP_BYTES = 16.75 * 1024

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
