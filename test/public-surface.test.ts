/**
 * The public surface reads well in a generated reference: every symbol an entry point exports
 * has a summary in its doc comment, and every exported function and class an `@example`.
 * Read with the TypeScript compiler from the entry points, as TypeDoc does.
 */
import { resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
const ENTRIES = [
  'src/index.ts',
  'src/entries/m2m.ts',
  'src/entries/browser.ts',
  'src/entries/dialects.ts',
  'src/entries/ky.ts',
  'src/entries/node.ts',
  'src/entries/testing.ts',
  'src/entries/mcp.ts',
  'src/entries/redis.ts',
]

const program = ts.createProgram(
  ENTRIES.map((e) => resolve(root, e)),
  {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    types: ['node'],
  },
)
const checker = program.getTypeChecker()

interface Report {
  entry: string
  name: string
  summary: boolean
  example: boolean
  callable: boolean
}

function reports(): Report[] {
  const out: Report[] = []
  for (const entry of ENTRIES) {
    const source = program.getSourceFile(resolve(root, entry))!
    const moduleSymbol = checker.getSymbolAtLocation(source)!
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      const summary = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim().length > 0
      const tags = symbol.getJsDocTags(checker)
      const callable =
        (symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class)) !== 0 ||
        ((symbol.flags & ts.SymbolFlags.Variable) !== 0 && checker.getTypeOfSymbol(symbol).getCallSignatures().length > 0)
      out.push({ entry, name: exported.getName(), summary, example: tags.some((t) => t.name === 'example'), callable })
    }
  }
  return out
}

describe('the public surface', () => {
  const all = reports()

  it('every export of every entry point has a summary', () => {
    expect(all.length).toBeGreaterThan(80)
    expect(all.filter((r) => !r.summary).map((r) => `${r.entry}: ${r.name}`)).toEqual([])
  })

  it('every exported function and class has an @example', () => {
    expect(all.filter((r) => r.callable && !r.example).map((r) => `${r.entry}: ${r.name}`)).toEqual([])
  })
})
