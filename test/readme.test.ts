/**
 * The README's quick starts, the feature pages of docs/ listed here, and every @example of the
 * published API compile unchanged: each block is type-checked against the sources, with the
 * free names a reader fills in (issuer, clientId, …) declared. (They run too, in their runnable form: examples/,
 * test/e2e/examples.test.ts.)
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FILL_IN as EXAMPLE_FILL_IN, docExamples } from './support/doc-examples.js'

const root = resolve(import.meta.dirname, '..')
const FILL_IN = ['issuer', 'clientId', 'clientSecret', 'site', 'redirectUri', 'server', 'incomingToken', 'serviceToken', 'callbackUrl']
const PAGES = ['README.md', 'docs/exchange.md', 'docs/par.md', 'docs/dpop.md', 'docs/mcp.md', 'docs/browser.md', 'docs/oidc.md']

/** Type-checks `files` as a project of their own in .tmp/<name> (extending the examples' configuration); tsc's output, '' when all is well. */
function typeCheck(name: string, files: Record<string, string>): string {
  const dir = join(root, '.tmp', name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text)
  const config = { extends: '../../examples/tsconfig.json', compilerOptions: { noEmit: true }, include: ['.'], exclude: [] }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config))
  try {
    return execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' })
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? err)
  }
}

describe("the README's code and the feature pages'", () => {
  it('every ```ts block compiles against the sources', () => {
    const blocks = PAGES.flatMap((page) => [...readFileSync(join(root, page), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!))
    expect(blocks.length).toBeGreaterThanOrEqual(6)
    const files = Object.fromEntries(
      blocks.map((code, i) => [`block-${i + 1}.ts`, code.includes('import ') ? code : `${code}\nexport {}\n`]),
    )
    files['fill-in.d.ts'] = `declare global {\n${FILL_IN.map((n) => `  const ${n}: string`).join('\n')}\n}\nexport {}\n`
    const out = typeCheck('readme-snippets', files)
    expect(out).toBe('')
  }, 60_000)

  it('every @example of the published API compiles, importing what it names from the entries', () => {
    const examples = docExamples(root)
    expect(examples.length).toBeGreaterThanOrEqual(70)
    const files = Object.fromEntries(examples.map(({ where, code }, i) => [`example-${i + 1}.ts`, `// ${where}\n${code}`]))
    files['fill-in.d.ts'] = EXAMPLE_FILL_IN
    const out = typeCheck('doc-examples', files)
    // Each error names the example's file; its first line names the source line of the @example.
    expect(out).toBe('')
  }, 60_000)
})
