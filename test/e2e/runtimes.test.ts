/**
 * The runtime smoke (#17 item 4): the published package (packed, as users install it) does the
 * same five steps — discovery, a client_credentials session's authorized fetch, an
 * authorization URL with PKCE and its callback, a refresh, a typed error — in every runtime the
 * README claims: Node 20, 22 and 24, Deno, Bun, workerd and Chromium, against an emulator served
 * on 127.0.0.1 (test/runtimes/smoke.mjs). Node and Deno import the package from node_modules,
 * workerd and Chromium get it bundled the way their tools bundle it (the `workerd`/`worker`/
 * `browser` and `browser` conditions). Deno may reach 127.0.0.1 only.
 *
 * The runtimes other than this Node and Chromium come from npm (test/runtimes/package.json),
 * installed by `.ci/run` (`npm ci --prefix test/runtimes`), not by `npm install`: about 700 MB.
 * Without them a local run skips them with one line; under CI (CI=true) that is a failure.
 * SMOKE_REPORT=1 prints the table.
 */
import { execFile } from 'node:child_process'
import { cpSync, existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEmulator } from '../../src/entries/testing.js'
import { CHROMIUM, haveChromium, launch } from '../browser/support.js'
import { serveEmulator, type EmulatorServer } from '../support/emulator-server.js'
import { packInto, root } from '../support/packed.js'

const execute = promisify(execFile)
const scratch = join(root, '.tmp', 'runtime-smoke')
const installed = (path: string) => join(root, 'test', 'runtimes', 'node_modules', path)
const STEPS = [
  'discovery',
  'client_credentials session, authorized fetch',
  'authorization URL with PKCE, callback',
  'refresh',
  'typed error',
]

interface Step {
  name: string
  ok: boolean
  detail: string
}

/** Runs a smoke launcher in the scratch project; its stdout holds one `SMOKE <json>` line. */
async function launcher(binary: string, args: string[]): Promise<Step[]> {
  const { stdout } = await execute(binary, args, {
    cwd: scratch,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1' },
  })
  const line = stdout.split('\n').find((l) => l.startsWith('SMOKE '))
  if (!line) throw new Error(`no SMOKE line in the output:\n${stdout}`)
  return JSON.parse(line.slice(6)) as Step[]
}

let server: EmulatorServer

/**
 * Bun's binary: the platform package's (.ci/run installs without install scripts), or the one
 * bun's install script moved into bun/bin/bun.exe, which is otherwise a small placeholder.
 */
function bunBinary(): string {
  const installedByScript = installed('bun/bin/bun.exe')
  return existsSync(installedByScript) && statSync(installedByScript).size > 1_000_000
    ? installedByScript
    : installed('@oven/bun-linux-x64/bin/bun')
}

const RUNTIMES: Array<{ name: string; binary: string; run(): Promise<Step[]> }> = [
  { name: `Node ${process.versions.node}`, binary: process.execPath, run: () => launcher(process.execPath, ['run.mjs', server.base]) },
  ...(['node22', 'node24'] as const).map((dir) => ({
    name: `Node ${dir.slice(4)}`,
    binary: installed(`${dir}/bin/node`),
    run: () => launcher(installed(`${dir}/bin/node`), ['run.mjs', server.base]),
  })),
  {
    name: 'Deno',
    binary: installed('.bin/deno'),
    run: () =>
      launcher(installed('.bin/deno'), [
        'run',
        '--no-lock',
        '--no-prompt',
        '--allow-net=127.0.0.1',
        '--allow-read',
        '--allow-env',
        'run.mjs',
        server.base,
      ]),
  },
  { name: 'Bun', binary: bunBinary(), run: () => launcher(bunBinary(), ['run.mjs', server.base]) },
  {
    name: 'workerd',
    binary: installed('.bin/workerd'),
    run: () => (writeWorkerdConfig(), launcher(installed('.bin/workerd'), ['test', 'smoke.capnp'])),
  },
  { name: 'Chromium', binary: CHROMIUM, run: inChromium },
]

