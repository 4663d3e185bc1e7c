/**
 * The built package, tested as users get it: `npm pack`, unpacked into a scratch project,
 * imported as ESM and required as CJS, then publint and are-the-types-wrong on the tarball.
 * `npm test` builds before vitest runs, so dist/ is fresh.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { beforeAll, describe, expect, it } from 'vitest'
import { packInto, root, run } from './support/packed.js'

const scratch = join(root, '.tmp', 'package-test')
let tarball = ''
let unpackedSize = 0

beforeAll(() => {
  ;({ tarball, unpackedSize } = packInto(scratch))
}, 120_000)

/** One name from each entry, as a consumer would import them (oauthkit/testing where it compiles). */
const CONSUMER_IMPORTS = [
  "import { createOAuthClient, isOAuthKitError, ConfigError, type TokenSet } from 'oauthkit'",
  "import { createClientCredentialsSession } from 'oauthkit/m2m'",
  "import { createAuthorizedKy } from 'oauthkit/ky'",
  "import { fileStore } from 'oauthkit/node'",
  "import { redisStore } from 'oauthkit/redis'",
  "import { epturaPreset, defineDialect } from 'oauthkit/dialects'",
  "import { createBrowserClient } from 'oauthkit/browser'",
  "import { createMcpAuth } from 'oauthkit/mcp'",
]
const CONSUMER_USES = [
  'createOAuthClient',
  'isOAuthKitError',
  'createClientCredentialsSession',
  'createAuthorizedKy',
  'fileStore',
  'redisStore',
  'epturaPreset',
  'defineDialect',
  'createBrowserClient',
  'createMcpAuth',
  'tokens',
  'error',
]

/** Writes a TypeScript consumer project (strict, skipLibCheck false) in `dir` and compiles it: tsc's output, empty when it compiles. */
function compileConsumer(
  dir: string,
  type: 'commonjs' | 'module',
  module: string,
  resolution: string,
  file: string,
  more: { imports?: string[]; uses?: string[] } = {},
): string {
  mkdirSync(dir, { recursive: true })
  symlinkSync(join(scratch, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `${type}-consumer`, private: true, type }))
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module,
        moduleResolution: resolution,
        target: 'es2022',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        lib: ['es2022', 'dom'],
        types: ['node'],
      },
      files: [file],
    }),
  )
  const code = [
    ...CONSUMER_IMPORTS,
    ...(more.imports ?? []),
    'const tokens: TokenSet | undefined = undefined',
    "const error: ConfigError = new ConfigError('invalid_config', 'x')",
    `void [${[...CONSUMER_USES, ...(more.uses ?? [])].join(', ')}]`,
  ]
  writeFileSync(join(dir, file), code.join('\n'))
  return run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(dir, 'tsconfig.json')])
}

