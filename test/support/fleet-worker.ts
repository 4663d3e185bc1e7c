/**
 * One process of a fleet (#15): a session on a shared store calling the API with concurrent
 * callers for a while, then a JSON line with what happened. Spawned by the fleet tests with
 * `tsx`; every setting comes from the environment.
 *
 *   STORE=file TOKEN_FILE=… ISSUER=… CLIENT_ID=… CLIENT_SECRET=… API=… SECONDS=… CALLERS=…
 */
import { createOAuthClient, isOAuthKitError } from '../../src/index.js'
import { fileStore } from '../../src/entries/node.js'

const env = (name: string) => process.env[name] ?? ''
const client = await createOAuthClient({ issuer: env('ISSUER'), clientId: env('CLIENT_ID'), clientSecret: env('CLIENT_SECRET'), discoveryCache: false })
const session = client.session({ store: fileStore(env('TOKEN_FILE')), apiUrls: [env('API')] })
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
process.stdout.write(`${JSON.stringify({ calls, failed, errors })}\n`)
