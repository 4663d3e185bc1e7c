/**
 * Every option of the `oauthkit` command line, run through `main()` against a strict msw server
 * (the whole CLI is spawned against oidc-provider in test/e2e/cli.test.ts): what each flag
 * changes in the requests that go out, the profile fields beside them, and the mistakes a
 * newcomer makes — a misspelt option, command, profile field, endpoint name or dialect field,
 * a host name that does not resolve — each with its exit code and the word probably meant.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { http, HttpResponse, passthrough } from 'msw'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { main, OPTIONS } from '../../src/cli/main.js'
import { ISSUER, discoveryHandler, metadata, tokenJson } from '../support/as-mock.js'
import { form, useStrictMsw } from '../support/msw.js'

const msw = useStrictMsw()
const scratch = mkdtempSync(join(tmpdir(), 'oauthkit-cli-options-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const API = 'https://api.example.com'
const SECRET = 'the-client-secret'
const token = { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600 }

/** Runs the command line in this process: exit code, stdout, stderr. */
async function cli(args: string[], env: Record<string, string> = {}, stdin = '') {
  let out = ''
  let err = ''
  const code = await main(args, {
    out: { write: (t: string) => (out += t) },
    err: { write: (t: string) => (err += t) },
    env: {
      OAUTHKIT_CONFIG: join(scratch, 'none.json'),
      OAUTHKIT_CACHE_DIR: join(scratch, 'cache'),
      OAUTHKIT_CLIENT_SECRET: SECRET,
      ...env,
    },
    stdin: async () => stdin,
  })
  return { code, out, err }
}

/** The token endpoint at `url`: answers `token` and keeps what it was sent. */
function tokenEndpoint(url = `${ISSUER}/token`) {
  const sent: Request[] = []
  msw.server.use(
    http.post(url, ({ request }) => {
      sent.push(request.clone())
      return tokenJson(token)
    }),
  )
  return sent
}

const file = (name: string, text: string) => {
  const path = join(scratch, name)
  writeFileSync(path, text, { mode: 0o600 })
  return path
}
/** `oauthkit token` for the client `c` of the mocked server. */
const TOKEN = ['token', '--issuer', ISSUER, '--client-id', 'c']
const basic = (r: Request) => Buffer.from((r.headers.get('authorization') ?? '').replace(/^Basic /, ''), 'base64').toString()

describe('every option is tested', () => {
  it('each long option of the command line appears in the CLI tests', () => {
    const tests = ['test/cli/options.test.ts', 'test/cli/cli.test.ts', 'test/e2e/cli.test.ts']
      .map((f) => readFileSync(resolve(import.meta.dirname, '..', '..', f), 'utf8'))
      .join('\n')
    expect(Object.keys(OPTIONS).filter((o) => !tests.includes(`'--${o}`))).toEqual([])
  })
})

describe('where the client comes from', () => {
  it('--profile and --config: the named profile of the named file', async () => {
    const config = file('config.json', JSON.stringify({ profiles: { svc: { issuer: ISSUER, clientId: 'svc-client', scope: 'read' } } }))
    msw.server.use(discoveryHandler())
    const sent = tokenEndpoint()
    const run = await cli(['token', '--profile', 'svc', '--config', config, '--no-cache'])
    expect(run).toMatchObject({ code: 0, out: 'at-1\n' })
    expect(basic(sent[0]!)).toBe(`svc-client:${SECRET}`)
    expect((await form(sent[0]!)).get('scope')).toBe('read')
  })

  it('--client-secret-file: the secret is the first line of the file; --client-secret-env names the variable', async () => {
    msw.server.use(discoveryHandler())
    const sent = tokenEndpoint()
    const secretFile = file('secret', 'from-the-file\nignored\n')
    expect((await cli([...TOKEN, '--client-secret-file', secretFile, '--no-cache'])).code).toBe(0)
    expect(basic(sent[0]!)).toBe('c:from-the-file')
    expect(
      (
        await cli([...TOKEN, '--client-secret-env', 'MY_SECRET', '--no-cache'], {
          MY_SECRET: 'from-env',
        })
      ).code,
    ).toBe(0)
    expect(basic(sent[1]!)).toBe('c:from-env')
  })

  it('--scope, --resource and --audience go into the token request', async () => {
    msw.server.use(discoveryHandler())
    const sent = tokenEndpoint()
    const run = await cli([...TOKEN, '--scope', 'a b', '--resource', API, '--audience', 'orders', '--no-cache'])
    expect(run.code).toBe(0)
    const body = await form(sent[0]!)
    expect([body.get('scope'), body.get('resource'), body.get('audience')]).toEqual(['a b', API, 'orders'])
  })

  it('--username and --password-file: the password grant, the password from the file', async () => {
    msw.server.use(discoveryHandler())
    const sent = tokenEndpoint()
    const run = await cli([...TOKEN, '--grant', 'password', '--username', 'ann', '--password-file', file('pw', 'hunter2\n'), '--no-cache'])
    expect(run.code).toBe(0)
    const body = await form(sent[0]!)
    expect([body.get('grant_type'), body.get('username'), body.get('password')]).toEqual(['password', 'ann', 'hunter2'])
  })
})

