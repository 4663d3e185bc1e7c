/**
 * The fault soak (#14): 10 callers — 5 through session.fetch, 5 through ky — call an API for
 * 12 s while the token endpoint fails a fifth of its requests (500, 503, 429 + Retry-After, a
 * 3 s stall, a reset connection) and access tokens live 2–3 s. Every API call must succeed.
 * The same scenario runs in `npm run bench` beside the peers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOAuthClient } from '../../src/index.js'
import { createAuthorizedKy } from '../../src/entries/ky.js'
import { SOAK_CLIENT, startFaultyServer, type FaultyServer } from '../support/faulty-server.js'

// The 20 s run beside the peers is `npm run bench`'s; this one shows the same property.
const SECONDS = 12
let server: FaultyServer

beforeAll(async () => {
  server = await startFaultyServer()
})
afterAll(() => server?.stop())

describe('a token endpoint having a bad minute', () => {
  it(
    `${SECONDS} s of 10 callers: no API call fails`,
    async () => {
      const client = await createOAuthClient({ ...SOAK_CLIENT, metadata: { issuer: server.issuer, token_endpoint: server.tokenEndpoint } })
      // Two sessions (as two services sharing the client would have), each renewing on its own.
      const session = client.session({ grant: 'client_credentials', apiUrls: [server.api] })
      const other = client.session({ grant: 'client_credentials', apiUrls: [server.api] })
      const ky = createAuthorizedKy(other, { apiUrls: [server.api], throwHttpErrors: false, retry: 0 })
      const failures: string[] = []
      let calls = 0
      const end = Date.now() + SECONDS * 1000
      const caller = async (call: () => Promise<Response>) => {
        while (Date.now() < end) {
          calls++
          try {
            const res = await call()
            if (res.status !== 200) failures.push(`HTTP ${res.status}`)
          } catch (err) {
            failures.push(String((err as { code?: string }).code ?? err))
          }
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      }
      await Promise.all([
        ...Array.from({ length: 5 }, () => caller(() => session.fetch(server.api))),
        ...Array.from({ length: 5 }, () => caller(() => ky.get(server.api))),
      ])
      session.close()
      other.close()
      const faults = Object.keys(server.tokenRequests).filter((k) => k !== 'ok')
      // The scenario really happened: thousands of calls, dozens of renewals, faults of several kinds.
      expect(calls).toBeGreaterThan(1000)
      expect(server.tokenRequests.ok).toBeGreaterThan(10)
      expect(faults.length, JSON.stringify(server.tokenRequests)).toBeGreaterThanOrEqual(3)
      expect(failures).toEqual([])
    },
    (SECONDS + 30) * 1000,
  )
})
