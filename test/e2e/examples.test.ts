/** The examples run, unchanged, against the local authorization server and API. */
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONFIDENTIAL, actAsUser, startLocalServers, type LocalServers } from '../support/authorization-server.js'

const root = resolve(import.meta.dirname, '..', '..')
let servers: LocalServers

beforeAll(async () => {
  servers = await startLocalServers()
})
afterAll(() => servers?.stop())

function runExample(file: string, env: Record<string, string>, onLine?: (line: string) => void) {
  const child = spawn(resolve(root, 'node_modules/.bin/tsx'), ['--tsconfig', 'examples/tsconfig.json', file], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk
    for (const line of chunk.toString().split('\n')) if (line) onLine?.(line)
  })
  child.stderr.on('data', (chunk: Buffer) => (out += chunk))
  return new Promise<{ code: number | null; out: string }>((done) => child.on('close', (code) => done({ code, out })))
}

describe('examples', () => {
  it('client-credentials.ts gets a token and calls the API', async () => {
    const result = await runExample('examples/client-credentials.ts', {
      OAUTH_ISSUER: servers.issuer,
      OAUTH_CLIENT_ID: CONFIDENTIAL.clientId,
      OAUTH_CLIENT_SECRET: CONFIDENTIAL.clientSecret,
      API_URL: `${servers.api}/things`,
    })
    expect(result.out).toContain('→ 200')
    expect(result.code).toBe(0)
  })

  for (const file of ['examples/session-fetch.ts', 'examples/session-ky.ts', 'examples/m2m-session.ts']) {
    it(`${file} calls the API through a session`, async () => {
      const result = await runExample(file, {
        OAUTH_ISSUER: servers.issuer,
        OAUTH_CLIENT_ID: CONFIDENTIAL.clientId,
        OAUTH_CLIENT_SECRET: CONFIDENTIAL.clientSecret,
        API_URL: servers.api,
      })
      expect(result.out).toMatch(/50 of 50 calls succeeded|20 of 20 calls succeeded|called the API as confidential-app/)
      expect(result.code).toBe(0)
    })
  }

  it('cli-file-store.ts signs in once, then starts signed in', async () => {
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'oauthkit-cli-')), 'tokens.json')
    const env = { OAUTH_ISSUER: servers.issuer, OAUTH_CLIENT_ID: CONFIDENTIAL.clientId, OAUTH_CLIENT_SECRET: CONFIDENTIAL.clientSecret, API_URL: servers.api, TOKEN_FILE: tokenFile }
    let approving: Promise<string> | undefined
    const first = await runExample('examples/cli-file-store.ts', env, (line) => {
      const url = /^Open (\S+) and enter/.exec(line)?.[1]
      if (url) approving = actAsUser(url)
    })
    await approving
    expect(first.out).toContain('GET /me → 200')
    expect(first.code).toBe(0)
    const second = await runExample('examples/cli-file-store.ts', env)
    expect(second.out).not.toContain('Open ')
    expect(second.out).toContain('GET /me → 200')
  })

  it('device-flow.ts shows a code and signs in once the user approves', async () => {
    let approving: Promise<string> | undefined
    const result = await runExample(
      'examples/device-flow.ts',
      { OAUTH_ISSUER: servers.issuer, OAUTH_CLIENT_ID: CONFIDENTIAL.clientId, OAUTH_CLIENT_SECRET: CONFIDENTIAL.clientSecret },
      (line) => {
        const url = /^Open (\S+) and enter/.exec(line)?.[1]
        if (url) approving = actAsUser(url)
      },
    )
    await approving
    expect(result.out).toContain('signed in')
    expect(result.code).toBe(0)
  })
})
