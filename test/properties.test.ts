/**
 * Property-based tests of every parser reachable from outside input (test/support/fuzz.ts):
 * 3,000 seeded, reproducible inputs each. `npm run fuzz` runs a million in all.
 */
import fc from 'fast-check'
import { describe, it } from 'vitest'
import { PARSERS, PUBLIC_FUNCTIONS } from './support/fuzz.js'

const RUNS = 3_000

describe('parsers of outside input never crash, hang or leak', () => {
  for (const [name, property] of Object.entries(PARSERS)) {
    it(`${name}: ${RUNS} inputs`, async () => {
      await fc.assert(property as unknown as fc.IAsyncProperty<unknown[]>, { numRuns: RUNS, seed: 20261130, endOnFailure: true })
    }, 120_000)
  }

  it(`every public function, with arbitrary arguments, returns or rejects with an OAuthKitError: ${RUNS} calls`, async () => {
    // Nothing may leave the process: a stray global fetch answers offline.
    const original = globalThis.fetch
    globalThis.fetch = async () => new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } })
    try {
      await fc.assert(PUBLIC_FUNCTIONS as unknown as fc.IAsyncProperty<unknown[]>, { numRuns: RUNS, seed: 20261130, endOnFailure: true })
    } finally {
      globalThis.fetch = original
    }
  }, 120_000)
})
