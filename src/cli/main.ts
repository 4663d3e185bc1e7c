// `oauthkit`, the command line for integrators (the package's bin): parses the command line,
// runs one command, and turns what went wrong into a message and an exit code per recovery class.
import { parseArgs } from 'node:util'
import { isOAuthKitError, type Recovery } from '../errors.js'
import { COMMANDS, type Io } from './commands.js'
import { UsageError } from './config.js'
import { HELP, helpOf } from './help.js'

/** Exit codes: one per recovery class of the error, so a script can branch on what to do. */
export const EXIT = { ok: 0, unexpected: 1, usage: 2, 'fix-config': 3, reauthenticate: 4, retry: 5, 'insufficient-scope': 6, api: 7, none: 130 } as const

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  profile: { type: 'string', short: 'p' },
  config: { type: 'string' },
  issuer: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret-env': { type: 'string' },
  'client-secret-file': { type: 'string' },
  'client-secret': { type: 'string' },
  preset: { type: 'string' },
  scope: { type: 'string' },
  resource: { type: 'string' },
  audience: { type: 'string' },
  grant: { type: 'string', short: 'g' },
  username: { type: 'string' },
  'password-file': { type: 'string' },
  'no-browser': { type: 'boolean' },
  'no-cache': { type: 'boolean' },
  'token-type-hint': { type: 'string' },
  method: { type: 'string', short: 'X' },
  data: { type: 'string', short: 'd' },
  header: { type: 'string', short: 'H', multiple: true },
  'redirect-uri': { type: 'string', multiple: true },
  name: { type: 'string' },
  'auth-method': { type: 'string' },
  'grant-types': { type: 'string' },
} as const

/** Runs the command line `argv` (without node and the script); resolves the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; args: string[] }>>
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true })
  } catch (err) {
    io.err.write(`oauthkit: ${(err as Error).message}\nRun \`oauthkit --help\` for the commands and options.\n`)
    return EXIT.usage
  }
  const [name, ...args] = parsed.positionals
  const flags = parsed.values as Record<string, string | boolean | string[] | undefined>
  if (!name || name === 'help') {
    io.out.write(args[0] ? helpOf(args[0]) ?? HELP : HELP)
    return name || flags.help ? EXIT.ok : EXIT.usage
  }
  const command = COMMANDS[name]
  if (!command) {
    io.err.write(`oauthkit: no command "${name}"\n\n${HELP}`)
    return EXIT.usage
  }
  if (flags.help) {
    io.out.write(helpOf(name) ?? HELP)
    return EXIT.ok
  }
  if (flags['client-secret'] !== undefined) {
    io.err.write('oauthkit: a secret on the command line stays in shell history and `ps`; use --client-secret-env NAME, --client-secret-file PATH or OAUTHKIT_CLIENT_SECRET\n')
    return EXIT.usage
  }
  try {
    return await command(args, flags, io)
  } catch (err) {
    return failure(err, io, flags.json === true)
  }
}

const ADVICE: Record<Recovery, string> = {
  'fix-config': 'check the configuration (issuer, client id, secret, scope) and the command line',
  reauthenticate: 'sign in again: oauthkit token --grant code (or --grant device)',
  retry: 'the server or network had a bad moment: try again later',
  'insufficient-scope': 'ask for the scope the server named: oauthkit token --scope …',
  none: 'cancelled',
}

function failure(err: unknown, io: Io, json: boolean): number {
  if (err instanceof UsageError) {
    io.err.write(`oauthkit: ${err.message}\n`)
    return EXIT.usage
  }
  if (!isOAuthKitError(err)) {
    io.err.write(`oauthkit: unexpected failure: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`)
    return EXIT.unexpected
  }
  const detail = err.error ? ` (${err.error})` : ''
  if (json) io.out.write(`${JSON.stringify({ error: { name: err.name, code: err.code, error: err.error, recovery: err.recovery, message: err.message } })}\n`)
  io.err.write(`oauthkit: ${err.name} [${err.code}${detail}]: ${err.message}\n  → ${ADVICE[err.recovery]}\n`)
  return EXIT[err.recovery]
}
