/**
 * The `oauthkit` CLI end to end (#17 item 6): the built bin (dist/cli.js, which `npm test`
 * builds first) spawned against the local authorization server and API on 127.0.0.1, with a
 * config file and a token cache in a scratch folder. Every command; the device flow with the
 * user played by the test; the code flow through the loopback listener, its browser opened with
 * $BROWSER and driven by the test; a typed error's exit code.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONFIDENTIAL, NATIVE, USER, actAsUser, startLocalServers, type LocalServers } from '../support/authorization-server.js'

const root = resolve(import.meta.dirname, '..', '..')
const cli = join(root, 'dist', 'cli.js')
let servers: LocalServers
let scratch: string
let env: Record<string, string>

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it)')
  servers = await startLocalServers()
  scratch = mkdtempSync(join(tmpdir(), 'oauthkit-cli-'))
  writeFileSync(join(scratch, 'user-secret'), `${CONFIDENTIAL.clientSecret}\n`)
  const profiles = {
    service: {
      issuer: servers.issuer,
      clientId: CONFIDENTIAL.clientId,
      clientSecretEnv: 'SERVICE_SECRET',
      scope: 'api:read',
      apiUrls: [servers.api],
    },
    // HOME is the scratch folder: `~/` in a path is read as it.
    user: {
      issuer: servers.issuer,
      clientId: CONFIDENTIAL.clientId,
      clientSecretFile: '~/user-secret',
      grant: 'device',
      scope: 'openid offline_access api:read',
      apiUrls: [servers.api],
    },
    native: { issuer: servers.issuer, clientId: NATIVE.clientId, scope: 'openid offline_access' },
  }
  writeFileSync(join(scratch, 'config.json'), JSON.stringify({ profiles }))
  // A "browser" that only writes down the URL it was asked to open, how many arguments it got and
  // its environment: the test plays the user.
  writeFileSync(
    join(scratch, 'browser.sh'),
    `#!/bin/sh\nenv > '${join(scratch, 'opener-env')}'\nprintf '%s' "$#" > '${join(scratch, 'opener-argc')}'\nprintf '%s' "$1" > '${join(scratch, 'opened')}'\n`,
    { mode: 0o755 },
  )
  env = {
    OAUTHKIT_CONFIG: join(scratch, 'config.json'),
    OAUTHKIT_CACHE_DIR: join(scratch, 'cache'),
    SERVICE_SECRET: CONFIDENTIAL.clientSecret,
    BROWSER: join(scratch, 'browser.sh'),
  }
})
afterAll(async () => {
  await servers?.stop()
  rmSync(scratch, { recursive: true, force: true })
})

/** The one cache file of a profile (named by profile and owner). */
function cacheFile(profile: string): string {
  const files = readdirSync(join(scratch, 'cache')).filter((f) => f.startsWith(`${profile}.`) && f.endsWith('.tokens.json'))
  expect(files).toHaveLength(1)
  return join(scratch, 'cache', files[0]!)
}

interface Run {
  code: number | null
  out: string
  err: string
}

function oauthkit(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string; onErrLine?: (line: string) => void } = {},
): Promise<Run> {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { PATH: process.env.PATH!, HOME: scratch, ...env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk))
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk
    for (const line of chunk.toString().split('\n')) if (line) options.onErrLine?.(line)
  })
  child.stdin.end(options.stdin ?? '')
  return new Promise((done) => child.on('close', (code) => done({ code, out, err })))
}