const missing = RUNTIMES.filter((r) => !existsSync(r.binary))
if (missing.length) {
  const why = `runtime smoke: ${missing.map((r) => r.name).join(', ')} not installed (npm ci --prefix test/runtimes${haveChromium ? '' : '; chromium: apt-get install chromium'})`
  if (process.env.CI === 'true') throw new Error(`${why}; CI must have them (.ci/run installs them)`)
  // eslint-disable-next-line no-console -- the one line that says why some runtimes did not run
  console.warn(`skipped: ${why}`)
}

function writeWorkerdConfig() {
  // A minimal config: the bundled worker, its base URL, and outbound to loopback allowed.
  writeFileSync(
    join(scratch, 'smoke.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "smoke", worker = .smoke),
    (name = "loopback", network = (allow = ["public", "private", "local"])),
  ],
);
const smoke :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "worker.bundle.js")],
  compatibilityDate = "2025-09-01",
  bindings = [(name = "BASE", text = "${server.base}")],
  globalOutbound = "loopback",
);
`,
  )
}

async function inChromium(): Promise<Step[]> {
  const browser = await launch()
  try {
    const page = await (await browser.newContext()).newPage()
    await page.goto(`${server.base}/smoke.html`)
    return (await page.evaluate(() => (globalThis as unknown as { smokeResult: Promise<Step[]> }).smokeResult)) as Step[]
  } finally {
    await browser.close()
  }
}

/** Bundles a launcher from the scratch project, resolving `oauthkit` with a platform's conditions. */
async function bundle(entry: string, conditions: string[]): Promise<string> {
  const out = await build({
    entryPoints: [join(scratch, entry)],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions,
    write: false,
    logLevel: 'warning',
  })
  return out.outputFiles[0]!.text
}

const table: string[] = []

beforeAll(async () => {
  packInto(scratch)
  for (const file of ['smoke.mjs', 'run.mjs', 'worker.mjs', 'page.mjs']) cpSync(join(root, 'test', 'runtimes', file), join(scratch, file))
  // As wrangler bundles for workerd; as a web bundler bundles for a page.
  writeFileSync(join(scratch, 'worker.bundle.js'), await bundle('worker.mjs', ['workerd', 'worker', 'browser']))
  const page = await bundle('page.mjs', ['browser'])
  server = await serveEmulator(
    (base) =>
      createEmulator({
        issuer: base,
        clients: [
          { clientId: 'smoke-service', clientSecret: 'smoke-service-secret' },
          { clientId: 'smoke-app', redirectUris: [`${base}/callback`] },
        ],
        users: { ann: 'pw' },
        api: `${base}/api`,
      }),
    {
      '/callback': { type: 'text/plain', body: 'signed in' },
      '/smoke.html': {
        type: 'text/html',
        body: '<!doctype html><link rel="icon" href="data:,"><script type="module" src="/smoke.js"></script>',
      },
      '/smoke.js': { type: 'text/javascript', body: page },
    },
  )
}, 120_000)

afterAll(async () => {
  await server?.stop()
  if (process.env.SMOKE_REPORT) {
    // eslint-disable-next-line no-console -- asked for
    console.log(['| runtime | ' + STEPS.join(' | ') + ' |', `|${' --- |'.repeat(STEPS.length + 1)}`, ...table].join('\n'))
  }
})

describe('the runtime smoke', () => {
  for (const runtime of RUNTIMES) {
    it.runIf(existsSync(runtime.binary))(
      `${runtime.name}: ${STEPS.join(', ')}`,
      async () => {
        const steps = await runtime.run()
        table.push(`| ${runtime.name} | ${steps.map((s) => (s.ok ? '✔' : `✘ ${s.detail}`)).join(' | ')} |`)
        expect(steps.map((s) => s.name)).toEqual(STEPS)
        expect(steps.filter((s) => !s.ok)).toEqual([])
      },
      90_000,
    )
  }
})
