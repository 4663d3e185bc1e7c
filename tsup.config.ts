import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { relative, resolve, sep } from 'node:path'
import { transform } from 'esbuild'
import { defineConfig } from 'tsup'

// Two builds from one source. The ESM build leaves every dependency external, so bundlers
// dedupe them with the application's copies. The CJS build inlines the ESM-only dependencies
// (oauth4webapi, ky): `require()` of an ES module only works unflagged from Node 20.19, and
// oauthkit promises Node >= 20.
const entry = {
  index: 'src/index.ts',
  m2m: 'src/entries/m2m.ts',
  ky: 'src/entries/ky.ts',
  node: 'src/entries/node.ts',
  dialects: 'src/entries/dialects.ts',
  testing: 'src/entries/testing.ts',
  browser: 'src/entries/browser.ts',
  redis: 'src/entries/redis.ts',
  mcp: 'src/entries/mcp.ts',
}

// tsup's declaration build sets `baseUrl`, which TypeScript 6 deprecates (TS 7 drops the JS
// API tsup needs, which is why the project stays on TypeScript 6).
const dts = { compilerOptions: { ignoreDeprecations: '6.0' } }
const tsconfig = 'tsconfig.build.json'

// No source maps in the package: the output is unminified, readable ES2022 (esbuild keeps the
// names and the comments' places), and maps that embed the sources doubled the tarball.

// `__OAUTHKIT_BROWSER__` marks code only Node needs (the authorized fetch's redirect follower).
// The browser build, picked by bundlers through package.json's `browser` condition, sets it so
// that code drops out; the other builds keep it and decide at run time.
// `oauthkit/testing` has no Node-only code and shares no module with the rest: browsers use its ESM build.
const { node: _nodeOnly, redis: _serverOnly, testing: _sameForBrowsers, ...browserEntry } = entry

// Every build has its whitespace and syntax minified, names kept (stack traces still read):
// the package stays under 600 KB with its three builds (ESM, browser ESM, CJS with oauth4webapi
// and ky inlined) and the declarations. The readable sources are the repository's src/.
const compact = { minifyWhitespace: true, minifySyntax: true }

// The CJS build inlines oauth4webapi and ky (ESM-only); their own names are of no use in a
// stack trace of oauthkit's (their errors are translated), so their copies there are fully
// minified — the package stays under 600 KB. oauthkit's own code keeps its names everywhere.
const minifiedVendors = {
  name: 'minified-vendors',
  setup(build: {
    onLoad(filter: { filter: RegExp }, load: (args: { path: string }) => Promise<{ contents: string; loader: 'js' }>): void
  }) {
    build.onLoad({ filter: /node_modules[\\/](oauth4webapi|ky|uqr)[\\/].*\.m?js$/ }, async ({ path }) => ({
      contents: (await transform(await readFile(path, 'utf8'), { minify: true, format: 'esm', target: 'es2022' })).code,
      loader: 'js',
    }))
  },
}

// The Node ESM build's shared code is one module, dist/core.js (src/entries/core.ts lists it):
// Node's loader pays per file, and the main entry in sixteen chunks took twice as long to import
// as in one file. Every ESM entry is then a file of re-exports from it, and the entries kept
// apart (the browser client, the MCP client, ky, the Node-only and Redis stores, the CLI) import
// from it: an import of a core module becomes an import of './core.js', the one copy, so no
// class or symbol exists twice.
// The emulators of oauthkit/testing share nothing with the rest and stay whole.
const coreModules = new Set(
  [...readFileSync('src/entries/core.ts', 'utf8').matchAll(/^export \* from '\.\.\/(.+)\.js'$/gm)].map((m) => `src/${m[1]}.ts`),
)
const throughCore = {
  name: 'through-core',
  setup(build: {
    onResolve(
      filter: { filter: RegExp },
      resolve: (args: { path: string; importer: string; resolveDir: string }) => { path: string; external: true } | undefined,
    ): void
  }) {
    build.onResolve({ filter: /^\.\.?\// }, ({ path, importer, resolveDir }) => {
      if (!importer || importer.includes(`${sep}src${sep}testing${sep}`)) return undefined
      const target = relative(process.cwd(), resolve(resolveDir, path)).split(sep).join('/').replace(/\.js$/, '.ts')
      return coreModules.has(target) ? { path: './core.js', external: true } : undefined
    })
  },
}

// Quiet: `npm test` and `npm pack` show results, not a file listing (errors still print).
// No `clean` here: `npm run build` empties dist/ before tsup.
const quiet = { silent: true }

// One set of declarations: the CJS build's (`.d.cts`). The ESM entries' `.d.ts` are one-line
// re-exports of them, written by scripts/types.mjs: the same types whether a consumer imports
// or requires, and the package half as heavy in declarations. oauthkit/testing keeps its own
// ESM declarations (its CJS ones reach msw's CommonJS types, which an ESM consumer must not).
const esmDts = { ...dts, entry: { testing: entry.testing } }

export default defineConfig([
  {
    ...quiet,
    // Split only where the code says so: the pushing of authorization requests stays a chunk
    // of its own, loaded by its dynamic import() when a request is pushed.
    entry: { core: 'src/entries/core.ts' },
    format: ['esm'],
    tsconfig,
    ...compact,
    target: 'es2022',
    define: { __OAUTHKIT_BROWSER__: 'false' },
  },
  {
    ...quiet,
    // The CLI (the package's bin) is built with the ESM entries, so it imports the library from
    // dist/core.js instead of carrying a copy; uqr, a dev dependency, is bundled into it.
    entry: { ...entry, cli: 'src/cli/bin.ts' },
    noExternal: ['uqr'],
    esbuildPlugins: [throughCore, minifiedVendors],
    format: ['esm'],
    dts: esmDts,
    tsconfig,
    ...compact,
    target: 'es2022',
    treeshake: true,
    define: { __OAUTHKIT_BROWSER__: 'false' },
  },
  {
    ...quiet,
    entry: browserEntry,
    outDir: 'dist/browser',
    format: ['esm'],
    ...compact,
    tsconfig,
    target: 'es2022',
    treeshake: true,
    define: { __OAUTHKIT_BROWSER__: 'true' },
  },
  {
    ...quiet,
    entry,
    format: ['cjs'],
    dts,
    tsconfig,
    target: 'es2022',
    treeshake: true,
    noExternal: ['oauth4webapi', 'ky'],
    esbuildPlugins: [minifiedVendors],
    // Shared chunks, as in the ESM build: each entry would otherwise carry its own oauth4webapi.
    splitting: true,
    ...compact,
    define: { __OAUTHKIT_BROWSER__: 'false' },
  },
])
