/**
 * The `@example` blocks of the published API, each as a file that imports what it names from
 * the package's entries (as a reader would), for test/readme.test.ts to type-check. The
 * examples of internal declarations (no entry exports them) are for contributors and left out.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

const ENTRIES = [
  ['oauthkit', 'src/index.ts'],
  ['oauthkit/browser', 'src/entries/browser.ts'],
  ['oauthkit/m2m', 'src/entries/m2m.ts'],
  ['oauthkit/node', 'src/entries/node.ts'],
  ['oauthkit/redis', 'src/entries/redis.ts'],
  ['oauthkit/ky', 'src/entries/ky.ts'],
  ['oauthkit/mcp', 'src/entries/mcp.ts'],
  ['oauthkit/dialects', 'src/entries/dialects.ts'],
  ['oauthkit/testing', 'src/entries/testing.ts'],
] as const

/** The names a reader fills in, with the types they have in a real program. */
export const FILL_IN = `import type { AuthorizationServerMetadata, OAuthClient, OAuthContext, PendingAuthorization, Session, TokenSet, TokenStore } from 'oauthkit'
import type { BrowserClient } from 'oauthkit/browser'
import type { RedisClientLike } from 'oauthkit/redis'
declare global {
  const ctx: OAuthContext, client: OAuthClient, session: Session, upstream: Session, app: BrowserClient
  const tokens: TokenSet, metadata: AuthorizationServerMetadata, pending: PendingAuthorization, store: TokenStore, redis: RedisClientLike
  const err: unknown, response: Response, request: Request
  const issuer: string, clientId: string, clientSecret: string, redirectUri: string, site: string, server: string, serverUrl: string
  const mcpUrl: string, api: string, apiBase: string, url: string, baseUrl: string, scope: string, username: string, password: string
  const accessToken: string, incomingAccessToken: string
  const clients: Array<{ clientId: string; clientSecret?: string }>
  const refresh: (refreshToken: string) => Promise<TokenSet>
  const renew: () => Promise<TokenSet>
  const signIn: (request: { url: string }) => Promise<string>
  const openBrowserAndWait: (request: { url: string }) => Promise<string>
  const signAssertion: () => Promise<string>
  const retryLater: () => void
  const log: { warn(message: string): void; info(message: string): void }
  const keychain: { read(key: string): Promise<string | undefined>; write(key: string, value: string | undefined): Promise<void> }
  function setupServer(...handlers: unknown[]): { listen(options?: unknown): void }
  const StreamableHTTPClientTransport: new (url: URL, options: { fetch: typeof fetch }) => unknown
}
export {}
`

/** Every `@example` of a public declaration under src/, as `{ where, code }` with its imports. */
export function docExamples(root: string): Array<{ where: string; code: string }> {
  const from = new Map<string, { spec: string; type: boolean }>()
  for (const [spec, file] of ENTRIES) {
    for (const m of readFileSync(join(root, file), 'utf8').matchAll(/export (type )?\{([^}]*)\}/g)) {
      for (const raw of m[2]!.split(',')) {
        const name = raw
          .trim()
          .split(/\s+as\s+/)
          .pop()
        if (name && !from.has(name)) from.set(name, { spec, type: Boolean(m[1]) })
      }
    }
  }
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
      d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
    )
  const found: Array<{ where: string; code: string }> = []
  for (const file of files(join(root, 'src'))) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
    const visit = (node: ts.Node) => {
      const name =
        (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) && node.name
          ? node.name.text
          : ts.isVariableStatement(node)
            ? node.declarationList.declarations[0]?.name.getText()
            : undefined
      if (name && node.parent === sf && !from.has(name)) return
      for (const tag of ts.getJSDocTags(node)) {
        if (tag.tagName.text !== 'example') continue
        const code = ts.getTextOfJSDocComment(tag.comment)?.trim()
        if (!code) continue
        const declared = new Set(
          [...code.matchAll(/\b(?:const|let|function|class)\s+(\w+)|import\s*\{([^}]*)\}/g)].flatMap((m) =>
            m[1] ? [m[1]] : m[2]!.split(',').map((s) => s.trim()),
          ),
        )
        const bySpec = new Map<string, string[]>()
        for (const word of new Set(code.match(/\b[A-Za-z_]\w*\b/g) ?? [])) {
          const entry = from.get(word)
          if (entry && !declared.has(word)) bySpec.set(entry.spec, [...(bySpec.get(entry.spec) ?? []), entry.type ? `type ${word}` : word])
        }
        const imports = code.includes('import ')
          ? ''
          : [...bySpec].map(([spec, names]) => `import { ${names.join(', ')} } from '${spec}'`).join('\n')
        found.push({
          where: `${relative(root, file)}:${sf.getLineAndCharacterOfPosition(tag.getStart()).line + 1}`,
          code: `${imports}\n${code}\nexport {}\n`,
        })
      }
      ts.forEachChild(node, visit)
    }
    visit(sf)
  }
  return found
}
