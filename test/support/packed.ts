/**
 * The built package as users get it: `npm pack` of dist/ (which `npm test` built just before),
 * unpacked into `scratch/node_modules/oauthkit` of a scratch project, its runtime dependencies
 * linked from this checkout (no network needed). Used by the package test and the runtime smoke.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const root = resolve(import.meta.dirname, '..', '..')

export function run(cmd: string, args: string[], cwd = root): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  })
}

export function packInto(scratch: string): { tarball: string; unpackedSize: number } {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
  rmSync(scratch, { recursive: true, force: true })
  mkdirSync(join(scratch, 'node_modules', 'oauthkit'), { recursive: true })
  // Packing must not rebuild dist/ under the other test files: --ignore-scripts.
  const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch])) as Array<{
    filename: string
    unpackedSize: number
  }>
  const tarball = join(scratch, packed[0]!.filename)
  run('tar', ['-xzf', tarball, '-C', join(scratch, 'node_modules', 'oauthkit'), '--strip-components=1'])
  for (const dep of ['oauth4webapi', 'ky']) symlinkSync(join(root, 'node_modules', dep), join(scratch, 'node_modules', dep))
  writeFileSync(join(scratch, 'package.json'), '{"name":"consumer","private":true}')
  return { tarball, unpackedSize: packed[0]!.unpackedSize }
}