describe('the packed tarball', () => {
  it('contains dist and the README, not the sources or tests', () => {
    const files = run('tar', ['-tzf', tarball]).split('\n').filter(Boolean)
    expect(files).toContain('package/dist/index.js')
    expect(files).toContain('package/dist/index.cjs')
    expect(files).toContain('package/dist/index.d.ts')
    expect(files).toContain('package/dist/index.d.cts')
    expect(files).toContain('package/README.md')
    expect(files).toContain('package/LICENSE')
    expect(files.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false)
    // No source maps: they embedded every source and were two thirds of the package.
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([])
  })

  it('stays under 925 KB unpacked', () => {
    // Measured 921 KB (911 before #24 item 9's structure: oauthkit's own ID token checks in the
    // JWT chunk, the token-answer reader's checks and challenges, the browser client's sign-in
    // chunk and the callback's errors beside the callback — in the three builds, with their
    // declarations — while oauth4webapi's token processors left the CJS build; 891 before #28's CIBA — the backchannel request, poll and ping, the
    // ping's validation, the session grant — in the three builds, with its documented
    // declarations; 876 before #27's CLI options — endpoints by hand, a dialect file, the
    // trusted-network flag, profile checks — and #28's declared discovery deviation with the
    // Atlassian preset, the MCP client's device grant and RFC 9396's authorization_details, in
    // the three builds, with their documented declarations; the README lost its benchmark
    // tables to docs/performance.md, which is not shipped; 866 before #27's dialect check — every field, the allowed values, a
    // misspelt key's likely meaning — and #26's leftovers in the three builds, the README's
    // Performance run; 854 before #26's back-channel logout (validateLogoutToken, its
    // declarations and examples), the DPoP-only challenge's error, the device poll's back-off,
    // the README's longer OpenID Connect row; 842 before #26's ID token signature check — its chunk (the JWS
    // algorithms, the key set held per URL, the refetch's rate limit) in each of the three
    // builds, the claims module, the logout token's error code, documentation; 835 before #26's form_post — its reader a chunk in each build — the
    // logout state and its return check, and their documented declarations; 830 before #26's first defaults: the userinfo subject check and its
    // opt-out, the refreshed ID token kept, every ID-token fault one code, their documentation;
    // 820 before #25's storage with compare-and-swap: the swap of each
    // key-value store, fileKeyValueStore, the MCP client's one registration for every process
    // and its re-registration, in the three builds, with their documented declarations; 790 before #25: oauthkit/mcp's grants without a user — client
    // credentials, workload identity, enterprise-managed authorization — and its DPoP, about
    // 6 KB in each of its three builds, and their documented declarations, which now split the
    // token-exchange and DPoP types into chunks of their own; 782 before the authorized fetch's answer to a 401, a 403 or a redirect
    // became a chunk of its own in each build, with what it is handed; 770 before #24 item 9: the error translation a chunk of its own in each
    // build, loaded on the first failure, its door and fallback, and the lean token reader beside
    // oauth4webapi's; 766 before #24's one resolution of a client, one session for every use
    // case and the KeyValueStore family: their code in the three builds and their documented
    // declarations; 739 before #23: the URL rule, the MCP address policy, redaction in every
    // encoding and the file checks in the three builds, the CLI's opener and terminal, their
    // documented declarations; 736 before the Node ESM build's shared code became one module, dist/core.js,
    // for a faster import: docs/architecture.md). oauthkit/mcp (#16) added 57 KB (its 15 KB module in each of the three
    // builds, its documented declarations). 679 KB before: DPoP (#16) added 22 KB (its module in the three builds, the hooks, the
    // browser's IndexedDB key, the documented declarations). 657 KB before: pushed authorization requests (#16) added 6 KB, their chunk in each build
    // and their documentation. 651 KB before: #16's token exchange, JWT bearer and refresh-token lifetime added 24 KB
    // (their code in the three builds, their documented declarations). 627 KB before: 572 KB
    // for the library, plus the `oauthkit` CLI (#17 item 6, 32 KB:
    // its own code and the QR encoder uqr, fully minified, bundled in; the library it shares
    // with the ESM entries' chunks). The library alone was 617 KB before the ESM entries'
    // declarations became re-exports of the CJS ones, 601 before the CJS build's inlined
    // oauth4webapi and ky were fully minified: no source maps, the CJS build in shared chunks
    // (it inlines the ESM-only oauth4webapi and ky once, not once per entry), every build with
    // whitespace and syntax minified (names kept), oauthkit/testing's ESM build serving
    // browsers too, one set of declarations (a summary and an example for each export) for
    // both formats.
    expect(unpackedSize).toBeLessThan(925_000)
  })

  it('ships the CLI as its bin, runnable from the unpacked package', () => {
    const manifest = JSON.parse(readFileSync(join(scratch, 'node_modules', 'oauthkit', 'package.json'), 'utf8')) as {
      bin: Record<string, string>
    }
    expect(manifest.bin).toEqual({ oauthkit: './dist/cli.js' })
    const cli = join(scratch, 'node_modules', 'oauthkit', 'dist', 'cli.js')
    expect(readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
    expect(run(process.execPath, [cli, '--help'], scratch)).toContain('Usage: oauthkit <command>')
  })

  it('names its licence, repository, homepage and issue tracker', () => {
    const manifest = JSON.parse(readFileSync(join(scratch, 'node_modules', 'oauthkit', 'package.json'), 'utf8')) as Record<string, unknown>
    expect(manifest.license).toBe('MIT')
    expect(manifest.repository).toMatchObject({ type: 'git' })
    expect(typeof manifest.homepage).toBe('string')
    expect(manifest.bugs).toMatchObject({ url: expect.any(String) })
  })

  it('imports as ESM', () => {
    const out = run(
      'node',
      [
        '--input-type=module',
        '-e',
        "const m = await import('oauthkit'); console.log(typeof m.createOAuthClient, typeof m.discover, new m.ConfigError('invalid_config', 'x').recovery)",
      ],
      scratch,
    )
    expect(out.trim()).toBe('function function fix-config')
  })

  it('requires as CJS, without require(esm)', () => {
    const out = run(
      'node',
      [
        '--no-experimental-require-module',
        '-e',
        "const m = require('oauthkit'); console.log(typeof m.createOAuthClient, typeof m.clientCredentialsGrant, m.isOAuthKitError(new m.NetworkError('timeout', 'x')))",
      ],
      scratch,
    )
    expect(out.trim()).toBe('function function true')
  })

  it("the ESM main entry is two files (Node's loader pays per file): re-exports, and the one shared module every entry uses, so no class exists twice", () => {
    const index = readFileSync(join(scratch, 'node_modules', 'oauthkit', 'dist', 'index.js'), 'utf8')
    expect([...index.matchAll(/from\s*['"](\.[^'"]+)['"]/g)].map((m) => m[1])).toEqual(['./core.js'])
    expect(readFileSync(join(scratch, 'node_modules', 'oauthkit', 'dist', 'core.js'), 'utf8')).not.toMatch(/from\s*['"]\.\//)
    const same = run(
      'node',
      [
        '--input-type=module',
        '-e',
        "const { OAuthKitError } = await import('oauthkit'); const n = await import('oauthkit/node'); const p = await import('oauthkit/mcp'); const b = await import('oauthkit/browser'); const caught = (f) => { try { f() } catch (e) { return e instanceof OAuthKitError } }; console.log(caught(() => n.fileStore('')), caught(() => p.createMcpAuth({})), caught(() => b.createBrowserClient({})))",
      ],
      scratch,
    )
    expect(same.trim()).toBe('true true true')
  })

  it('the subpath entries import as ESM and require as CJS', () => {
    const esm = run(
      'node',
      [
        '--input-type=module',
        '-e',
        "const k = await import('oauthkit/ky'); const n = await import('oauthkit/node'); const d = await import('oauthkit/dialects'); const b = await import('oauthkit/browser'); const m = await import('oauthkit/m2m'); const r = await import('oauthkit/redis'); const p = await import('oauthkit/mcp'); console.log(typeof k.createAuthorizedKy, typeof n.fileStore, typeof d.epturaPreset, typeof b.createBrowserClient, typeof m.createClientCredentialsSession, typeof r.redisStore, typeof p.createMcpAuth)",
      ],
      scratch,
    )
    expect(esm.trim()).toBe('function function function function function function function')
    const cjs = run(
      'node',
      [
        '--no-experimental-require-module',
        '-e',
        "const k = require('oauthkit/ky'); const n = require('oauthkit/node'); const d = require('oauthkit/dialects'); const m = require('oauthkit/m2m'); const r = require('oauthkit/redis'); const p = require('oauthkit/mcp'); console.log(typeof k.createAuthorizedKy, typeof n.fileStore, typeof d.organizationApiPreset, typeof m.createClientCredentialsSession, typeof r.redisLock, typeof p.createMcpAuth)",
      ],
      scratch,
    )
    expect(cjs.trim()).toBe('function function function function function function')
  })

  it('oauthkit/testing imports with msw installed (an optional peer)', () => {
    symlinkSync(join(root, 'node_modules', 'msw'), join(scratch, 'node_modules', 'msw'))
    const out = run(
      'node',
      [
        '--input-type=module',
        '-e',
        "const t = await import('oauthkit/testing'); console.log(typeof t.createEmulator, typeof t.epturaServer)",
      ],
      scratch,
    )
    expect(out.trim()).toBe('function function')
  })

  it('the main entry never imports ky (it stays behind oauthkit/ky)', () => {
    const dist = join(scratch, 'node_modules', 'oauthkit', 'dist')
    const seen = new Set<string>()
    const bare = new Set<string>()
    const visit = (file: string) => {
      if (seen.has(file)) return
      seen.add(file)
      const text = readFileSync(join(dist, file), 'utf8')
      for (const m of text.matchAll(/(?:^|[;\n])\s*(?:import|export)\b[^'"]*?['"]([^'"]+)['"]/g)) {
        const spec = m[1]!
        if (spec.startsWith('./')) visit(spec.slice(2))
        else bare.add(spec)
      }
    }
    visit('index.js')
    expect([...bare].sort()).toEqual(['oauth4webapi'])
    expect(readFileSync(join(dist, 'ky.js'), 'utf8')).toMatch(/from ['"]ky['"]/)
  })

  it('bundlers get the browser build through the `browser` condition, without the Node-only redirect follower', async () => {
    const bundle = async (platform: 'browser' | 'node') => {
      const out = await build({
        stdin: { contents: "export { createAuthorizedFetch } from 'oauthkit'", resolveDir: scratch },
        bundle: true,
        platform,
        format: 'esm',
        write: false,
        logLevel: 'silent',
        metafile: true,
      })
      return { text: out.outputFiles[0]!.text, inputs: Object.keys(out.metafile.inputs) }
    }
    const browser = await bundle('browser')
    const node = await bundle('node')
    expect(browser.inputs.some((f) => f.includes('oauthkit/dist/browser/'))).toBe(true)
    expect(node.inputs.some((f) => f.includes('oauthkit/dist/browser/'))).toBe(false)
    // The follower strips these headers on a cross-origin hop; nothing else mentions them.
    expect(node.text).toContain('proxy-authorization')
    expect(browser.text).not.toContain('proxy-authorization')
  })

  it('`npm pack` from a tree without dist/ builds first (prepack), and ships only the build', () => {
    // The build from a clean tree is what `.ci/run` runs on a fresh clone (npm test builds
    // first); here, that packing runs it, and that the package is the build and nothing else.
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; files: string[] }
    expect(pkg.scripts.prepack).toMatch(/^npm run build\b/)
    expect(pkg.scripts.build).toMatch(/\btsup\b/)
    expect(pkg.files).toEqual(expect.arrayContaining(['dist']))
    expect(pkg.files.filter((f) => !/^(dist|README\.md|LICENSE|CHANGELOG\.md)/.test(f))).toEqual([])
  })

  it('no type declaration mentions oauth4webapi (its objects and types stay private)', () => {
    const dist = join(scratch, 'node_modules', 'oauthkit', 'dist')
    const declarations = readdirSync(dist).filter((f) => /\.d\.c?ts$/.test(f))
    expect(declarations.length).toBeGreaterThan(10)
    expect(declarations.filter((f) => readFileSync(join(dist, f), 'utf8').includes('oauth4webapi'))).toEqual([])
  })

  it('a CommonJS TypeScript consumer (module node16, skipLibCheck false) compiles against every entry', () => {
    // oauthkit/testing is left out: msw's own declarations fail this configuration (TS1479 on its ESM-only dependency rettime).
    if (!existsSync(join(scratch, 'node_modules', '@types')))
      symlinkSync(join(root, 'node_modules', '@types'), join(scratch, 'node_modules', '@types'))
    expect(compileConsumer(join(scratch, 'cjs-consumer'), 'commonjs', 'node16', 'node16', 'index.cts')).toBe('')
  }, 60_000)

  it('an ES module TypeScript consumer (node16 and bundler resolution, skipLibCheck false) compiles against every entry, with the CommonJS types', () => {
    if (!existsSync(join(scratch, 'node_modules', 'msw')))
      symlinkSync(join(root, 'node_modules', 'msw'), join(scratch, 'node_modules', 'msw'))
    if (!existsSync(join(scratch, 'node_modules', '@types')))
      symlinkSync(join(root, 'node_modules', '@types'), join(scratch, 'node_modules', '@types'))
    for (const resolution of ['node16', 'bundler'] as const) {
      const consumer = join(scratch, `esm-consumer-${resolution}`)
      const module = resolution === 'bundler' ? 'preserve' : 'node16'
      // oauthkit/testing too: its ESM declarations are its own (see tsup.config.ts).
      const testing = { imports: ["import { createEmulator } from 'oauthkit/testing'"], uses: ['createEmulator'] }
      expect(compileConsumer(consumer, 'module', module, resolution, 'index.ts', testing), resolution).toBe('')
    }
  }, 60_000)

  it('publint reports nothing', () => {
    const out = run(join(root, 'node_modules', '.bin', 'publint'), ['run', '--strict', join(scratch, 'node_modules', 'oauthkit')])
    expect(out).toContain('All good!')
  })

  it('are-the-types-wrong reports nothing', () => {
    const out = run(join(root, 'node_modules', '.bin', 'attw'), [tarball, '--format', 'ascii'])
    expect(out).toMatch(/No problems found/)
  }, 60_000)
})
