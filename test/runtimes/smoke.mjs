/**
 * The runtime smoke (#17): what every runtime oauthkit claims must do with the published
 * package, against a loopback server (test/e2e/runtimes.test.ts starts it and runs this in
 * Node 20, 22 and 24, Deno, Bun, workerd and Chromium). Plain JavaScript, so that every runtime
 * runs it as it is. Each step is reported, passed or failed, never thrown.
 */
import { createOAuthClient, discover, isOAuthKitError } from 'oauthkit'

export const SMOKE_SERVICE = { clientId: 'smoke-service', clientSecret: 'smoke-service-secret' }
export const SMOKE_APP = { clientId: 'smoke-app' }

/** @param {string} base the loopback server: issuer at its root, the API under /api, the redirect URI /callback */
export async function smoke(base) {
  const steps = []
  async function step(name, run) {
    try {
      steps.push({ name, ok: true, detail: String(await run()) })
    } catch (err) {
      steps.push({ name, ok: false, detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })
    }
  }
  const api = `${base}/api`
  let tokens
  let app

  await step('discovery', async () => {
    const { metadata } = await discover(base, { discoveryCache: false })
    if (metadata.token_endpoint !== `${base}/token`) throw new Error(`token_endpoint ${metadata.token_endpoint}`)
    return metadata.token_endpoint
  })
  await step('client_credentials session, authorized fetch', async () => {
    const client = await createOAuthClient({ issuer: base, ...SMOKE_SERVICE })
    const session = client.session({ grant: 'client_credentials', scope: 'read', apiUrls: [api] })
    const answers = await Promise.all([1, 2, 3].map(() => session.fetch(`${api}/things`)))
    if (answers.some((res) => res.status !== 200)) throw new Error(`the API answered ${answers.map((res) => res.status)}`)
    return `3 calls → 200`
  })
  await step('authorization URL with PKCE, callback', async () => {
    app = await createOAuthClient({ issuer: base, ...SMOKE_APP, redirectUri: `${base}/callback` })
    const pending = await app.buildAuthorizationUrl({ scope: 'read offline_access' })
    const asked = new URL(pending.url)
    if (asked.searchParams.get('code_challenge_method') !== 'S256' || !asked.searchParams.get('code_challenge'))
      throw new Error('no S256 code challenge')
    // The server signs the user in at once and redirects; the final URL is the callback.
    const callback = (await fetch(pending.url)).url
    tokens = await app.completeAuthorization(callback, pending)
    if (!tokens.refreshToken) throw new Error('no refresh token')
    return 'code redeemed with its verifier'
  })
  await step('refresh', async () => {
    if (!tokens) throw new Error('no tokens from the previous step')
    const renewed = await app.refreshGrant(tokens)
    if (renewed.accessToken === tokens.accessToken) throw new Error('the same access token came back')
    return 'new access token'
  })
  await step('typed error', async () => {
    const wrong = await createOAuthClient({ issuer: base, clientId: SMOKE_SERVICE.clientId, clientSecret: 'not-the-secret' })
    try {
      await wrong.clientCredentialsGrant({ scope: 'read' })
    } catch (err) {
      if (!isOAuthKitError(err) || err.code !== 'oauth_error' || err.error !== 'invalid_client' || err.recovery !== 'fix-config') throw err
      if (err.message.includes('not-the-secret')) throw new Error('the secret is in the message', { cause: err })
      return `${err.name} ${err.code} ${err.error} (${err.recovery})`
    }
    throw new Error('a wrong secret was accepted')
  })
  return steps
}
