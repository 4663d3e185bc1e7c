/**
 * Signing in and out in real Chromium against oidc-provider: callbacks that go wrong (forged,
 * replayed, stale, denied), a hash route kept across sign-in, logout with an expired token, and
 * the client in a service worker. Every console error of every page fails.
 */
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import {
  approve,
  haveChromium,
  newContext,
  signIn,
  app,
  expire,
  refreshTokenIn,
  status,
  stored,
  useSpaInChromium,
  tokenRequests,
  type App,
} from './support.js'

const world = useSpaInChromium()
const refreshes = () => tokenRequests(world, 'refresh_token')
const codeExchanges = () => tokenRequests(world, 'authorization_code')

describe.runIf(haveChromium)('callbacks that go wrong are typed, leave the address bar, and a reload does not repeat them', () => {
  async function failedThenReload(page: Page, code: string) {
    await expect.poll(() => status(page)).toMatch(new RegExp(`^Sign-in failed: ${code}`))
    expect(new URL(page.url()).search).not.toMatch(/code=|state=|error=/)
    await page.reload()
    await expect.poll(() => status(page)).toMatch(/^Signed (out|in)\.$/)
  }

  it('a forged callback (a state no sign-in started): no_pending_sign_in, nothing sent', async () => {
    const context = await newContext(world.browser)
    const page = await context.newPage()
    const before = codeExchanges()
    await page.goto(`${world.spa.url}/?code=forged-code&state=forged-state`)
    await failedThenReload(page, 'no_pending_sign_in')
    expect(codeExchanges()).toBe(before)
    await context.close()
  })

  it('a replayed callback (the back button, an old URL): no_pending_sign_in, nothing sent, the sign-in stays', async () => {
    const context = await newContext(world.browser)
    const page = await context.newPage()
    let callback = ''
    page.on('request', (request) => {
      if (request.url().startsWith(`${world.spa.url}/?code=`)) callback = request.url()
    })
    await signIn(page, world.spa.url, 'session')
    expect(callback).toMatch(/code=/)
    const before = codeExchanges()
    await page.goto(callback)
    await failedThenReload(page, 'no_pending_sign_in')
    expect(codeExchanges()).toBe(before)
    await expect.poll(() => status(page)).toBe('Signed in.')
    await context.close()
  })

  it('a stale sign-in (started over ten minutes ago): stale_sign_in, nothing sent', async () => {
    const context = await newContext(world.browser)
    const page = await context.newPage()
    await page.goto(`${world.spa.url}/?storage=memory`)
    await expect.poll(() => status(page)).toBe('Signed out.')
    const url = await page.evaluate(async () => {
      const login = await (globalThis as unknown as { oauthkitApp: App }).oauthkitApp.createLoginUrl()
      for (const key of Object.keys(sessionStorage).filter((k) => k.endsWith(':pending'))) {
        sessionStorage.setItem(key, JSON.stringify({ ...JSON.parse(sessionStorage.getItem(key)!), createdAt: Date.now() - 11 * 60_000 }))
      }
      return login
    })
    const before = codeExchanges()
    await page.goto(url)
    await approve(page, 'ada', `${world.spa.url}/`)
    await failedThenReload(page, 'stale_sign_in')
    expect(codeExchanges()).toBe(before)
    await context.close()
  })

  it('a denied sign-in (the user cancels): oauth_error access_denied', async () => {
    const context = await newContext(world.browser)
    const page = await context.newPage()
    await page.goto(`${world.spa.url}/?storage=memory`)
    await expect.poll(() => status(page)).toBe('Signed out.')
    await page.click('#login')
    await page.waitForSelector('input[name="login"]')
    await page.click('text=[ Cancel ]')
    await failedThenReload(page, 'oauth_error')
    await context.close()
  })

  it("the application's hash route is kept across sign-in", async () => {
    const context = await newContext(world.browser)
    const page = await context.newPage()
    await page.goto(`${world.spa.url}/?storage=memory#/inbox`)
    await expect.poll(() => status(page)).toBe('Signed out.')
    await page.click('#login')
    await approve(page, 'ada', `${world.spa.url}/`)
    await expect.poll(() => page.textContent('#user')).toBe('ada')
    expect(page.url()).toBe(`${world.spa.url}/#/inbox`)
    expect(await page.textContent('#route')).toBe('#/inbox')
    await context.close()
  })
})

describe.runIf(haveChromium)('queries that do not act', () => {
  it('logout with an expired access token renews nothing, revokes at the server, and sends no ID token', async () => {
    const context = await newContext(world.browser)
    const page = await context.newPage()
    await signIn(page, world.spa.url, 'local')
    const refreshToken = refreshTokenIn(await stored(page, 'localStorage'))!
    await expire(page)
    const before = refreshes()
    expect(await app(page).authenticated()).toBe(true) // renewable: asks no server
    expect(await app(page).user()).toBe('ada')
    const endSession = page.waitForRequest((request) => request.url().startsWith(`${world.spa.servers.issuer}/session/end`))
    await page.click('#logout')
    expect(new URL((await endSession).url()).searchParams.has('id_token_hint')).toBe(false)
    await page.waitForSelector('button[autofocus]')
    await page.click('button[autofocus]')
    await page.waitForURL(`${world.spa.url}/`)
    await expect.poll(() => status(page)).toBe('Signed out.')
    expect(refreshes()).toBe(before)
    expect(await world.spa.servers.provider.RefreshToken.find(refreshToken)).toBeUndefined()
    expect(await stored(page, 'localStorage')).toBeNull()
    await context.close()
  })
})

describe.runIf(haveChromium)('where there is no DOM', () => {
  it('a service worker signs in with memory storage, completes the callback a page hands it, and calls the API', async () => {
    const context = await newContext(world.browser)
    const page = await context.newPage()
    await page.goto(`${world.spa.url}/sw-callback`)
    await page.evaluate(async () => {
      await navigator.serviceWorker.register('/sw.js', { type: 'module' })
      await navigator.serviceWorker.ready
    })
    const ask = (message: { type: string; url?: string }) =>
      page.evaluate(
        (m) =>
          new Promise<{ ok: boolean; result?: unknown; error?: string }>((resolve) => {
            const channel = new MessageChannel()
            channel.port1.onmessage = (event) => resolve(event.data)
            void navigator.serviceWorker.ready.then((r) => r.active!.postMessage(m, [channel.port2]))
          }),
        message,
      )
    const login = await ask({ type: 'login-url' })
    expect(login.ok).toBe(true)
    await page.goto(login.result as string)
    await approve(page, 'ada', `${world.spa.url}/sw-callback`)
    await page.waitForURL(/\/sw-callback\?/)
    expect(await ask({ type: 'callback', url: page.url() })).toEqual({ ok: true, result: 'ada' })
    expect(await ask({ type: 'call' })).toMatchObject({ ok: true, result: { status: 200, body: { sub: 'ada' } } })
    expect(await ask({ type: 'state' })).toEqual({ ok: true, result: { authenticated: true, user: 'ada' } })
    await context.close()
  })
})
