/** `npm run demo` (scripts/demo.ts) runs every step against its local servers, one line each, and says so. */
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { expect, it } from 'vitest'

it('npm run demo: every step works', async () => {
  const child = spawn('npm', ['run', '-s', 'demo'], { cwd: resolve(import.meta.dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk))
  child.stderr.on('data', (chunk: Buffer) => (out += chunk))
  const code = await new Promise<number | null>((done) => child.on('close', done))
  expect(out).not.toContain('✘')
  for (const step of [
    'authorization code + PKCE',
    'DPoP',
    'pushed authorization (PAR)',
    'device authorization',
    'token exchange',
    'JWT bearer',
    'MCP client',
    'revocation',
  ])
    expect(out).toMatch(new RegExp(`^✔ ${step.replace(/[()+]/g, '\\$&')} `, 'm'))
  expect(out).toContain('every step worked')
  expect(code).toBe(0)
}, 60_000)
