/**
 * `npm run sandbox` as a newcomer uses it (#27 item 2): started, its printout read, and the
 * `oauthkit` commands it prints run as printed — with the exports it prints — against it: a
 * client_credentials token, an API call, a device sign-in with the public client (the test
 * plays the user). Its live line counts the token requests; Ctrl-C stops it cleanly.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actAsUser } from '../support/authorization-server.js'

const root = resolve(import.meta.dirname, '..', '..')
const cli = join(root, 'dist', 'cli.js')
let sandbox: ChildProcessWithoutNullStreams
let printed = ''
const scratch = mkdtempSync(join(tmpdir(), 'oauthkit-sandbox-'))

/** Resolves when the sandbox has printed a line matching `pattern` (its match). */
function printedLine(pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((done, fail) => {
    const look = () => {
      const match = pattern.exec(printed)
      if (!match) return false
      sandbox.stdout.off('data', look)
      done(match)
      return true
    }
    if (look()) return
    sandbox.stdout.on('data', look)
    sandbox.once('exit', (code) => fail(new Error(`the sandbox exited (${code}) before printing ${pattern}:\n${printed}`)))
  })
}

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it)')
  sandbox = spawn(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'scripts', 'sandbox.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH! },
  })
  sandbox.stdout.on('data', (chunk: Buffer) => (printed += chunk))
  sandbox.stderr.on('data', (chunk: Buffer) => (printed += chunk))
  await printedLine(/^token requests: 0/m)
}, 60_000)
afterAll(() => {
  if (sandbox.exitCode === null) sandbox.kill('SIGKILL')
  rmSync(scratch, { recursive: true, force: true })
})

/** The variables of the printed `export A=1 B=2` lines. */
function exported(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [, list] of printed.matchAll(/^ +export (.+)$/gm)) for (const [, k, v] of list!.matchAll(/(\w+)=(\S+)/g)) env[k!] = v!
  return env
}

/** Runs a printed `npx oauthkit …` line with this checkout's CLI, in a scratch home and cache. */
function run(line: string, onErrLine?: (line: string) => void): Promise<{ code: number | null; out: string; err: string }> {
  const args = line.replace(/^ *npx oauthkit /, '').split(/ +/)
  const child = spawn(process.execPath, [cli, ...args], {
    env: { PATH: process.env.PATH!, HOME: scratch, OAUTHKIT_CACHE_DIR: join(scratch, 'cache'), ...exported() },
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk))
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk
    for (const l of chunk.toString().split('\n')) if (l) onErrLine?.(l)
  })
  return new Promise((done) => child.on('close', (code) => done({ code, out, err })))
}

describe('npm run sandbox', () => {
  it('prints the issuer, the API, the MCP server, ready-to-use clients and the variables the examples read', () => {
    expect(printed).toMatch(/^ {2}issuer +http:\/\/127\.0\.0\.1:\d+$/m)
    expect(printed).toMatch(/^ {2}API +http:\/\/127\.0\.0\.1:\d+ /m)
    expect(printed).toMatch(/^ {2}MCP server +http:\/\/127\.0\.0\.1:\d+\/mcp /m)
    for (const kind of ['confidential', 'public', 'native (CLI)', 'registration', 'MCP machine', 'user'])
      expect(printed).toContain(`  ${kind}`)
    expect(Object.keys(exported()).sort()).toEqual(['API_URL', 'MCP_SERVER', 'OAUTH_CLIENT_ID', 'OAUTH_CLIENT_SECRET', 'OAUTH_ISSUER'])
  })

  it('the oauthkit commands it prints work as printed: a token, an API call, a device sign-in; the live line counts them', async () => {
    const commands = [...printed.matchAll(/^ +(npx oauthkit .+)$/gm)].map((m) => m[1]!)
    expect(commands.map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual([
      'npx oauthkit token',
      'npx oauthkit call',
      'npx oauthkit token',
    ])
    const [token, call, device] = commands as [string, string, string]

    const got = await run(token)
    expect(got.code, got.err).toBe(0)
    expect(got.out.trim()).toMatch(/^\S{20,}$/)
    expect(got.err).toContain('client_credentials: bearer token')

    const called = await run(call)
    expect(called.code, called.err).toBe(0)
    expect(JSON.parse(called.out)).toMatchObject({ client: 'confidential-app', scope: 'api:read', path: '/me' })

    let approving: Promise<string> | undefined
    const signedIn = await run(device, (line) => {
      const url = /^Open (\S+) and enter \S+/.exec(line)?.[1]
      if (url) approving = actAsUser(url)
    })
    await approving
    expect(signedIn.code, signedIn.err).toBe(0)
    expect(signedIn.err).toContain('device: bearer token')

    await printedLine(/^token requests: 2 \(client_credentials 1, device_code 1\); API calls: 1 accepted/m)
  })

  it('Ctrl-C stops it cleanly', async () => {
    const exited = new Promise<number | null>((done) => sandbox.once('exit', done))
    sandbox.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(printed).toContain('sandbox stopped')
  })
})
