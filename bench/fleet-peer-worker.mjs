// One process of the bench's fleet for @badgateway/oauth2-client: its OAuth2Fetch wrapper with
// client_credentials and a token kept in a file the processes share (getStoredToken /
// storeToken), as its documentation suggests for persistence. It has no lock: each process
// renews on its own. Prints a JSON line like test/support/fleet-worker.ts.
import { readFileSync, writeFileSync } from 'node:fs'
import { OAuth2Client, OAuth2Fetch } from '@badgateway/oauth2-client'

const env = process.env
const client = new OAuth2Client({ server: env.ISSUER, clientId: env.CLIENT_ID, clientSecret: env.CLIENT_SECRET, tokenEndpoint: '/token' })
const wrapper = new OAuth2Fetch({
  client,
  getNewToken: () => client.clientCredentials({ scope: ['api:read'], resource: [env.API] }),
  getStoredToken: () => {
    try {
      return JSON.parse(readFileSync(env.TOKEN_FILE, 'utf8'))
    } catch {
      return null
    }
  },
  storeToken: (token) => writeFileSync(env.TOKEN_FILE, JSON.stringify(token)),
})
let calls = 0
let failed = 0
const end = Date.now() + Number(env.SECONDS) * 1000
await Promise.all(
  Array.from({ length: Number(env.CALLERS || 5) }, async () => {
    while (Date.now() < end) {
      calls++
      const res = await wrapper.fetch(`${env.API}/me`).catch(() => undefined)
      if (res?.status !== 200) failed++
      await res?.arrayBuffer().catch(() => {})
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }),
)
process.stdout.write(`${JSON.stringify({ calls, failed, errors: {} })}\n`)
process.exit(0)
