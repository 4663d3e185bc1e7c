/**
 * The layering of docs/architecture.md, enforced by reading the import lines:
 * imports only point down, src/ never imports Node built-ins (it runs in browsers and edge
 * workers), oauth4webapi stays in the protocol layer, and the entry point only re-exports.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const src = resolve(import.meta.dirname, '..', 'src')

const LAYERS: Array<[RegExp, number]> = [
  [/^errors\.ts$|^types\.ts$|^internal\//, 0],
  [/^wire\//, 1],
  [/^dialects\//, 2],
  [/^http\//, 3],
  [/^discovery\/|^grants\//, 4],
  [/^token\/|^node\//, 5],
  [/^fetch\//, 6],
  [/^client\.ts$|^browser\.ts$|^vendors\//, 7],
  [/^index\.ts$|^entries\/|^testing\//, 8],
]

function layerOf(file: string): number {
  const hit = LAYERS.find(([re]) => re.test(file))
  if (!hit) throw new Error(`${file} is in no layer: add it to docs/architecture.md and this test`)
  return hit[1]
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []))
}

const sources = files(src).map((path) => ({ file: relative(src, path).replaceAll('\\', '/'), text: readFileSync(path, 'utf8') }))

function imports(text: string): string[] {
  return [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!)
}

describe('architecture', () => {
  it('imports only point down', () => {
    const wrong: string[] = []
    for (const { file, text } of sources) {
      for (const spec of imports(text).filter((s) => s.startsWith('.'))) {
        const target = relative(src, resolve(src, file, '..', spec)).replace(/\.js$/, '.ts').replaceAll('\\', '/')
        if (layerOf(target) > layerOf(file)) wrong.push(`${file} (layer ${layerOf(file)}) imports ${target} (layer ${layerOf(target)})`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('src/ imports no Node built-in outside src/node/ (the oauthkit/node entry)', () => {
    const wrong = sources.filter(({ file, text }) => !file.startsWith('node/') && imports(text).some((s) => s.startsWith('node:') || ['fs', 'path', 'crypto', 'http', 'https', 'os'].includes(s)))
    expect(wrong.map((s) => s.file)).toEqual([])
  })

  it('oauth4webapi is used by the protocol layer only', () => {
    const wrong = sources.filter(({ file, text }) => imports(text).includes('oauth4webapi') && layerOf(file) !== 4)
    expect(wrong.map((s) => s.file)).toEqual([])
  })

  it('ky is imported by one module only', () => {
    expect(sources.filter(({ text }) => imports(text).includes('ky')).length).toBeLessThanOrEqual(1)
  })

  it('the entry point only re-exports', () => {
    const index = sources.find((s) => s.file === 'index.ts')!.text
    const code = index.split('\n').filter((l) => l.trim() && !l.trim().startsWith('//'))
    expect(code.every((l) => /^export (type )?\{.*\} from '.+'$/.test(l.trim()))).toBe(true)
  })

  it('core code names no vendor', () => {
    const vendors = /epishi?p|epismo|eptura|bipsync|organization api/i
    const wrong = sources.filter(({ file, text }) => !file.startsWith('dialects/') && !file.startsWith('vendors/') && !file.startsWith('entries/') && !file.startsWith('testing/') && vendors.test(text.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')))
    expect(wrong.map((s) => s.file)).toEqual([])
  })
})
