/**
 * The built package, tested as users get it: `npm pack`, unpacked into a scratch project,
 * imported as ESM and required as CJS, then publint and are-the-types-wrong on the tarball.
 * `npm test` builds before vitest runs, so dist/ is fresh.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
const scratch = join(root, '.tmp', 'package-test')
let tarball = ''

function run(cmd: string, args: string[], cwd = root): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } })
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
  rmSync(scratch, { recursive: true, force: true })
  mkdirSync(join(scratch, 'node_modules', 'oauthkit'), { recursive: true })
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', scratch])) as Array<{ filename: string }>
  tarball = join(scratch, packed[0]!.filename)
  run('tar', ['-xzf', tarball, '-C', join(scratch, 'node_modules', 'oauthkit'), '--strip-components=1'])
  // The runtime dependencies come from this checkout: no network needed.
  for (const dep of ['oauth4webapi', 'zod', 'ky']) symlinkSync(join(root, 'node_modules', dep), join(scratch, 'node_modules', dep))
  writeFileSync(join(scratch, 'package.json'), '{"name":"consumer","private":true}')
}, 120_000)

describe('the packed tarball', () => {
  it('contains dist and the README, not the sources or tests', () => {
    const files = run('tar', ['-tzf', tarball]).split('\n').filter(Boolean)
    expect(files).toContain('package/dist/index.js')
    expect(files).toContain('package/dist/index.cjs')
    expect(files).toContain('package/dist/index.d.ts')
    expect(files).toContain('package/dist/index.d.cts')
    expect(files).toContain('package/README.md')
    expect(files.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false)
  })

  it('imports as ESM', () => {
    const out = run('node', ['--input-type=module', '-e', "const m = await import('oauthkit'); console.log(typeof m.createOAuthClient, typeof m.discover, new m.ConfigError('invalid_config', 'x').recovery)"], scratch)
    expect(out.trim()).toBe('function function fix-config')
  })

  it('requires as CJS, without require(esm)', () => {
    const out = run(
      'node',
      ['--no-experimental-require-module', '-e', "const m = require('oauthkit'); console.log(typeof m.createOAuthClient, typeof m.clientCredentialsGrant, m.isOAuthKitError(new m.NetworkError('timeout', 'x')))"],
      scratch,
    )
    expect(out.trim()).toBe('function function true')
  })

  it('publint reports nothing', () => {
    const out = run(join(root, 'node_modules', '.bin', 'publint'), ['run', '--strict', join(scratch, 'node_modules', 'oauthkit')])
    expect(out).toContain('All good!')
  })

  it('are-the-types-wrong reports nothing', () => {
    const out = run(join(root, 'node_modules', '.bin', 'attw'), [tarball, '--format', 'ascii'])
    expect(out).toMatch(/No problems found/)
  }, 60_000)
})