describe('oauthkit (the CLI)', () => {
  it('--help lists the commands and the exit codes; a command has its own help', async () => {
    const all = await oauthkit(['--help'])
    expect(all.code).toBe(0)
    for (const command of ['discover', 'token', 'call', 'inspect', 'revoke', 'introspect', 'register'])
      expect(all.out).toContain(`  ${command}`)
    expect(all.out).toContain('Exit codes: 0 done')
    const token = await oauthkit(['token', '--help'])
    expect(token.out).toContain('--grant client_credentials|password|refresh|device|code')
  })

  it('discover: an issuer, and a protected resource (RFC 9728) leading to it', async () => {
    const issuer = await oauthkit(['discover', servers.issuer])
    expect(issuer.code).toBe(0)
    expect(issuer.out).toMatch(new RegExp(`^token +${servers.issuer}/token$`, 'm'))
    const json = JSON.parse((await oauthkit(['discover', servers.issuer, '--json'])).out) as { metadata: { issuer: string } }
    expect(json.metadata.issuer).toBe(servers.issuer)
    const resource = await oauthkit(['discover', servers.api])
    expect(resource.code).toBe(0)
    expect(resource.out).toMatch(/^resource +http:\/\/127\.0\.0\.1:\d+ \(scopes: api:read\)$/m)
    expect(resource.out).toMatch(new RegExp(`^issuer +${servers.issuer}$`, 'm'))
    // RFC 9728 §3.3: a document naming another resource than the URL asked is refused.
    const other = await oauthkit(['discover', `${servers.api}/me`])
    expect(other.err).toContain('[resource_mismatch]')
    expect(other.code).toBe(3)
  })

  it('token: client_credentials from a profile, the secret from its variable, cached 0600; call uses it', async () => {
    const token = await oauthkit(['token', '-p', 'service'])
    expect(token.code).toBe(0)
    expect(token.out.trim()).toMatch(/^\S{20,}$/)
    expect(token.err).toContain('client_credentials: bearer token')
    expect(statSync(cacheFile('service')).mode & 0o777).toBe(0o600)
    const call = await oauthkit(['call', `${servers.api}/things`, '-p', 'service'])
    expect(call.code).toBe(0)
    expect(call.err).toMatch(/^200 /)
    expect(JSON.parse(call.out)).toMatchObject({ client: CONFIDENTIAL.clientId, scope: 'api:read' })
  })

  it("a vendor preset by name drives the client (Bipsync's, pointed at the local server)", async () => {
    const run = await oauthkit([
      'token',
      '--preset',
      `bipsync:issuer=${servers.issuer}`,
      '--client-id',
      CONFIDENTIAL.clientId,
      '--client-secret-env',
      'SERVICE_SECRET',
      '--scope',
      'api:read',
      '--no-cache',
    ])
    expect(run.err).toContain('client_credentials: bearer token')
    expect(run.code).toBe(0)
  })

  it('token --grant password: the password from OAUTHKIT_PASSWORD, never the command line', async () => {
    const run = await oauthkit(
      ['token', '-p', 'service', '--grant', 'password', '--username', USER.login, '--scope', 'openid', '--no-cache', '--json'],
      { env: { OAUTHKIT_PASSWORD: USER.password } },
    )
    expect(run.code).toBe(0)
    expect(JSON.parse(run.out)).toMatchObject({ tokenType: 'bearer', accessToken: expect.any(String) })
  })

  it('the device flow with a QR code, then call, refresh, introspect and revoke on the cached grant', async () => {
    let approving: Promise<string> | undefined
    const device = await oauthkit(['token', '-p', 'user'], {
      onErrLine: (line) => {
        const url = /^Open (\S+) and enter \S+/.exec(line)?.[1]
        if (url) approving = actAsUser(url)
      },
    })
    await approving
    expect(device.code).toBe(0)
    expect(device.err).toMatch(/[▀▄█]{10}/)
    expect(device.err).toContain('with a refresh token')

    const me = await oauthkit(['call', `${servers.api}/me`, '-p', 'user', '--json'])
    expect(me.code).toBe(0)
    expect(JSON.parse(me.out)).toMatchObject({ status: 200, body: { sub: USER.login } })

    const before = JSON.parse(readFileSync(cacheFile('user'), 'utf8')) as { tokens: { accessToken: string } }
    const refresh = await oauthkit(['token', '-p', 'user', '--grant', 'refresh'])
    expect(refresh.code).toBe(0)
    expect(refresh.out.trim()).not.toBe(before.tokens.accessToken)

    const introspect = await oauthkit(['introspect', '-p', 'user', '--json'])
    expect(introspect.code).toBe(0)
    expect(JSON.parse(introspect.out)).toMatchObject({ active: true, sub: USER.login })

    const revoke = await oauthkit(['revoke', '-p', 'user'])
    expect(revoke.code).toBe(0)
    expect(revoke.err).toContain('revoked the cached refresh token')
    const after = await oauthkit(['call', `${servers.api}/me`, '-p', 'user'])
    expect(after.err).toContain('sign_in_required')
    expect(after.code).toBe(4)
  })

  it('the code flow: a loopback redirect, the browser opened with the URL (one argument, no secret in its environment), a forged callback ignored, the sign-in played by the test; inspect reads its ID token', async () => {
    const opened = join(scratch, 'opened')
    let approving: Promise<string> | undefined
    let forged: number | undefined
    const code = await oauthkit(['token', '-p', 'native', '--grant', 'code', '--json'], {
      env: { OAUTHKIT_PASSWORD: 'opener-must-not-see-this', OAUTHKIT_API_KEY: 'nor-this' },
      onErrLine: (line) => {
        if (!line.startsWith('Open ')) return
        approving = (async () => {
          while (!existsSync(opened)) await new Promise((r) => setTimeout(r, 50))
          const url = readFileSync(opened, 'utf8')
          expect(url).toBe(line.slice(5))
          const redirectUri = new URL(url).searchParams.get('redirect_uri')!
          expect(redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/)
          // Another page got to the loopback port first with an error of its own: ignored, the sign-in goes on.
          forged = (await fetch(`${redirectUri}?error=access_denied&state=forged`)).status
          return actAsUser(url)
        })()
      },
    })
    expect(await approving).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/)
    expect(forged).toBe(400)
    expect(code.code).toBe(0)
    // The opener got the URL as its one argument, and none of the secrets the CLI could read.
    expect(readFileSync(join(scratch, 'opener-argc'), 'utf8')).toBe('1')
    const openerEnv = readFileSync(join(scratch, 'opener-env'), 'utf8')
    expect(openerEnv).not.toMatch(/OAUTHKIT_|opener-must-not-see-this|nor-this/)
    expect(openerEnv).toContain('PATH=')
    const tokens = JSON.parse(code.out) as { idToken: string }

    const inspect = await oauthkit(['inspect', '-'], { stdin: tokens.idToken })
    expect(inspect.code).toBe(0)
    expect(inspect.err).toContain('not verified')
    expect(inspect.out).toContain(`"iss": "${servers.issuer}"`)
    expect(inspect.out).toMatch(/^exp +\d{4}-\d\d-\d\dT.* \(in \d+ s\)$/m)
    const fromStdin = await oauthkit(['inspect', '-', '--json'], { stdin: tokens.idToken })
    expect(JSON.parse(fromStdin.out)).toMatchObject({ payload: { aud: NATIVE.clientId } })
  })

  it('register: dynamic registration', async () => {
    const run = await oauthkit([
      'register',
      '--issuer',
      servers.issuer,
      '--redirect-uri',
      'http://127.0.0.1/cb',
      '--name',
      'cli test',
      '--auth-method',
      'none',
      '--json',
    ])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.out)).toMatchObject({
      client_id: expect.any(String),
      client_name: 'cli test',
      token_endpoint_auth_method: 'none',
    })
  })

  it('exit codes per recovery class: a wrong secret is 3 (the secret never printed), an unreachable server 5, a usage mistake 2', async () => {
    const wrong = await oauthkit(['token', '-p', 'service'], { env: { SERVICE_SECRET: 'wrong-secret-never-shown' } })
    expect(wrong.code).toBe(3)
    expect(wrong.err).toContain('[oauth_error (invalid_client)]')
    expect(wrong.err).toContain('→ check the configuration')
    expect(wrong.out + wrong.err).not.toContain('wrong-secret-never-shown')

    const down = await oauthkit(['discover', 'http://127.0.0.1:9/'])
    expect(down.code).toBe(5)

    const argv = await oauthkit(['token', '--issuer', servers.issuer, '--client-id', 'x', '--client-secret', 'on-the-command-line'])
    expect(argv.code).toBe(2)
    expect(argv.err).toContain('shell history')
    expect((await oauthkit(['nonsense'])).code).toBe(2)
    expect((await oauthkit(['token', '--grant', 'implicit', '-p', 'service'])).code).toBe(2)
    const noPreset = await oauthkit(['token', '--preset', 'acme', '--client-id', 'x'])
    expect(noPreset.err).toContain('no preset "acme" (presets: bipsync, epiship, epismo, eptura, organization-api)')
    expect(noPreset.code).toBe(3)
    const presetOption = await oauthkit(['token', '--preset', 'bipsync', '--client-id', 'x'])
    expect(presetOption.err).toContain('the bipsync preset needs client (--preset bipsync:client=…)')
    expect(presetOption.code).toBe(3)
    const notJwt = await oauthkit(['inspect', '-'], { stdin: 'opaque-token' })
    expect(notJwt.code).toBe(3)
    expect(notJwt.err).toContain('not a JWT')
  })

  it("a hostile server's escape sequences never reach the terminal: shown escaped, and --json stays valid JSON", async () => {
    // An authorization server on loopback whose metadata carries a clipboard write, a screen clear and a C1 CSI.
    const evil = '\u001b]52;c;ZXZpbA==\u0007\u001b[2J\u009b31m\u202e'
    const server = createServer((req, res) => {
      const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      if (req.url !== '/.well-known/oauth-authorization-server') return void res.writeHead(404).end()
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          issuer,
          token_endpoint: `${issuer}/token`,
          scopes_supported: [`read${evil}`],
          grant_types_supported: [`client_credentials${evil}`],
        }),
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const human = await oauthkit(['discover', issuer])
      expect(human.code).toBe(0)
      // eslint-disable-next-line no-control-regex
      expect(human.out + human.err).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/)
      expect(human.out).toContain('read\\x1b]52;c;ZXZpbA==\\x07')
      const json = await oauthkit(['discover', issuer, '--json'])
      // eslint-disable-next-line no-control-regex
      expect(json.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/)
      expect((JSON.parse(json.out) as { metadata: { scopes_supported: string[] } }).metadata.scopes_supported).toEqual([`read${evil}`])
    } finally {
      server.close()
    }
  })

  it('fails fast in scripts: an unset secret variable is exit 3 naming it; no sign-in starts unasked without a terminal', async () => {
    const unset = await oauthkit(['token', '-p', 'service'], { env: { SERVICE_SECRET: '' } })
    expect(unset.code).toBe(3)
    expect(unset.err).toContain('SERVICE_SECRET is not set')
    // A public client's default is the code flow: in a script (no TTY here) it is refused at once, not awaited.
    const unasked = await oauthkit(['token', '-p', 'native'])
    expect(unasked.code).toBe(2)
    expect(unasked.err).toContain('--grant code or --grant device')
  })

  it('usage errors are exit 2 and name what was probably meant; tokens on the command line are refused like secrets', async () => {
    const option = await oauthkit(['token', '--isuer', servers.issuer])
    expect(option.code).toBe(2)
    expect(option.err).toContain('no option --isuer; did you mean --issuer?')
    const command = await oauthkit(['tokn'])
    expect(command.code).toBe(2)
    expect(command.err).toContain('no command "tokn"; did you mean token?')
    expect(command.err.split('\n').length).toBeLessThan(5) // a line, the list of commands and a pointer, not the whole help
    for (const args of [
      ['introspect', 'a-token-in-ps', '-p', 'service'],
      ['revoke', 'a-token-in-ps', '-p', 'service'],
      ['inspect', 'a.b.c'],
    ]) {
      const run = await oauthkit(args)
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.err).toContain('shell history')
    }
  })

  it("the cache belongs to its owner: another client or scope finds no tokens (and sends none); call sends the token to the profile's API URLs only", async () => {
    expect((await oauthkit(['token', '-p', 'service'])).code).toBe(0)
    // The same profile with another client id: the first client's tokens are not its own.
    const other = await oauthkit(['token', '-p', 'service', '--client-id', 'another-client', '--grant', 'refresh'])
    expect(other.code).toBe(4)
    expect(other.err).toContain('no tokens cached')
    const otherScope = await oauthkit(['introspect', '-p', 'service', '--scope', 'api:write'])
    expect(otherScope.code).toBe(4)
    // Another issuer: its metadata is read, and nothing else is sent to it — no token of the first issuer's.
    const asked: string[] = []
    const otherIssuer = createServer((req, res) => {
      asked.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`)
      const issuer = `http://127.0.0.1:${(otherIssuer.address() as AddressInfo).port}`
      if (req.url === '/.well-known/oauth-authorization-server')
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            issuer,
            token_endpoint: `${issuer}/token`,
            introspection_endpoint: `${issuer}/introspect`,
            revocation_endpoint: `${issuer}/revoke`,
          }),
        )
      else res.writeHead(404).end()
    })
    await new Promise<void>((resolve) => otherIssuer.listen(0, '127.0.0.1', resolve))
    try {
      const issuer = `http://127.0.0.1:${(otherIssuer.address() as AddressInfo).port}`
      for (const args of [['introspect'], ['revoke'], ['token', '--grant', 'refresh']]) {
        const run = await oauthkit([...args, '-p', 'service', '--issuer', issuer])
        expect(run.code, args.join(' ')).toBe(4)
      }
      expect(asked.every((line) => line.startsWith('GET /.well-known/'))).toBe(true)
    } finally {
      otherIssuer.close()
    }
    // The first owner's tokens are still there.
    expect((await oauthkit(['introspect', '-p', 'service', '--json'])).code).toBe(0)
    // call: a URL outside the profile's API URLs is refused before anything is sent.
    const elsewhere = await oauthkit(['call', `${servers.issuer}/me`, '-p', 'service'])
    expect(elsewhere.code).toBe(3)
    expect(elsewhere.err).toContain('not under the API URLs')
    const allowed = await oauthkit(['call', `${servers.issuer}/me`, '-p', 'service', '--api-url', servers.issuer])
    expect(allowed.code).not.toBe(3)
  })
})
