import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file runs in its own worker: msw's interception in one file never reaches the
    // end-to-end files, which talk to real servers on loopback.
    pool: 'forks',
  },
})
