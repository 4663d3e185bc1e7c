// Node, Deno and Bun: `<runtime> run.mjs <base>` prints one line, SMOKE and the steps as JSON.
import { smoke } from './smoke.mjs'

const base = globalThis.Deno ? globalThis.Deno.args[0] : globalThis.process.argv[2]
console.log(`SMOKE ${JSON.stringify(await smoke(base))}`)
