/**
 * The CLI's doors, unit by unit (the whole CLI is spawned in test/e2e/cli.test.ts): the
 * browser opener's command line on every platform, the opener's environment, what reaches the
 * terminal, and the "did you mean" of a usage mistake.
 */
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { openerCommand, openerEnv } from '../../src/cli/open.js'
import { terminalJson, terminalText } from '../../src/cli/terminal.js'
import { closest } from '../../src/internal/closest.js'

describe('the browser opener', () => {
  // An authorization endpoint as a compromised server would write it for cmd.exe (CVE-2025-6514's pattern).
  const hostile = 'https://as.example/x&calc.exe&/authorize?client_id=%OAUTHKIT_CLIENT_SECRET%&state=a|b^c'

  it('Windows: rundll32 gets the URL as one argument, no cmd.exe and no PowerShell parse it', () => {
    const [program, args] = openerCommand(hostile, 'win32')
    expect(program).toBe('rundll32')
    expect(args).toEqual(['url.dll,FileProtocolHandler', hostile])
    expect(`${program} ${args.join(' ')}`).not.toMatch(/\bcmd\b|powershell|\/c\b|start ""/i)
  })

  it('macOS, Linux and $BROWSER: the program, then the URL as its last argument, unchanged', () => {
    expect(openerCommand(hostile, 'darwin')).toEqual(['open', [hostile]])
    expect(openerCommand(hostile, 'linux')).toEqual(['xdg-open', [hostile]])
    expect(openerCommand(hostile, 'linux', 'firefox --new-window')).toEqual(['firefox', ['--new-window', hostile]])
  })

  it('the environment keeps none of the secrets the CLI read', () => {
    const env = openerEnv(
      {
        PATH: '/bin',
        HOME: '/home/me',
        OAUTHKIT_CLIENT_SECRET: 's',
        OAUTHKIT_PASSWORD: 'p',
        oauthkit_profile: 'x',
        SVC_SECRET: 'named',
        DISPLAY: ':0',
      },
      ['SVC_SECRET', undefined],
    )
    expect(env).toEqual({ PATH: '/bin', HOME: '/home/me', DISPLAY: ':0' })
  })
})

describe('what reaches the terminal', () => {
  const hostile = 'ok \u001b]52;c;ZXZpbA==\u0007 \u001b[2J \u009b31m \u007f \r fake \u202egnp.exe tab\tnewline\n'

  it('human output: every control character escaped, tab and newline kept', () => {
    const shown = terminalText(hostile)
    // eslint-disable-next-line no-control-regex
    expect(shown).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/)
    expect(shown).toBe('ok \\x1b]52;c;ZXZpbA==\\x07 \\x1b[2J \\x9b31m \\x7f \\x0d fake \\u202egnp.exe tab\tnewline\n')
  })

  it('JSON output: the same JSON value, with DEL, C1 and Unicode controls escaped too', () => {
    const text = JSON.stringify({ scope: hostile }, null, 2)
    const shown = terminalJson(text)
    // eslint-disable-next-line no-control-regex
    expect(shown).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/)
    expect(JSON.parse(shown)).toEqual({ scope: hostile })
  })

  it('main writes every line through it', async () => {
    let err = ''
    const code = await main(['\u001b[2Jtoken'], {
      out: { write: () => true },
      err: { write: (t: string) => (err += t) },
      env: {},
      stdin: async () => '',
    })
    expect(code).toBe(2)
    expect(err).toContain('no command "\\x1b[2Jtoken"')
    expect(err).not.toContain('\u001b')
  })
})

describe('usage mistakes', () => {
  it('"did you mean" names the closest command or option, and only a close one', () => {
    expect(closest('tokn', ['discover', 'token', 'call'])).toBe('token')
    expect(closest('--client-di', ['--client-id', '--issuer'])).toBe('--client-id')
    expect(closest('frobnicate', ['discover', 'token', 'call'])).toBeUndefined()
  })
})
