/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, the version pinned in
 * package.json): every `auth/*` client scenario it lists, run against test/mcp/conformance/client.ts
 * — the client docs/mcp.md teaches, built from dist/ as users get it — with nothing per scenario
 * but the values the suite hands out (MCP_CONFORMANCE_CONTEXT). The suite's mock servers and the
 * client run on loopback; its CLI needs Node ≥ 22, so it runs on the Node 24 of the runtime
 * smoke (test/runtimes, installed by .ci/run). Without it a local run skips with one line;
 * under CI (CI=true) that is a failure.
 *
 * A scenario may be skipped only where its mock breaks an RFC in a way a secure client must
 * refuse (SKIPPED below, each with the clause and what the mock does); none is today.
 */
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { root } from '../support/packed.js'

const execute = promisify(execFile)
const node24 = join(root, 'test', 'runtimes', 'node_modules', 'node24', 'bin', 'node')
const suite = join(root, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js')
const client = join(root, 'test', 'mcp', 'conformance', 'client.ts')
const pinned = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> })
  .devDependencies['@modelcontextprotocol/conformance']

/** Scenarios whose mock a secure client must refuse: the RFC clause, and what the mock does. */
const SKIPPED: Record<string, string> = {}

/** The suite's groups that hold the auth scenarios (`conformance list` names which is where). */
const GROUPS = ['auth', 'backcompat', 'extensions', 'draft']

interface Check {
  id: string
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED'
  description?: string
  errorMessage?: string
}

const haveNode24 = existsSync(node24)
if (!haveNode24) {
  const why = 'MCP conformance suite: Node 24 not installed (npm ci --prefix test/runtimes)'
  if (process.env.CI === 'true') throw new Error(`${why}; CI must have it (.ci/run installs it)`)
  // eslint-disable-next-line no-console -- the one line that says why the suite did not run
  console.warn(`skipped: ${why}`)
}

/** The pinned suite's auth scenarios, as it lists them. */
const listed = haveNode24
  ? [...execFileSync(node24, [suite, 'list'], { cwd: root, encoding: 'utf8' }).matchAll(/^\s+- (auth\/[\w-]+)/gm)].map((m) => m[1]!)
  : []
const out = mkdtempSync(join(tmpdir(), 'oauthkit-conformance-'))
const results = new Map<string, Check[]>()

async function conformance(args: string[]): Promise<string> {
  const run = await execute(node24, [suite, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 32 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }))
  return run.stdout
}

beforeAll(async () => {
  if (!haveNode24) return
  // The suite exits non-zero when a scenario fails: the checks say which, below.
  for (const group of GROUPS)
    await conformance(['client', '--command', `${node24} ${client}`, '--suite', group, '--timeout', '30000', '-o', out])
  for (const dir of readdirSync(join(out, 'auth'))) {
    const name = `auth/${dir.replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '')}`
    results.set(name, JSON.parse(readFileSync(join(out, 'auth', dir, 'checks.json'), 'utf8')) as Check[])
  }
}, 600_000)

afterAll(() => rmSync(out, { recursive: true, force: true }))

describe.runIf(haveNode24)(`the MCP conformance suite ${pinned}: auth scenarios`, () => {
  it('lists 33 auth scenarios, and every one of them ran', () => {
    expect(listed).toHaveLength(33)
    expect(listed.filter((name) => !results.has(name) && !(name in SKIPPED))).toEqual([])
  })

  for (const name of listed) {
    const test = name in SKIPPED ? it.skip : it
    test(SKIPPED[name] ? `${name} (skipped: ${SKIPPED[name]})` : name, () => {
      const checks = results.get(name)
      expect(checks, `${name} did not run`).toBeDefined()
      const bad = checks!.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')
      expect(bad.map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? c.description ?? ''}`)).toEqual([])
      expect(checks!.some((c) => c.status === 'SUCCESS')).toBe(true)
    })
  }
})
