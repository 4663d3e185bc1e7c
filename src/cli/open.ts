// Opening a URL in the user's browser without a shell: the URL is checked by the one URL rule
// (internal/url.ts), then passed as one argument of a program started directly, with an
// environment that holds none of the secrets the CLI read (the mcp-remote CVE-2025-6514 hole
// was a URL interpolated into a shell command: `cmd /c start` reads `&`, `|` and `%VAR%`).
import { spawn } from 'node:child_process'
import { userAgentUrl } from '../internal/url.js'

/**
 * The program and arguments that open `url` on `platform`: `$BROWSER` (a program, split on
 * spaces, the URL appended as its last argument), else `open` (macOS), `rundll32
 * url.dll,FileProtocolHandler` (Windows: a program that takes the rest of its command line as
 * the URL, so no shell ever parses it), `xdg-open` (elsewhere). Never a shell.
 */
export function openerCommand(url: string, platform: NodeJS.Platform, browser?: string): [string, string[]] {
  const given = browser?.split(' ').filter(Boolean)
  if (given?.length) return [given[0]!, [...given.slice(1), url]]
  if (platform === 'darwin') return ['open', [url]]
  if (platform === 'win32') return ['rundll32', ['url.dll,FileProtocolHandler', url]]
  return ['xdg-open', [url]]
}

/**
 * The environment the opener gets: the CLI's, without every `OAUTHKIT_*` variable (the secret,
 * the password) and without the variables the profile or the command line named as holding a
 * secret.
 */
export function openerEnv(env: NodeJS.ProcessEnv, secretVariables: Array<string | undefined>): NodeJS.ProcessEnv {
  const drop = new Set(secretVariables.filter((name): name is string => typeof name === 'string'))
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.toUpperCase().startsWith('OAUTHKIT_') && !drop.has(name)))
}

/** Opens `url` (checked first: an unsafe URL throws `insecure_url`); a failure to start the opener is reported, not thrown. */
export function openBrowser(url: string, env: NodeJS.ProcessEnv, secretVariables: Array<string | undefined>, onError: () => void): void {
  const [program, args] = openerCommand(userAgentUrl(url, 'the authorization URL'), process.platform, env.BROWSER)
  const child = spawn(program, args, {
    stdio: 'ignore',
    detached: true,
    shell: false,
    windowsHide: true,
    env: openerEnv(env, secretVariables),
  })
  child.on('error', onError)
  child.unref()
}