describe('reaching servers the defaults refuse', () => {
  const LAB = 'http://auth.lab.internal'

  it("--allow-insecure-http (or the profile's allowInsecureHttp): plain http: off loopback, refused without it with the flag named", async () => {
    const refused = await cli(['token', '--issuer', LAB, '--client-id', 'c', '--no-cache'])
    expect(refused.code).toBe(3)
    expect(refused.err).toContain('[insecure_url]')
    expect(refused.err).toContain('→ plain http: goes to loopback only; on a network you trust, pass --allow-insecure-http')
    msw.server.use(http.get(`${LAB}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata(LAB))))
    const sent = tokenEndpoint(`${LAB}/token`)
    expect(await cli(['token', '--issuer', LAB, '--client-id', 'c', '--no-cache', '--allow-insecure-http'])).toMatchObject({
      code: 0,
      out: 'at-1\n',
    })
    const config = file('lab.json', JSON.stringify({ profiles: { lab: { issuer: LAB, clientId: 'c', allowInsecureHttp: true } } }))
    expect((await cli(['token', '-p', 'lab', '--config', config, '--no-cache'])).code).toBe(0)
    expect(sent).toHaveLength(2)
  })

  it('--endpoint token=URL: no discovery at all (the strict mock would fail it), the token from that URL', async () => {
    const sent = tokenEndpoint('https://vendor.example.com/oauth2/token')
    const run = await cli(['token', '--client-id', 'c', '--endpoint', 'token=https://vendor.example.com/oauth2/token', '--no-cache'])
    expect(run).toMatchObject({ code: 0, out: 'at-1\n' })
    expect(sent).toHaveLength(1)
  })

  it("--endpoint beside --issuer overrides one discovered endpoint; the profile's endpoints do the same", async () => {
    msw.server.use(discoveryHandler(metadata(ISSUER, { revocation_endpoint: undefined })))
    const revoked: string[] = []
    msw.server.use(
      http.post(
        'https://as.example.com/oauth/revoke',
        async ({ request }) => (revoked.push((await form(request)).get('token')!), new HttpResponse(null, { status: 200 })),
      ),
    )
    const run = await cli(
      ['revoke', '-', '--issuer', ISSUER, '--client-id', 'c', '--endpoint', 'revocation=https://as.example.com/oauth/revoke'],
      {},
      'tok-1\n',
    )
    expect(run.code).toBe(0)
    const config = file(
      'ep.json',
      JSON.stringify({
        profiles: { p: { issuer: ISSUER, clientId: 'c', endpoints: { revocation: 'https://as.example.com/oauth/revoke' } } },
      }),
    )
    expect((await cli(['revoke', '-', '-p', 'p', '--config', config], {}, 'tok-2\n')).code).toBe(0)
    expect(revoked).toEqual(['tok-1', 'tok-2'])
  })

  it("an endpoint name that is not one is a usage error naming the one probably meant (a profile's: exit 3)", async () => {
    const flag = await cli(['token', '--client-id', 'c', '--endpoint', 'tokn=https://vendor.example.com/token'])
    expect(flag.code).toBe(2)
    expect(flag.err).toContain('--endpoint: no endpoint "tokn" (did you mean token?)')
    expect((await cli(['token', '--client-id', 'c', '--endpoint', 'https://vendor.example.com/token'])).err).toContain(
      '--endpoint takes NAME=URL',
    )
    const config = file(
      'bad-ep.json',
      JSON.stringify({ profiles: { p: { clientId: 'c', endpoints: { introspect: 'https://x.example/i' } } } }),
    )
    const profile = await cli(['token', '-p', 'p', '--config', config])
    expect(profile.code).toBe(3)
    expect(profile.err).toContain('"introspect" (did you mean introspection?)')
  })

  it('--dialect FILE: a server whose token endpoint takes JSON and states expires_in in milliseconds', async () => {
    const dialect = file('acme.json', JSON.stringify({ name: 'Acme', token: { placement: 'json' }, expiresIn: { unit: 'milliseconds' } }))
    msw.server.use(discoveryHandler())
    let body: unknown
    msw.server.use(
      http.post(`${ISSUER}/token`, async ({ request }) => ((body = await request.json()), tokenJson({ ...token, expires_in: 3_600_000 }))),
    )
    const run = await cli([...TOKEN, '--dialect', dialect, '--no-cache', '--json'])
    expect(run.code).toBe(0)
    expect(body).toMatchObject({ grant_type: 'client_credentials' })
    const left = (JSON.parse(run.out) as { expiresAt: number }).expiresAt - Date.now()
    expect(left).toBeGreaterThan(3_500_000)
    expect(left).toBeLessThanOrEqual(3_600_000)
  })

  it("a dialect file's mistake names the file, the field and what it may be; a profile's dialect path is read beside the config file", async () => {
    const wrong = file('wrong.json', JSON.stringify({ name: 'Acme', token: { placement: 'headers' } }))
    const run = await cli([...TOKEN, '--dialect', wrong])
    expect(run.code).toBe(3)
    expect(run.err).toContain(`the dialect file ${wrong}: dialect: token.placement`)
    expect(run.err).toContain('header')
    const misspelt = file('misspelt.json', JSON.stringify({ name: 'Acme', expiresIn: { units: 'milliseconds' } }))
    expect((await cli([...TOKEN, '--dialect', misspelt])).err).toContain('did you mean expiresIn.unit?')
    expect((await cli([...TOKEN, '--dialect', file('nojson.json', '{ name: ')])).err).toContain('is not JSON')
    const config = file('with-dialect.json', JSON.stringify({ profiles: { p: { issuer: ISSUER, clientId: 'c', dialect: 'wrong.json' } } }))
    expect((await cli(['token', '-p', 'p', '--config', config])).err).toContain(`the dialect file ${wrong}:`)
  })
})

describe('the requests of call, revoke and register', () => {
  it('call: -X/--method, -d/--data (@file too), -H/--header and --api-url shape the API request', async () => {
    msw.server.use(discoveryHandler())
    tokenEndpoint()
    const seen: Array<{ method: string; body: string; header: string | null; auth: string | null }> = []
    msw.server.use(
      http.all(`${API}/v1/things`, async ({ request }) => {
        seen.push({
          method: request.method,
          body: await request.text(),
          header: request.headers.get('x-trace'),
          auth: request.headers.get('authorization'),
        })
        return HttpResponse.json({ ok: true })
      }),
    )
    const base = ['call', `${API}/v1/things`, '--issuer', ISSUER, '--client-id', 'c', '--api-url', `${API}/v1`]
    expect((await cli([...base, '--method', 'PUT', '--data', '{"a":1}', '--header', 'x-trace: 7'])).code).toBe(0)
    expect((await cli([...base, '-d', `@${file('body.json', '{"b":2}')}`])).code).toBe(0)
    expect(seen).toEqual([
      { method: 'PUT', body: '{"a":1}', header: '7', auth: 'Bearer at-1' },
      { method: 'POST', body: '{"b":2}', header: null, auth: 'Bearer at-1' },
    ])
  })

  it('revoke: --token-type-hint goes with the token', async () => {
    msw.server.use(discoveryHandler())
    const sent: URLSearchParams[] = []
    msw.server.use(
      http.post(`${ISSUER}/revoke`, async ({ request }) => (sent.push(await form(request)), new HttpResponse(null, { status: 200 }))),
    )
    expect(
      (await cli(['revoke', '-', '--issuer', ISSUER, '--client-id', 'c', '--token-type-hint', 'access_token'], {}, 'tok\n')).code,
    ).toBe(0)
    expect([sent[0]!.get('token'), sent[0]!.get('token_type_hint')]).toEqual(['tok', 'access_token'])
  })

  it('register: --redirect-uri, --name, --auth-method and --grant-types make the registration request', async () => {
    msw.server.use(discoveryHandler())
    let sent: Record<string, unknown> = {}
    msw.server.use(
      http.post(`${ISSUER}/register`, async ({ request }) => {
        sent = (await request.json()) as Record<string, unknown>
        return HttpResponse.json({ ...sent, client_id: 'new-client' }, { status: 201 })
      }),
    )
    const run = await cli([
      'register',
      '--issuer',
      ISSUER,
      '--redirect-uri',
      'http://127.0.0.1/cb',
      '--name',
      'My tool',
      '--auth-method',
      'none',
      '--grant-types',
      'authorization_code,refresh_token',
    ])
    expect(run).toMatchObject({ code: 0, out: 'client_id     new-client\n' })
    expect(sent).toMatchObject({
      redirect_uris: ['http://127.0.0.1/cb'],
      client_name: 'My tool',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    })
  })

  it('--no-browser: the code flow prints the URL and opens nothing (without it, $BROWSER is run)', async () => {
    msw.server.use(
      discoveryHandler(),
      http.all(/^http:\/\/127\.0\.0\.1:\d+\//, () => passthrough()),
    )
    tokenEndpoint()
    // A "browser" that only leaves a mark: whether the CLI ran it.
    const opened = join(scratch, 'opened')
    const browser = file('browser.sh', `#!/bin/sh\ntouch '${opened}'\n`)
    chmodSync(browser, 0o700)
    const signIn = (extra: string[]) => {
      let printed = ''
      let answered = false
      return main(['token', '--issuer', ISSUER, '--client-id', 'public', '--grant', 'code', '--no-cache', ...extra], {
        out: { write: () => true },
        err: {
          write: (t: string) => {
            printed += t
            const url = /^Open (\S+)/m.exec(printed)?.[1]
            if (!url || answered) return
            answered = true
            // The user, back at the loopback listener with the code.
            const asked = new URL(url)
            const back = new URL(asked.searchParams.get('redirect_uri')!)
            back.search = new URLSearchParams({ code: 'c0de', state: asked.searchParams.get('state')!, iss: ISSUER }).toString()
            void fetch(back)
          },
        },
        env: { OAUTHKIT_CONFIG: join(scratch, 'none.json'), OAUTHKIT_CACHE_DIR: join(scratch, 'cache'), BROWSER: browser },
        stdin: async () => '',
      })
    }
    expect(await signIn(['--no-browser'])).toBe(0)
    await new Promise((r) => setTimeout(r, 200))
    expect(existsSync(opened)).toBe(false)
    // The control: the same sign-in without the flag runs the browser.
    expect(await signIn([])).toBe(0)
    for (let i = 0; i < 40 && !existsSync(opened); i++) await new Promise((r) => setTimeout(r, 50))
    expect(existsSync(opened)).toBe(true)
  })
})

describe('mistakes a newcomer makes', () => {
  it('a misspelt option: its name and the option probably meant, exit 2', async () => {
    const run = await cli(['token', '--isuer', ISSUER])
    expect(run.code).toBe(2)
    expect(run.err).toContain('no option --isuer; did you mean --issuer?')
    expect(run.err).not.toContain('Unknown option')
  })

  it('an unknown command: the command probably meant and the short list, not the whole help', async () => {
    const run = await cli(['tokn'])
    expect(run.code).toBe(2)
    expect(run.err).toContain('no command "tokn"; did you mean token?')
    expect(run.err).toContain('commands: discover, token, call, inspect, revoke, introspect, register')
    expect(run.err.split('\n').length).toBeLessThan(5)
    expect(run.out).toBe('')
  })

  it('a misspelt profile field: exit 3, naming the field and the one probably meant (never ignored)', async () => {
    const config = file('typo.json', JSON.stringify({ profiles: { p: { isuer: ISSUER, clientId: 'c' } } }))
    const run = await cli(['token', '-p', 'p', '--config', config])
    expect(run.code).toBe(3)
    expect(run.err).toContain('has no field "isuer" (did you mean issuer?)')
  })

  it('a host name that does not resolve is the configuration (exit 3), not a passing fault to retry (exit 5)', async () => {
    const enotfound = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }) })
    const spy = vi.spyOn(globalThis, 'fetch').mockRejectedValue(enotfound)
    try {
      const run = await cli(['token', '--issuer', 'https://auth.exmaple.com', '--client-id', 'c'])
      expect(run.code).toBe(3)
      expect(run.err).toContain('[unknown_host]')
      expect(run.err).toContain('https://auth.exmaple.com/.well-known/oauth-authorization-server: ENOTFOUND')
    } finally {
      spy.mockRestore()
    }
  })
})
