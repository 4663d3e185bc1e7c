import { defineConfig } from 'tsup'

// Two builds from one source. The ESM build leaves every dependency external, so bundlers
// dedupe them with the application's copies. The CJS build inlines the ESM-only dependencies
// (oauth4webapi, ky): `require()` of an ES module only works unflagged from Node 20.19, and
// oauthkit promises Node >= 20.
const entry = {
  index: 'src/index.ts',
  ky: 'src/entries/ky.ts',
  node: 'src/entries/node.ts',
  dialects: 'src/entries/dialects.ts',
  testing: 'src/entries/testing.ts',
  browser: 'src/entries/browser.ts',
}

// tsup's declaration build sets `baseUrl`, which TypeScript 6 deprecates (TS 7 drops the JS
// API tsup needs, which is why the project stays on TypeScript 6).
const dts = { compilerOptions: { ignoreDeprecations: '6.0' } }
const tsconfig = 'tsconfig.build.json'

// `__OAUTHKIT_BROWSER__` marks code only Node needs (the authorized fetch's redirect follower).
// The browser build, picked by bundlers through package.json's `browser` condition, sets it so
// that code drops out; the other builds keep it and decide at run time.
const { node: _nodeOnly, ...browserEntry } = entry

export default defineConfig([
  {
    entry,
    format: ['esm'],
    dts,
    tsconfig,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    treeshake: true,
    define: { __OAUTHKIT_BROWSER__: 'false' },
  },
  {
    entry: browserEntry,
    outDir: 'dist/browser',
    format: ['esm'],
    tsconfig,
    sourcemap: true,
    target: 'es2022',
    treeshake: true,
    define: { __OAUTHKIT_BROWSER__: 'true' },
  },
  {
    entry,
    format: ['cjs'],
    dts,
    tsconfig,
    sourcemap: true,
    target: 'es2022',
    treeshake: true,
    noExternal: ['oauth4webapi', 'ky'],
    define: { __OAUTHKIT_BROWSER__: 'false' },
  },
])
