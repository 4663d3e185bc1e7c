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
 * 15.5 KiB gzip. Why this number: the SPA path measures 15.0 KiB (oauth4webapi's part is
 * about 6.6 KiB of it) after zod and the secret-based client authentication were taken out
 * of it. The goal is 13 KiB (benchmark issue), which needs the dedicated browser entry; until
 * then this ceiling stops any regression. Lower it whenever the measurement drops.
 */
const SPA_BUDGET_GZIP_BYTES = 15.5 * 1024

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
    alias: { oauthkit: resolve(root, 'src/index.ts') },
  })
  return gzipSync(out.outputFiles[0]!.contents, { level: 9 }).length
}

describe('size budget', () => {
  it(`the SPA path stays within ${SPA_BUDGET_GZIP_BYTES / 1024} KiB gzip`, async () => {
    const size = await gzipSize('bench/entries/spa/oauthkit.js')
    expect(size, `SPA bundle is ${(size / 1024).toFixed(2)} KiB gzip`).toBeLessThanOrEqual(SPA_BUDGET_GZIP_BYTES)
  })
})
