/**
 * A newcomer follows the README (#27 item 1): the packed package installed in a scratch
 * project (as `npm install oauthkit` would put it there, with ky and msw beside it as the
 * install table says), then each quick start copied out of README.md unchanged — compiled by
 * TypeScript (strict) and run against the sandbox's servers (machine to machine, the full client
 * with ky, the command line) or, for the vendor preset, against the vendor's emulator from
 * `oauthkit/testing`, as the README says. The names the README leaves to the reader (`issuer`,
 * `clientId`, `clientSecret`, `api`, `server`) are filled in from the sandbox's variables.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONFIDENTIAL, startLocalServers, type LocalServers } from '../support/authorization-server.js'
import { packInto, root } from '../support/packed.js'

const exec = promisify(execFile)
const scratch = join(root, '.tmp', 'newcomer')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
let servers: LocalServers
let sandboxEnv: Record<string, string>

/** The first fenced block of `lang` under the README heading `heading`. */
function quickStart(heading: string, lang: 'ts' | 'sh'): string {
  const at = readme.indexOf(`\n### ${heading}\n`)
  if (at < 0) throw new Error(`README.md has no "### ${heading}"`)
  const block = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(readme.slice(at))
  if (!block) throw new Error(`no \`\`\`${lang} block under "### ${heading}"`)
  return block[1]!
}

/** What the README leaves to the reader, from the variables the sandbox prints. */
const FILL_IN: Record<string, string> = {
  issuer: 'OAUTH_ISSUER',
  clientId: 'OAUTH_CLIENT_ID',
  clientSecret: 'OAUTH_CLIENT_SECRET',
  api: 'API_URL',
  server: 'ORG_SERVER',
}
const filledIn = (code: string) =>
  Object.entries(FILL_IN)
    .filter(([name]) => new RegExp(`\\b${name}\\b`).test(code))
    .map(([name, variable]) => `const ${name} = process.env.${variable}!\n`)
    .join('') + code

const TS_STARTS = {
  m2m: 'Machine to machine',
  ky: 'The full client, with ky',
  spa: 'A single-page app (authorization code + PKCE)',
  vendor: 'A vendor with quirks',
}

beforeAll(async () => {
  packInto(scratch)
  // What the install table adds for these entries, and the types a TypeScript project has.
  for (const dep of ['msw', '@types']) symlinkSync(join(root, 'node_modules', dep), join(scratch, 'node_modules', dep))
  mkdirSync(join(scratch, 'node_modules', '.bin'))
  symlinkSync('../oauthkit/dist/cli.js', join(scratch, 'node_modules', '.bin', 'oauthkit'))
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'newcomer', private: true, type: 'module' }))
  writeFileSync(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        target: 'es2022',
        strict: true,
        skipLibCheck: false,
        outDir: 'out',
        lib: ['es2022', 'dom'],
        types: ['node'],
      },
      files: Object.keys(TS_STARTS).map((name) => `${name}.ts`),
    }),
  )
  for (const [name, heading] of Object.entries(TS_STARTS)) writeFileSync(join(scratch, `${name}.ts`), filledIn(quickStart(heading, 'ts')))
  // The vendor quick start runs against the vendor's emulator, in-process, as `npm run example` does.
  writeFileSync(
    join(scratch, 'emulate-organization-api.mjs'),
    `import { setupServer } from 'msw/node'
import { organizationApiServer } from 'oauthkit/testing'
const { ORG_SERVER, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET } = process.env
setupServer(...organizationApiServer({ server: ORG_SERVER, clients: [{ clientId: OAUTH_CLIENT_ID, clientSecret: OAUTH_CLIENT_SECRET }] }).handlers).listen({ onUnhandledRequest: 'error' })
`,
  )
  servers = await startLocalServers()
  sandboxEnv = {
    OAUTH_ISSUER: servers.issuer,
    OAUTH_CLIENT_ID: CONFIDENTIAL.clientId,
    OAUTH_CLIENT_SECRET: CONFIDENTIAL.clientSecret,
    API_URL: servers.api,
  }
}, 120_000)
afterAll(async () => servers?.stop())

/** Runs a program in the scratch project; its output, or the failure with both streams. */
async function inScratch(file: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout, stderr } = await exec(file, args, {
      cwd: scratch,
      env: {
        PATH: `${join(scratch, 'node_modules', '.bin')}:${process.env.PATH}`,
        HOME: scratch,
        OAUTHKIT_CACHE_DIR: join(scratch, 'cache'),
        npm_config_offline: 'true',
        npm_config_update_notifier: 'false',
        ...sandboxEnv,
        ...env,
      },
    })
    return stdout + stderr
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string }
    throw new Error(`${file} ${args.join(' ')} failed:\n${stdout}${stderr}`, { cause: err })
  }
}

describe('a newcomer follows the README', () => {
  it('every TypeScript quick start compiles, strict, against the installed package (the SPA one too)', async () => {
    expect(await inScratch(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'])).toBe('')
  }, 60_000)

  it('machine to machine: a token and an API call on the sandbox', async () => {
    expect(await inScratch(process.execPath, ['out/m2m.js'])).toMatch(/^200 \{[\s\S]*client: 'confidential-app'[\s\S]*scope: 'api:read'/)
  })

  it('the full client with ky: the same call through ky', async () => {
    expect(await inScratch(process.execPath, ['out/ky.js'])).toMatch(/client: 'confidential-app'/)
  })

  it("a vendor preset: the Organization API's client_credentials and API call, on its emulator", async () => {
    const env = { ORG_SERVER: 'org.example.com', OAUTH_CLIENT_ID: 'example-app', OAUTH_CLIENT_SECRET: 'example-secret' }
    expect(await inScratch(process.execPath, ['--import', './emulate-organization-api.mjs', 'out/vendor.js'], env)).toBe('200\n')
  })

  it('the command line: npx oauthkit token and call, as written, with the variables exported', async () => {
    const lines = quickStart('The command line', 'sh')
      .split('\n')
      .filter((line) => line.startsWith('npx oauthkit '))
    expect(lines).toHaveLength(2)
    const token = await inScratch('sh', ['-c', lines[0]!])
    expect(token).toContain('client_credentials: bearer token')
    const call = await inScratch('sh', ['-c', lines[1]!])
    expect(call).toContain('"client":"confidential-app"')
  }, 30_000)
})
