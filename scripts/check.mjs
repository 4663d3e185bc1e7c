// The checks `npm test` runs before the tests — lint, type-check, build, reference — two at a time
// (the 2-core machine is the reference; each is single-threaded for most of its run). Each one's
// output is shown when it ends, whole, so that nothing interleaves; the first failure fails all.
import { spawn } from 'node:child_process'
import process from 'node:process'

const checks = ['lint', 'typecheck', 'build', 'docs']
const parallel = 2
let failed = false

function run(name) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', name], { stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.on('close', (code) => {
      if (code !== 0) failed = true
      if (output.trim() && (code !== 0 || name !== 'build')) process.stdout.write(output)
      if (code !== 0) process.stdout.write(`npm run ${name} failed (exit ${code})\n`)
      resolve()
    })
  })
}

const queue = [...checks]
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (queue.length && !failed) await run(queue.shift())
  }),
)
process.exit(failed ? 1 : 0)
