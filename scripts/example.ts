/**
 * `npm run example <name> [arguments]`: runs `examples/<name>.ts`, unchanged and offline
 * (scripts/example-runners.ts: against the local authorization server and API, an MCP server,
 * or the vendor's emulator; where an example waits for a user, the runner plays the user).
 * `npm run example` alone lists them with what each shows — without loading any server.
 */
import { readdirSync } from 'node:fs'

type Where = 'local servers' | 'vendor emulator' | 'MCP server' | 'browser'

/** What each example shows, and what it runs against. */
const EXAMPLES: Record<string, [purpose: string, where: Where]> = {
  'm2m-session': ['machine to machine in one call (oauthkit/m2m): a session whose fetch sends the token to one API', 'local servers'],
  'client-credentials': ['a client_credentials token, then an API call with it', 'local servers'],
  'session-fetch': ['50 concurrent calls through a session: one token request, renewed before expiry', 'local servers'],
  'session-ky': ['the same session through ky (createAuthorizedKy, or your own instance extended)', 'local servers'],
  'device-flow': ['a CLI signing in with the device flow: show a code, wait', 'local servers'],
  'cli-file-store': ['a CLI that stays signed in: tokens in a 0600 file, refreshed and rotated', 'local servers'],
  'token-exchange': ["a service calling downstream on a user's behalf: token exchange and JWT bearer sessions", 'local servers'],
  'mcp-client': ["an MCP client (the official SDK) through a server's 401, sign-in and 403 step-up", 'MCP server'],
  'dialect-from-scratch': ["a vendor's quirks as a dialect of your own: JSON body, milliseconds, renamed fields", 'vendor emulator'],
  'vendor-bipsync': ['Bipsync: discovery from the API host, client_credentials or the device flow (-- --device)', 'vendor emulator'],
  'vendor-epiship': ['EPISHIP: endpoints by hand, the password grant, personal access tokens', 'vendor emulator'],
  'vendor-eptura': ['Eptura: parameters in headers, expires_in in milliseconds, the code without a browser', 'vendor emulator'],
  'vendor-organization-api': ['Organization API: client_credentials answered with a refresh token the session uses', 'vendor emulator'],
  'vendor-epismo-mcp': ['Epismo as an MCP server: 401 → RFC 9728 → registration → code + PKCE with resource', 'vendor emulator'],
  spa: ['the single-page app (examples/spa) in your browser, until Ctrl-C', 'browser'],
}

const [name, ...args] = process.argv.slice(2)
if (!name || !Object.hasOwn(EXAMPLES, name)) {
  if (name) console.error(`no example named "${name}"\n`)
  console.log('npm run example <name> [-- arguments]: each runs offline, nothing to set up\n')
  for (const [key, [purpose, where]] of Object.entries(EXAMPLES)) console.log(`  ${key.padEnd(24)} ${purpose}  [${where}]`)
  const unlisted = readdirSync(new URL('../examples/', import.meta.url))
    .filter((f) => f.endsWith('.ts') && !Object.hasOwn(EXAMPLES, f.slice(0, -3)))
    .map((f) => f.slice(0, -3))
  if (unlisted.length) console.error(`\nexamples this list does not know yet: ${unlisted.join(', ')}`)
  process.exit(name ? 2 : 0)
}

const { EXAMPLES: RUNNERS, runExample } = await import('./example-runners.js')
if (!Object.hasOwn(RUNNERS, name)) {
  console.error(`example "${name}" has no runner in scripts/example-runners.ts`)
  process.exit(1)
}
process.exit(await runExample(name, args))
