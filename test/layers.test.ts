/**
 * The layering of docs/architecture.md, enforced by reading the table there and the import
 * lines here: every import must be allowed by the importing module's "may import" column
 * (layers, and packages by name; `node:` for Node built-ins), there is no import cycle, the
 * entry point only re-exports, and core code names no vendor.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, posix, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
const src = join(root, 'src')

interface Row {
  layer: number
  where: string[]
  layers: Set<number>
  packages: Set<string>
}
interface Source {
  file: string
  text: string
}

/** The rows of the "Layers" table: `| layer | where | what | may import |`. */
export function parseTable(markdown: string): Row[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Layers'))
  if (!section) throw new Error('docs/architecture.md has no "## Layers" table')
  return section
    .split('\n')
    .filter((line) => /^\|\s*\d+\s*\|/.test(line))
    .map((line) => {
      const [layer, where, , allowed] = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim())
      const row: Row = {
        layer: Number(layer),
        where: [...where!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!),
        layers: new Set(),
        packages: new Set(),
      }
      for (const item of allowed!.split(',').map((s) => s.trim())) {
        const range = /^(\d+)(?:\s*[–-]\s*(\d+))?$/.exec(item)
        if (range) for (let n = Number(range[1]); n <= Number(range[2] ?? range[1]); n++) row.layers.add(n)
        else row.packages.add(item)
      }
      return row
    })
}

/** The row of a file: the most specific `where` that matches it (a file, or a folder prefix). */
function rowOf(rows: Row[], file: string): Row | undefined {
  let best: { row: Row; length: number } | undefined
  for (const row of rows) {
    for (const where of row.where) {
      const hit = where.endsWith('/') ? file.startsWith(where) : file === where
      if (hit && (!best || where.length > best.length)) best = { row, length: where.length }
    }
  }
  return best?.row
}

function importsOf(text: string): string[] {
  return [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!)
}

const NODE_BUILTINS = new Set(builtinModules)

/** Every import the table does not allow, and every import cycle, in words. */
export function violations(rows: Row[], sources: Source[]): string[] {
  const out: string[] = []
  const graph = new Map<string, string[]>()
  for (const { file, text } of sources) {
    const row = rowOf(rows, file)
    if (!row) {
      out.push(`${file} is in no row of the table`)
      continue
    }
    const edges: string[] = []
    for (const spec of importsOf(text)) {
      if (spec.startsWith('.')) {
        const target = posix.join(posix.dirname(file), spec).replace(/\.js$/, '.ts')
        edges.push(target)
        const targetRow = rowOf(rows, target)
        if (!targetRow) out.push(`${file} imports ${target}, which is in no row`)
        else if (!row.layers.has(targetRow.layer))
          out.push(`${file} (layer ${row.layer}, may import ${[...row.layers].join(',')}) imports ${target} (layer ${targetRow.layer})`)
      } else {
        const isNode = spec.startsWith('node:') || NODE_BUILTINS.has(spec.split('/')[0]!)
        const name = isNode ? 'node:' : spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!
        if (!row.packages.has(name)) out.push(`${file} imports ${spec}, which its row does not allow`)
      }
    }
    graph.set(file, edges)
  }
  out.push(...cycles(graph))
  return out
}

function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const visit = (node: string, path: string[]) => {
    if (state.get(node) === 'done') return
    if (state.get(node) === 'open') {
      found.push(`import cycle: ${[...path.slice(path.indexOf(node)), node].join(' -> ')}`)
      return
    }
    state.set(node, 'open')
    for (const next of graph.get(node) ?? []) visit(next, [...path, node])
    state.set(node, 'done')
  }
  for (const node of graph.keys()) visit(node, [])
  return found
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  )
}

const table = parseTable(readFileSync(join(root, 'docs', 'architecture.md'), 'utf8'))
const sources = files(src).map((path) => ({ file: relative(src, path).replaceAll('\\', '/'), text: readFileSync(path, 'utf8') }))

