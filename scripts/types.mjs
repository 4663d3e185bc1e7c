// After tsup, the declarations:
//
// 1. The CommonJS declarations (`dist/*.d.cts`) import the types of ky, which ships ES modules
//    only. A CommonJS consumer's TypeScript (module node16, skipLibCheck false) then fails with
//    TS1479. The CJS build inlines ky, and types are all that is imported, so these imports
//    become type-only imports resolved as ES modules (`resolution-mode: import`). tsup's
//    declaration bundler drops that attribute from the source, hence this step.
// 2. Each ESM entry's `.d.ts` re-exports its `.d.cts` (an ES module may import a CommonJS
//    one; not the reverse): one set of declarations for both formats, so the types are the
//    same whichever way a consumer loads oauthkit. oauthkit/testing keeps the ESM declarations
//    tsup wrote for it (see tsup.config.ts).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const ESM_ONLY = ['ky']
const dist = join(import.meta.dirname, '..', 'dist')
const exports = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')).exports
for (const file of readdirSync(dist).filter((f) => f.endsWith('.d.cts'))) {
  const path = join(dist, file)
  const text = readFileSync(path, 'utf8')
  const fixed = text.replace(/^import (\{[^}]*\}) from '([^']+)';$/gm, (line, names, spec) =>
    ESM_ONLY.includes(spec) ? `import type ${names} from '${spec}' with { 'resolution-mode': 'import' };` : line,
  )
  if (fixed !== text) writeFileSync(path, fixed)
}
for (const target of Object.values(exports)) {
  const types = target.import?.types
  if (!types || existsSync(join(dist, '..', types))) continue
  const name = types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '')
  writeFileSync(join(dist, `${name}.d.ts`), `export * from './${name}.cjs';\n`)
}
