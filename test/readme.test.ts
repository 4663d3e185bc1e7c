/**
 * The README's quick starts, the feature pages of docs/ listed here, and every @example of the
 * published API compile unchanged: each block is type-checked against the sources, with the
 * free names a reader fills in (issuer, clientId, …) declared. (They run too, in their runnable form: examples/,
 * test/e2e/examples.test.ts.)
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FILL_IN as EXAMPLE_FILL_IN, docExamples } from './support/doc-examples.js'

const root = resolve(import.meta.dirname, '..')
const FILL_IN = [
  'issuer',
  'clientId',
  'clientSecret',
  'api',
  'site',
  'redirectUri',
  'server',
  'incomingToken',
  'serviceToken',
  'callbackUrl',
]
const PAGES = [
  'README.md',
  'docs/exchange.md',
  'docs/par.md',
  'docs/dpop.md',
  'docs/mcp.md',
  'docs/browser.md',
  'docs/oidc.md',
  'docs/ciba.md',
]

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

describe('docs that stay true', () => {
  const guides = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md') && f !== 'index.md')

  it('every guide in docs/ is rendered by the API reference and listed in docs/index.md', () => {
    const typedoc = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as { projectDocuments: string[] }
    const index = readFileSync(join(root, 'docs', 'index.md'), 'utf8')
    expect(guides.filter((g) => !typedoc.projectDocuments.includes(`docs/${g}`))).toEqual([])
    expect(guides.filter((g) => !index.includes(`](${g})`))).toEqual([])
  })

  it('no document outside the repository is cited: not in the README, the guides, the examples, nor the comments that ship as types', () => {
    const files = [
      'README.md',
      'CONTRIBUTING.md',
      ...guides.map((g) => `docs/${g}`),
      ...readdirSync(join(root, 'examples'))
        .map((f) => `examples/${f}`)
        .filter((f) => f.endsWith('.ts')),
      ...readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => `src/${f}`),
    ]
    expect(files.filter((f) => /\bseeds\/|VENDORS\.md|DESIGN\.md|STYLE\.md/.test(readFileSync(join(root, f), 'utf8')))).toEqual([])
  })

  it('npm ci runs only install scripts the project decided on (allowScripts names each package that has one), and the bench installs the lock as it is', () => {
    for (const dir of ['.', 'bench', 'test/runtimes']) {
      const lock = JSON.parse(readFileSync(join(root, dir, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { hasInstallScript?: boolean }>
      }
      const allow =
        (JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> }).allowScripts ?? {}
      const scripted = Object.entries(lock.packages)
        .filter(([, p]) => p.hasInstallScript)
        .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
      expect(
        scripted.filter((name) => !Object.hasOwn(allow, name)),
        dir,
      ).toEqual([])
    }
    expect(readFileSync(join(root, 'bench', 'run.mjs'), 'utf8')).toMatch(/spawnSync\('npm', \['ci'/)
  })
})