describe('architecture', () => {
  it('every import is allowed by the "may import" column of docs/architecture.md, and none is in a cycle', () => {
    expect(table.length).toBeGreaterThanOrEqual(9)
    expect(violations(table, sources)).toEqual([])
  })

  it('the check fails on an import the table does not allow, an unlisted package and a cycle (a test of the test)', () => {
    const fake: Source[] = [
      { file: 'errors.ts', text: '' },
      { file: 'token/manager.ts', text: "import { send } from '../http/transport.js'\nimport ky from 'ky'" },
      { file: 'http/transport.ts', text: "import { x } from './options.js'" },
      { file: 'http/options.ts', text: "import { y } from './transport.js'" },
      { file: 'protocol/run/token.ts', text: "import * as o from 'oauth4webapi'\nimport { readFile } from 'node:fs'" },
      { file: 'protocol/grants/refresh.ts', text: "import { discover } from '../../discovery/index.js'" },
    ]
    expect(violations(table, fake)).toEqual([
      'token/manager.ts (layer 9, may import 0,1,9) imports http/transport.ts (layer 3)',
      'token/manager.ts imports ky, which its row does not allow',
      'protocol/run/token.ts imports node:fs, which its row does not allow',
      'protocol/grants/refresh.ts (layer 7, may import 0,1,3,5,7) imports discovery/index.ts (layer 6)',
      'import cycle: http/transport.ts -> http/options.ts -> http/transport.ts',
    ])
  })

  it('the entry point only re-exports', () => {
    const index = ts.createSourceFile('index.ts', sources.find((s) => s.file === 'index.ts')!.text, ts.ScriptTarget.Latest, true)
    // Every statement is `export { … } from '…'` (or `export type`): names, never code.
    const other = index.statements.filter(
      (s) => !(ts.isExportDeclaration(s) && s.moduleSpecifier && s.exportClause && ts.isNamedExports(s.exportClause)),
    )
    expect(other.map((s) => s.getText())).toEqual([])
  })

  it("the ESM build's one shared module (src/entries/core.ts) lists every module but those of the entries kept apart", () => {
    // PAR's module, form_post's reader, the JWS check, the error translation, the redirect follower and the fetch's answer to a 401/403 are not listed: core loads each by its dynamic import(), as a chunk of its own.
    const apart =
      /^(browser|mcp|node|redis|cli|testing|entries)\/|^dpop\/browser-key\.ts$|^fetch\/ky\.ts$|^protocol\/endpoints\/par\.ts$|^protocol\/grants\/form-post\.ts$|^protocol\/run\/translation\.ts$|^protocol\/run\/jws\.ts$|^fetch\/follow\.ts$|^fetch\/answer\.ts$|^index\.ts$/
    const expected = sources
      .map((s) => s.file)
      .filter((f) => !apart.test(f))
      .sort()
    const listed = [...readFileSync(join(src, 'entries', 'core.ts'), 'utf8').matchAll(/^export \* from '\.\.\/(.+)\.js'$/gm)]
      .map((m) => `${m[1]}.ts`)
      .sort()
    expect(listed).toEqual(expected)
  })

  it('no function in src/ is longer than 60 lines (the shipped emulators included)', () => {
    const long: string[] = []
    for (const { file, text } of sources) {
      const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
      const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const lines = sf.getLineAndCharacterOfPosition(node.end).line - sf.getLineAndCharacterOfPosition(node.getStart()).line + 1
          if (lines > 60) long.push(`${file}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1} (${lines} lines)`)
        }
        ts.forEachChild(node, visit)
      }
      visit(sf)
    }
    expect(long).toEqual([])
  })

  it('core code names no vendor', () => {
    const vendors = /epishi?p|epismo|eptura|bipsync|organization api/i
    // The CLI offers the presets by name, as the entries do.
    const wrong = sources.filter(
      ({ file, text }) =>
        !/^(dialects|vendors|entries|testing|cli)\//.test(file) && vendors.test(text.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')),
    )
    expect(wrong.map((s) => s.file)).toEqual([])
  })
})
