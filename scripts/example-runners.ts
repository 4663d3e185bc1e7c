/**
 * The runners behind `npm run example <name>` (scripts/example.ts lists the examples without
 * loading any of this): each runs `examples/<name>.ts`, unchanged, offline — against the local
 * authorization server and API (oidc-provider on 127.0.0.1), or against the vendor's emulator
 * from `oauthkit/testing` (msw, strict: a request nothing answers is an error). The examples
 * import `oauthkit` from the sources, so nothing needs building first. Where an example waits
 * for a user (a device code, a browser sign-in), the runner plays the user and says so.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { setupServer } from 'msw/node'
import type { HttpHandler } from 'msw'
import { bipsyncServer, epishipServer, epismoServer, epturaServer, organizationApiServer, type Emulator } from '../src/entries/testing.js'
import { createOAuthClient, isOAuthKitError } from '../src/index.js'
import { ACME_CLIENT, acmeCloudServer } from '../test/support/acme-cloud.js'
import { CONFIDENTIAL, USER, actAsUser, signAssertion, startLocalServers } from '../test/support/authorization-server.js'
import { startMcpWorld } from '../test/support/mcp-server.js'
import { startSpa } from './serve-spa.js'

/** A port of 127.0.0.1 free right now (the example's fixed redirect port, chosen per run). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

const examples = fileURLToPath(new URL('../examples/', import.meta.url))

interface Example {
  /** Where it runs. */
  about: string
  run(args: string[]): Promise<void>
}

/** Runs the example module in this process, as `tsx examples/<name>.ts ...args` would. */
async function load(name: string, args: string[]): Promise<Record<string, unknown>> {
  const file = join(examples, `${name}.ts`)
  process.argv = [process.argv[0]!, file, ...args]
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>
}

/**
 * Echoes what the example prints, keeps the lines, and plays the user whenever it prints
 * "Open <url> and enter <code>" (the device flow) or "Open <url> to sign in" (a browser
 * sign-in). Returns the lines, the approvals asked for, and a function that puts console.log back.
 */
function playUser(approve: (url: string, userCode: string | undefined) => Promise<unknown> | void) {
  const original = console.log
  const lines: string[] = []
  const approving: Array<Promise<unknown>> = []
  console.log = (...parts: unknown[]) => {
    original(...parts)
    const line = typeof parts[0] === 'string' ? parts[0] : ''
    lines.push(line)
    const prompt = /^Open (\S+) (?:and enter (\S+)|to sign in)/.exec(line)
    if (prompt) {
      original(`  (npm run example: ${prompt[2] ? 'approving' : 'signing in'} as the example user)`)
      approving.push(Promise.resolve(approve(prompt[1]!, prompt[2])))
    }
  }
  return { lines, approval: () => Promise.all(approving), restore: () => void (console.log = original) }
}

/** The examples written for any standard server, against the local authorization server and API. */
function local(
  name: string,
  env: (servers: { issuer: string; api: string }) => Record<string, string> | Promise<Record<string, string>>,
): Example {
  return {
    about: 'the local authorization server (oidc-provider) and API on 127.0.0.1',
    async run(args) {
      const servers = await startLocalServers()
      const scratch = mkdtempSync(join(tmpdir(), 'oauthkit-example-'))
      Object.assign(
        process.env,
        {
          OAUTH_ISSUER: servers.issuer,
          OAUTH_CLIENT_ID: CONFIDENTIAL.clientId,
          OAUTH_CLIENT_SECRET: CONFIDENTIAL.clientSecret,
          API_URL: servers.api,
          TOKEN_FILE: join(scratch, 'tokens.json'),
        },
        await env(servers),
      )
      const user = playUser((url) => actAsUser(url))
      try {
        await load(name, args)
        await user.approval()
      } finally {
        user.restore()
        rmSync(scratch, { recursive: true, force: true })
        await servers.stop()
      }
    },
  }
}

/** A vendor example against the vendor's emulator, with the credentials the emulator knows. */
function emulated(
  name: string,
  setup: () => { emulator: Emulator; env: Record<string, string>; extra?: HttpHandler[] },
  after?: (module: Record<string, unknown>, emulator: Emulator, printed: string[]) => Promise<void>,
): Example {
  return {
    about: "the vendor's emulator from oauthkit/testing (msw; nothing leaves the process)",
    async run(args) {
      const { emulator, env, extra = [] } = setup()
      const msw = setupServer(...emulator.handlers, ...extra)
      msw.listen({ onUnhandledRequest: 'error' })
      Object.assign(process.env, env)
      const user = playUser((_url, userCode) => (userCode ? emulator.approveDevice(userCode, { user: 'ann' }) : undefined))
      try {
        const module = await load(name, args)
        await user.approval()
        await after?.(module, emulator, user.lines)
      } finally {
        user.restore()
        msw.close()
      }
    },
  }
}

