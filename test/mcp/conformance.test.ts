/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, the version pinned in
 * package.json): every `auth/*` client scenario it lists, run against test/mcp/conformance/client.ts
 * — the client docs/mcp.md teaches, built from dist/ as users get it — with nothing per scenario
 * but the values the suite hands out (MCP_CONFORMANCE_CONTEXT). The suite's mock servers and the
 * client talk over loopback (`localhost`; the servers name no host to listen on and read their
 * port back at once, which a listen on 127.0.0.1 would not allow). Its CLI needs Node ≥ 22, so
 * it runs on the Node 24 of the runtime smoke (test/runtimes, installed by .ci/run). Without it a local run skips with one line;
 * under CI (CI=true) that is a failure.
 *
 * Each scenario runs on the suite's default servers (2025-11-25: `initialize`, then requests),
 * and those of 2026-07-28 run once more on its stateless servers (`--spec-version 2026-07-28`),
 * where the v2 client's version negotiation must never send `initialize`.
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

/** The revision whose servers are stateless (no `initialize`): the v2 client's version negotiation meets them. */
const STATELESS = '2026-07-28'

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

/** The pinned suite's auth scenarios, as it lists them, and those of the 2026-07-28 revision (its servers stateless). */
const list = (...args: string[]) =>
  haveNode24
    ? [...execFileSync(node24, [suite, 'list', ...args], { cwd: root, encoding: 'utf8' }).matchAll(/^\s+- (auth\/[\w-]+)/gm)].map(
        (m) => m[1]!,
      )
    : []
const listed = list()
const stateless = list('--spec-version', STATELESS)
const out = mkdtempSync(join(tmpdir(), 'oauthkit-conformance-'))
/** The checks of each scenario, by era: the suite's default revision (2025-11-25, stateful) and 2026-07-28 (stateless). */
const results = { default: new Map<string, Check[]>(), [STATELESS]: new Map<string, Check[]>() }

async function conformance(args: string[]): Promise<void> {
  // The suite exits non-zero when a scenario fails: the checks say which, below.
  await execute(node24, [suite, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 32 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  }).catch(() => undefined)
}

/** Runs the groups of one era, one after the other, and reads each auth scenario's checks. */
async function era(name: keyof typeof results, groups: string[], extra: string[]): Promise<void> {
  const dir = join(out, name)
  for (const group of groups) await conformance(['client', '--command', `${node24} ${client}`, '--suite', group, ...extra, '-o', dir])
  for (const run of readdirSync(join(dir, 'auth'))) {
    const scenario = `auth/${run.replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '')}`
    results[name].set(scenario, JSON.parse(readFileSync(join(dir, 'auth', run, 'checks.json'), 'utf8')) as Check[])
  }
}

beforeAll(async () => {
  // The 2026-07-28 scenarios are all in two of the groups (the others are older revisions' and extensions').
  if (haveNode24) await Promise.all([era('default', GROUPS, []), era(STATELESS, ['auth', 'draft'], ['--spec-version', STATELESS])])
}, 600_000)

afterAll(() => rmSync(out, { recursive: true, force: true }))

/** What a scenario's checks must say: no failure, no warning, and something done. */
function passes(checks: Check[] | undefined, name: string): void {
  expect(checks, `${name} did not run`).toBeDefined()
  const bad = checks!.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')
  expect(bad.map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? c.description ?? ''}`)).toEqual([])
  expect(checks!.some((c) => c.status === 'SUCCESS')).toBe(true)
}

describe.runIf(haveNode24)(`the MCP conformance suite ${pinned}: auth scenarios`, () => {
  it('lists 33 auth scenarios, and every one of them ran', () => {
    expect(listed).toHaveLength(33)
    expect(listed.filter((name) => !results.default.has(name) && !(name in SKIPPED))).toEqual([])
  })

  for (const name of listed) {
    const test = name in SKIPPED ? it.skip : it
    test(SKIPPED[name] ? `${name} (skipped: ${SKIPPED[name]})` : name, () => passes(results.default.get(name), name))
  }
})

describe.runIf(haveNode24)(`the MCP conformance suite ${pinned}: auth scenarios on ${STATELESS} servers (stateless: no initialize)`, () => {
  it(`lists ${stateless.length} of them for ${STATELESS}; each ran, and no client sent initialize`, () => {
    expect(stateless).toHaveLength(25)
    for (const name of stateless) {
      expect(results[STATELESS].has(name), `${name} did not run`).toBe(true)
      const requests = (results[STATELESS].get(name) ?? []).map((c) => c.description ?? '')
      expect(
        requests.filter((r) => /method: initialize/.test(r)),
        name,
      ).toEqual([])
    }
  })

  for (const name of stateless) {
    const test = name in SKIPPED ? it.skip : it
    test(`${name} (${STATELESS})`, () => passes(results[STATELESS].get(name), name))
  }
})
