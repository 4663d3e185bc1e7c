// `oauthkit`, the command line for integrators (the package's bin): parses the command line,
// runs one command, and turns what went wrong into a message and an exit code per recovery class.
import { parseArgs } from 'node:util'
import { isOAuthKitError, type Recovery } from '../errors.js'
import { COMMANDS, type Io } from './commands.js'
import { UsageError } from './config.js'
import { HELP, helpOf } from './help.js'
import { terminalJson, terminalText } from './terminal.js'
import { closest } from '../internal/closest.js'

/** Exit codes: one per recovery class of the error, so a script can branch on what to do. */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  'fix-config': 3,
  reauthenticate: 4,
  retry: 5,
  'insufficient-scope': 6,
  api: 7,
  none: 130,
} as const

/** The command line's options (node:util parseArgs): test/cli/options.test.ts runs each. */
export const OPTIONS = {
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
  'api-url': { type: 'string', multiple: true },
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
  'allow-insecure-http': { type: 'boolean' },
  endpoint: { type: 'string', multiple: true },
  dialect: { type: 'string' },
} as const

/** A usage mistake: what was wrong, the likely intended word, where to read more; exit code 2. */
function usage(io: Io, problem: string, known: string[], word: string | undefined, list = ''): number {
  const guess = word === undefined ? undefined : closest(word, known)
  io.err.write(
    `oauthkit: ${problem}${guess ? `; did you mean ${guess}?` : ''}\n${list ? `${list}\n` : ''}Run \`oauthkit --help\` for the commands and options.\n`,
  )
  return EXIT.usage
}

/**
 * Runs the command line `argv` (without node and the script); resolves the exit code. Every
 * write reaches the terminal without a server's control characters or escape sequences (shown
 * escaped; JSON output stays valid JSON).
 */
export async function main(argv: string[], given: Io): Promise<number> {
  const json = argv.includes('--json')
  const io: Io = {
    ...given,
    out: { write: (text: string) => given.out.write(json ? terminalJson(text) : terminalText(text)) },
    err: {
      write: (text: string) => given.err.write(terminalText(text)),
      ...(given.err.isTTY === undefined ? {} : { isTTY: given.err.isTTY }),
    },
  }
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; args: string[] }>>
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true })
  } catch (err) {
    const { code, message } = err as { code?: string; message: string }
    // parseArgs says "Unknown option '--isuer'. …": name the option, and the one probably meant.
    const option = /'(-{1,2}[^']+)'/.exec(message)?.[1]
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option)
      return usage(
        io,
        `no option ${option.split('=')[0]}`,
        Object.keys(OPTIONS).map((o) => `--${o}`),
        option.split('=')[0],
      )
    return usage(io, message.split('. ')[0]!.replace(/\.$/, ''), [], undefined)
  }
  const [name, ...args] = parsed.positionals
  const flags = parsed.values as Record<string, string | boolean | string[] | undefined>
  if (!name || name === 'help') {
    io.out.write(args[0] ? (helpOf(args[0]) ?? HELP) : HELP)
    return name || flags.help ? EXIT.ok : EXIT.usage
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (!command) return usage(io, `no command "${name}"`, Object.keys(COMMANDS), name, `commands: ${Object.keys(COMMANDS).join(', ')}`)
  if (flags.help) {
    io.out.write(helpOf(name) ?? HELP)
    return EXIT.ok
  }
  if (flags['client-secret'] !== undefined) {
    io.err.write(
      'oauthkit: a secret on the command line stays in shell history and `ps`; use --client-secret-env NAME, --client-secret-file PATH or OAUTHKIT_CLIENT_SECRET\n',
    )
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

/** Where the command line has its own answer to a code: the flag that does what the library's message names as an option. */
const CODE_ADVICE: Partial<Record<string, string>> = {
  insecure_url:
    'plain http: goes to loopback only; on a network you trust, pass --allow-insecure-http (or "allowInsecureHttp": true in the profile)',
  missing_endpoint: 'give the endpoint by hand: --endpoint NAME=URL (or the profile\'s "endpoints")',
  unknown_host: 'check the host name in the issuer or URL (the message names it): it does not resolve',
}

function failure(err: unknown, io: Io, json: boolean): number {
  if (err instanceof UsageError) return usage(io, err.message, [], undefined)
  if (!isOAuthKitError(err)) {
    io.err.write(`oauthkit: unexpected failure: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`)
    return EXIT.unexpected
  }
  const detail = err.error ? ` (${err.error})` : ''
  if (json)
    io.out.write(
      `${JSON.stringify({ error: { name: err.name, code: err.code, error: err.error, recovery: err.recovery, message: err.message } })}\n`,
    )
  io.err.write(`oauthkit: ${err.name} [${err.code}${detail}]: ${err.message}\n  → ${CODE_ADVICE[err.code] ?? ADVICE[err.recovery]}\n`)
  return EXIT[err.recovery]
}
