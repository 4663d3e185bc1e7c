/**
 * Every example runs, unchanged and offline, with the one command the README gives:
 * `npm run example <name>` (scripts/example.ts), against the local authorization server and API
 * or the vendor's emulator. A new file in examples/ that the runner does not know fails here.
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..', '..')

function npmRunExample(args: string[], onLine?: (line: string, stop: () => void) => void) {
  const child = spawn('npm', ['run', '-s', 'example', '--', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let out = ''
  const stop = () => process.kill(-child.pid!, 'SIGINT')
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk
    for (const line of chunk.toString().split('\n')) if (line) onLine?.(line, stop)
  })
  child.stderr.on('data', (chunk: Buffer) => (out += chunk))
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((done) =>
    child.on('close', (code, signal) => done({ code, signal, out })),
  )
}

/** What each example prints when it worked. */
const EXPECTED: Record<string, RegExp> = {
  'client-credentials': /GET http:\/\/127\.0\.0\.1:\d+\/things → 200/,
  'm2m-session': /20 of 20 calls succeeded/,
  'session-fetch': /50 of 50 calls succeeded/,
  'session-ky': /called the API as confidential-app with scope api:read/,
  'device-flow': /approving as the example user\)\nsigned in; access token expires/,
  'cli-file-store': /approving as the example user\)\nGET \/me → 200/,
  'token-exchange': /token exchange: called the API as ada with scope openid\nJWT bearer: called the API as grace/,
  'dialect-from-scratch': /token for 3600 s[^\n]*\nrefreshed: a new access token/,
  'vendor-bipsync': /^200$/m,
  'vendor-epiship': /pat-1 CI deploys\npat-2 billing export/,
  'vendor-eptura': /signed in as ann/,
  'vendor-organization-api': /^200$/m,
  'vendor-epismo-mcp': /signing in as the example user\)\nPOST tools\/list → 200/,
  // Signed in at the 401, then stepped up at the 403 of the write tool.
  'mcp-client':
    /tools: whoami, write\nwhoami → [^\n]*"scopes":\["mcp:read"\][\s\S]*for mcp:read offline_access mcp:write\n[^\n]*signing in as the example user\)\nwrite → written/,
}

describe('npm run example <name>', () => {
  const files = readdirSync(resolve(root, 'examples'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))

  it('knows every example in examples/ (and lists them)', async () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(files.sort())
    const { code, out } = await npmRunExample([])
    expect(code).toBe(0)
    for (const name of [...files, 'spa'])
      expect(out).toMatch(new RegExp(`^  ${name} +\\S.{20,}  \\[(local servers|vendor emulator|MCP server|browser)\\]$`, 'm'))
    expect(out).not.toContain('does not know')
    // The list loads no server, emulator or example: only Node's own modules, until a name is run.
    const lister = readFileSync(resolve(root, 'scripts', 'example.ts'), 'utf8')
    expect([...lister.matchAll(/^import .* from '([^']+)'/gm)].map((m) => m[1]!).filter((m) => !m.startsWith('node:'))).toEqual([])
  })

  for (const name of files) {
    it(`${name} runs offline`, async () => {
      const { code, out } = await npmRunExample([name])
      expect(out).toMatch(EXPECTED[name]!)
      expect(code).toBe(0)
    })
  }

  it('vendor-bipsync -- --device runs the device flow on the emulator', async () => {
    const { code, out } = await npmRunExample(['vendor-bipsync', '--device'])
    expect(out).toMatch(
      /Open https:\/\/acme-api\.bipsync\.com\/activate\?user_code=\S+ and enter \S+\n {2}\(npm run example: approving as the example user\)\n200/,
    )
    expect(code).toBe(0)
  })

  it('spa serves the app until stopped', async () => {
    let page: Promise<string> | undefined
    const { code, signal, out } = await npmRunExample(['spa'], (line, stop) => {
      const url = /^SPA on (\S+)/.exec(line)?.[1]
      if (url)
        page = fetch(url)
          .then((res) => res.text())
          .finally(stop)
    })
    expect(out).toMatch(/^SPA on http:\/\/127\.0\.0\.1:\d+/)
    expect(await page).toContain('app.js')
    // Ctrl-C reaches npm too, which then ends by the signal rather than with the runner's 0.
    expect(code === 0 || signal === 'SIGINT').toBe(true)
  })

  it('an unknown name says so, lists the examples and exits 2', async () => {
    const { code, out } = await npmRunExample(['no-such-example'])
    expect(out).toContain('no example named "no-such-example"')
    expect(out).toContain('  session-fetch ')
    expect(code).toBe(2)
  })
})