export const EXAMPLES: Record<string, Example> = {
  'client-credentials': local('client-credentials', ({ api }) => ({ API_URL: `${api}/things` })),
  'm2m-session': local('m2m-session', () => ({})),
  'session-fetch': local('session-fetch', () => ({})),
  'session-ky': local('session-ky', () => ({})),
  'device-flow': local('device-flow', () => ({})),
  'cli-file-store': local('cli-file-store', () => ({})),
  // A user's access token to exchange (from the local server's password grant), and an assertion its trusted identity provider signed.
  'token-exchange': local('token-exchange', async ({ issuer }) => {
    const client = await createOAuthClient({ issuer, ...CONFIDENTIAL })
    const user = await client.passwordGrant({ username: USER.login, password: USER.password, scope: 'openid profile' })
    return { SUBJECT_TOKEN: user.accessToken, ASSERTION: signAssertion({ sub: 'grace', aud: issuer }) }
  }),
  'dialect-from-scratch': emulated('dialect-from-scratch', () => ({
    emulator: acmeCloudServer(),
    env: { ACME_CLIENT_ID: ACME_CLIENT.clientId, ACME_CLIENT_SECRET: ACME_CLIENT.clientSecret },
  })),
  'vendor-bipsync': emulated('vendor-bipsync', () => ({
    emulator: bipsyncServer({
      client: 'acme',
      clients: [{ clientId: 'example-app', clientSecret: 'example-secret' }],
      users: { ann: 'pw' },
    }),
    env: { BIPSYNC_CLIENT: 'acme', BIPSYNC_CLIENT_ID: 'example-app', BIPSYNC_CLIENT_SECRET: 'example-secret' },
  })),
  'vendor-epiship': emulated('vendor-epiship', () => ({
    emulator: epishipServer({
      baseUrl: 'https://api.epiship.example',
      clients: [{ clientId: 'example-app', clientSecret: 'example-secret' }],
      users: { ann: 'pw' },
    }),
    env: {
      EPISHIP_API: 'https://api.epiship.example',
      EPISHIP_CLIENT_ID: 'example-app',
      EPISHIP_CLIENT_SECRET: 'example-secret',
      EPISHIP_USER: 'ann',
      EPISHIP_PASSWORD: 'pw',
    },
  })),
  'vendor-eptura': emulated('vendor-eptura', () => ({
    emulator: epturaServer({
      site: 'https://acme.eptura.example',
      clients: [{ clientId: 'example-app', redirectUris: ['https://app.example.com/eptura/callback'] }],
      users: { ann: 'pw' },
    }),
    env: { EPTURA_SITE: 'acme.eptura.example', EPTURA_CLIENT_ID: 'example-app', EPTURA_USER: 'ann', EPTURA_PASSWORD: 'pw' },
  })),
  'vendor-organization-api': emulated('vendor-organization-api', () => ({
    emulator: organizationApiServer({ server: 'org.example.com', clients: [{ clientId: 'example-app', clientSecret: 'example-secret' }] }),
    env: { ORG_SERVER: 'org.example.com', ORG_CLIENT_ID: 'example-app', ORG_CLIENT_SECRET: 'example-secret' },
  })),
  'vendor-epismo-mcp': emulated(
    'vendor-epismo-mcp',
    () => ({
      emulator: epismoServer({ issuer: 'https://auth.epismo.example', mcp: 'https://mcp.epismo.example/mcp' }),
      env: { EPISMO_MCP: 'https://mcp.epismo.example/mcp' },
    }),
    async (module, emulator, printed) => {
      const url = printed.map((line) => /^open (\S+)/.exec(line)?.[1]).find(Boolean)
      if (!url) throw new Error('the example printed no URL to open')
      console.log('  (npm run example: signing in as the example user)')
      const res = await (module.complete as (callback: string) => Promise<Response>)(await emulator.approve(url, { user: 'ann' }))
      console.log(`POST tools/list → ${res.status}`)
    },
  ),
  'mcp-client': {
    about: 'an MCP server built with the official SDK, behind two oidc-provider authorization servers, on 127.0.0.1',
    async run(args) {
      const world = await startMcpWorld()
      Object.assign(process.env, { MCP_SERVER: world.url, REDIRECT_PORT: String(await freePort()) })
      // The browser: oidc-provider's pages, then the example's loopback listener.
      const user = playUser((url) => actAsUser(url))
      try {
        await load('mcp-client', args)
        await user.approval()
      } finally {
        user.restore()
        await world.stop()
      }
    },
  },
  spa: {
    about: 'serves examples/spa with the local servers; open the address it prints (Ctrl-C to stop)',
    async run() {
      const spa = await startSpa()
      console.log(`SPA on ${spa.url} — sign in with any login and password; Ctrl-C to stop`)
      await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve))
      await spa.stop()
    },
  },
}

/** Runs one example; resolves the process's exit code (the error printed). */
export async function runExample(name: string, args: string[]): Promise<number> {
  try {
    await EXAMPLES[name]!.run(args)
    return 0
  } catch (err) {
    console.error(
      isOAuthKitError(err)
        ? `${err.name} [${err.code}]: ${err.message}`
        : err instanceof Error
          ? `${err.name}: ${err.message}`
          : String(err),
    )
    return 1
  }
}
