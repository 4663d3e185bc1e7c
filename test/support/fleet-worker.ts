/**
 * One process of a fleet (#15): a session on a shared store calling the API with concurrent
 * callers for a while, then a JSON line with what happened. Spawned by the fleet tests with
 * `tsx`; every setting comes from the environment.
 *
 *   STORE=file TOKEN_FILE=…  or  STORE=redis REDIS_URL=… KEY=…  or  STORE=memory (this process alone)
 *   ISSUER=… CLIENT_ID=… CLIENT_SECRET=… API=… SECONDS=… CALLERS=… [GRANT=client_credentials] [DPOP=1: the store's DPoP key]
 */
import { createClient } from 'redis'
import { createDPoP, createOAuthClient, isOAuthKitError, memoryStore, type TokenStore } from '../../src/index.js'
import { fileStore } from '../../src/entries/node.js'
import { redisStore } from '../../src/entries/redis.js'

const env = (name: string) => process.env[name] ?? ''
let redis: ReturnType<typeof createClient> | undefined
let store: TokenStore
if (env('STORE') === 'redis') {
  redis = createClient({ url: env('REDIS_URL'), socket: { reconnectStrategy: () => 100 } })
  redis.on('error', () => {}) // an outage is the test's: the client reconnects
  await redis.connect()
  store = redisStore(redis, { key: env('KEY') })
} else if (env('STORE') === 'memory') {
  store = memoryStore()
} else {
  store = fileStore(env('TOKEN_FILE'))
}
// With DPOP=1, every process proves possession with the key the store keeps (the first one makes it).
const dpop = env('DPOP') ? await createDPoP({ store }) : undefined
const client = await createOAuthClient({
  issuer: env('ISSUER'),
  clientId: env('CLIENT_ID'),
  clientSecret: env('CLIENT_SECRET'),
  discoveryCache: false,
  ...(dpop ? { dpop } : {}),
})
const m2m = env('GRANT') === 'client_credentials'
const session = client.session({
  store,
  apiUrls: [env('API')],
  ...(m2m ? { grant: 'client_credentials' as const, scope: 'api:read', resource: env('API') } : {}),
})
const errors: Record<string, number> = {}
let calls = 0
let failed = 0
const end = Date.now() + Number(env('SECONDS')) * 1000
await Promise.all(
  Array.from({ length: Number(env('CALLERS') || 5) }, async () => {
    while (Date.now() < end) {
      calls++
      try {
        const res = await session.fetch(`${env('API')}/me`)
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`)
        await res.arrayBuffer()
      } catch (err) {
        failed++
        const key = isOAuthKitError(err) ? `${err.code} ${err.error ?? ''}`.trim() : String(err)
        errors[key] = (errors[key] ?? 0) + 1
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }),
)
session.close()
await redis?.destroy()
process.stdout.write(`${JSON.stringify({ calls, failed, errors, ...(dpop ? { thumbprint: await dpop.thumbprint() } : {}) })}\n`)
