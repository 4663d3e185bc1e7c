// After tsup: the CommonJS declarations (`dist/*.d.cts`) import the types of ky, which ships
// ES modules only. A CommonJS consumer's TypeScript (module node16, skipLibCheck false) then
// fails with TS1479. The CJS build inlines ky, and types are all that is imported, so these
// imports become type-only imports resolved as ES modules (`resolution-mode: import`).
// tsup's declaration bundler drops that attribute from the source, hence this step.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const ESM_ONLY = ['ky']
const dist = join(import.meta.dirname, '..', 'dist')
for (const file of readdirSync(dist).filter((f) => f.endsWith('.d.cts'))) {
  const path = join(dist, file)
  const text = readFileSync(path, 'utf8')
  const fixed = text.replace(/^import (\{[^}]*\}) from '([^']+)';$/gm, (line, names, spec) =>
    ESM_ONLY.includes(spec) ? `import type ${names} from '${spec}' with { 'resolution-mode': 'import' };` : line,
  )
  if (fixed !== text) writeFileSync(path, fixed)
}
