/**
 * `npm run fuzz`: the property tests of test/support/fuzz.ts at scale — a million inputs in all
 * by default (`npm run fuzz -- 200000` for another total), spread over the parsers, with a
 * fresh seed each run (printed, so a failure can be replayed). Prints the count per parser and
 * every counterexample; exits non-zero if any parser failed.
 */
import fc from 'fast-check'
import { PARSERS, PUBLIC_FUNCTIONS } from '../test/support/fuzz.js'

const total = Number(process.argv[2] ?? 1_000_000)
const properties: Record<string, unknown> = { ...PARSERS, 'public function arguments': PUBLIC_FUNCTIONS }
const names = Object.keys(properties)
const perParser = Math.ceil(total / names.length)
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)
console.log(`fuzz: ${perParser} inputs for each of ${names.length} parsers (${perParser * names.length} in all), seed ${seed}`)

// Nothing may leave the process: a stray global fetch answers offline.
globalThis.fetch = async () => new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } })
let failed = 0
const started = Date.now()
for (const name of names) {
  const t0 = Date.now()
  const result = await fc.check(properties[name] as fc.IAsyncProperty<unknown[]>, { numRuns: perParser, seed, endOnFailure: true })
  const line = `${name}: ${result.numRuns} inputs in ${((Date.now() - t0) / 1000).toFixed(1)} s`
  if (result.failed) {
    failed++
    console.log(
      `FAILED ${line}\n  counterexample: ${JSON.stringify(result.counterexample)?.slice(0, 2000)}\n  ${String(result.errorInstance)}`,
    )
  } else console.log(`ok     ${line}`)
}
console.log(`${failed === 0 ? 'all passed' : `${failed} parser(s) failed`} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
process.exit(failed === 0 ? 0 : 1)
