/**
 * Property-based tests of every parser reachable from outside input (test/support/fuzz.ts):
 * 10,000 seeded, reproducible inputs each. `npm run fuzz` runs a million in all.
 */
import fc from 'fast-check'
import { describe, it } from 'vitest'
import { PARSERS } from './support/fuzz.js'

const RUNS = 10_000

describe('parsers of outside input never crash, hang or leak', () => {
  for (const [name, property] of Object.entries(PARSERS)) {
    it(`${name}: ${RUNS} inputs`, async () => {
      await fc.assert(property as unknown as fc.IAsyncProperty<unknown[]>, { numRuns: RUNS, seed: 20261130, endOnFailure: true })
    }, 120_000)
  }
})
