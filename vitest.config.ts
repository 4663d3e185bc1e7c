import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url))

export default defineConfig({
  resolve: {
    // Examples import 'oauthkit' as users do; tests run them against the sources, not dist/.
    alias: [
      { find: /^oauthkit$/, replacement: src('index.ts') },
      { find: /^oauthkit\/(ky|node|dialects|testing|browser|m2m)$/, replacement: src('entries/$1.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file runs in its own worker: msw's interception in one file never reaches the
    // end-to-end files, which talk to real servers on loopback.
    pool: 'forks',
    // Both cores of the 2-core machine (the default leaves one idle): files run two at a time.
    maxWorkers: 2,
  },
})
