/**
 * Tabs that never fight (#13), in real Chromium against oidc-provider with refresh-token
 * rotation and reuse detection (a rotated-out refresh token sent again revokes the whole grant):
 * what tabs share for each storage choice, tabs that missed a rotation, refused grants, another
 * user signing in elsewhere, a lock held for ever. Every console error of every page fails.
 */
import type { BrowserContext, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import {
  approve,
  callApi,
  expectedConsoleErrors,
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
  KEY,
  type App,
} from './support.js'

const world = useSpaInChromium()
const refreshes = () => tokenRequests(world, 'refresh_token')
const patiently = { timeout: 15_000 }

/** A second tab opened by the first (window.open): Chromium copies the opener's sessionStorage into it. */
async function duplicate(context: BrowserContext, page: Page): Promise<Page> {
  const [copy] = await Promise.all([context.waitForEvent('page'), page.evaluate(() => void window.open(location.href))])
  await expect.poll(() => status(copy), patiently).toBe('Signed in.')
  return copy
}

/** Revokes a refresh token at the server, as an administrator or a reuse detection would end the grant. */
async function revoke(refreshToken: string) {
  const res = await fetch(`${world.spa.servers.issuer}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token', client_id: 'spa-app' }),
  })
  expect(res.status).toBe(200)
}

describe.runIf(haveChromium)('renewal asks for no more than was granted (RFC 6749 §6)', () => {
  it("the README's snippet, scope with offline_access and a plain login(), against a server that grants less: renewal keeps working", async () => {
    const context = await newContext(world.browser)
    const page = await context.newPage()
    await page.goto(`${world.spa.url}/?storage=memory`)
    await expect.poll(() => status(page)).toBe('Signed out.')
    // No prompt=consent: oidc-provider drops offline_access, and still issues a refresh token to this public web client.
    await page.evaluate(() => void (globalThis as unknown as { oauthkitApp: App }).oauthkitApp.login())
    await approve(page, 'ada', `${world.spa.url}/`)
    await page.waitForURL(`${world.spa.url}/`)
    await expect.poll(() => page.textContent('#user')).toBe('ada')
    for (let round = 0; round < 2; round++) {
      await expire(page)
      const before = refreshes()
      expect(await callApi(page)).toMatch(/HTTP 200/)
      expect(refreshes() - before).toBe(1)
      expect(await app(page).authenticated()).toBe(true)
    }
    await context.close()
  })
})

describe.runIf(haveChromium)('memory: every tab signs in on its own', () => {
  it("two tabs, two users: each renews its own grant, and neither is ever switched to the other user; the tabs' channel carries no token", async () => {
    const context = await newContext(world.browser)
    // Any same-origin frame or worker can listen on the tabs' BroadcastChannel: with memory storage it must hear no token.
    const spy = await context.newPage()
    await spy.goto(`${world.spa.url}/?storage=memory`)
    await spy.evaluate(
      (channel) => {
        const heard: string[] = ((globalThis as unknown as { heard: string[] }).heard = [])
        new BroadcastChannel(channel).onmessage = (e: MessageEvent) => heard.push(JSON.stringify(e.data))
      },
      KEY.replace(/:tokens$/, ''),
    )
    const one = await context.newPage()
    await signIn(one, world.spa.url, 'memory', 'ada')
    const two = await context.newPage()
    await signIn(two, world.spa.url, 'memory', 'bob')
    await expire(one)
    const before = refreshes()
    const [a, b] = await Promise.all([callApi(one), callApi(two)])
    expect(a).toMatch(/HTTP 200[\s\S]*"sub": "ada"/)
    expect(b).toMatch(/HTTP 200[\s\S]*"sub": "bob"/)
    expect(refreshes() - before).toBe(2)
    expect([await app(one).user(), await app(two).user()]).toEqual(['ada', 'bob'])
    const heard = await spy.evaluate(() => (globalThis as unknown as { heard: string[] }).heard)
    expect(heard.join('\n')).not.toMatch(/accessToken|refreshToken|"tokens"/)
    await context.close()
  })

  it('two tabs signing in at the same moment both succeed (each completes its own pending sign-in)', async () => {
    const context = await newContext(world.browser)
    const [one, two] = [await context.newPage(), await context.newPage()]
    for (const page of [one, two]) {
      await page.goto(`${world.spa.url}/?storage=memory`)
      await expect.poll(() => status(page)).toBe('Signed out.')
    }
    // Both sign-ins are under way before either comes back (the provider's own pages are then
    // used one after the other: it keeps one login session per browser).
    await Promise.all([one.click('#login'), two.click('#login')])
    await approve(one, 'ada', `${world.spa.url}/`)
    await expect.poll(() => one.textContent('#user'), patiently).toBe('ada')
    await two.reload() // its login form was issued before the provider's session existed
    await approve(two, 'ada', `${world.spa.url}/`)
    await expect.poll(() => two.textContent('#user'), patiently).toBe('ada')
    await context.close()
  })
})

describe.runIf(haveChromium)('session: a tab and its copies share one grant', () => {
  it('a copy (window.open) adopts the rotation its twin made: one refresh, no replay', async () => {
    const context = await newContext(world.browser)
    const one = await context.newPage()
    await signIn(one, world.spa.url, 'session')
    const two = await duplicate(context, one)
    await expire(one)
    const before = refreshes()
    expect(await callApi(one)).toMatch(/HTTP 200/)
    expect(await callApi(two)).toMatch(/HTTP 200/)
    expect(refreshes() - before).toBe(1)
    expect(refreshTokenIn(await stored(two, 'sessionStorage'))).toBe(refreshTokenIn(await stored(one, 'sessionStorage')))
    await context.close()
  })

  /**
   * Two tabs of one grant; the first renews (rotating the refresh token), and the second is made
   * as if it had been asleep: its storage back to the spent refresh token, and a reload. `gone`
   * closes the first tab before the second wakes.
   */
  async function missedRotation(gone = false) {
    const context = await newContext(world.browser)
    const one = await context.newPage()
    await signIn(one, world.spa.url, 'session')
    const two = await duplicate(context, one)
    const missed = await stored(two, 'sessionStorage')
    await expire(one)
    expect(await callApi(one)).toMatch(/HTTP 200/) // rotates; two adopts it, then "misses" it:
    const current = refreshTokenIn(await stored(one, 'sessionStorage'))!
    if (gone) await one.close()
    await two.evaluate(([k, v]) => sessionStorage.setItem(k!, v!), [KEY, missed])
    await two.reload()
    await expect.poll(() => status(two), patiently).toBe('Signed in.')
    return { context, one, two, current }
  }

  it('a tab that missed a rotation gets the current tokens from the tab that holds them, without sending its spent refresh token', async () => {
    const { context, one, two } = await missedRotation()
    const before = refreshes()
    expect(await callApi(two)).toMatch(/HTTP 200/)
    expect(refreshes() - before).toBe(0)
    expect(await callApi(one)).toMatch(/HTTP 200/) // the grant is alive: nothing was replayed
    await context.close()
  })

  it('when the tab holding the current tokens is gone, the one that missed the rotation is told to sign in, and the grant stays alive', async () => {
    const { context, two, current } = await missedRotation(true)
    const before = refreshes()
    expect(await callApi(two)).toMatch(/failed: sign_in_required/)
    expect(refreshes() - before).toBe(0)
    expect(await world.spa.servers.provider.RefreshToken.find(current)).toBeDefined()
    expect(await stored(two, 'sessionStorage')).toBeNull()
    await context.close()
  })

  it('a refused grant is forgotten by every tab that holds it, and their storage is cleared', async () => {
    const context = await newContext(world.browser)
    const one = await context.newPage()
    await signIn(one, world.spa.url, 'session')
    const two = await duplicate(context, one)
    await revoke(refreshTokenIn(await stored(one, 'sessionStorage'))!)
    await expire(one)
    expect(await callApi(one)).toMatch(/failed: sign_in_required/)
    await expect.poll(() => app(two).authenticated()).toBe(false)
    expect(await stored(one, 'sessionStorage')).toBeNull()
    await expect.poll(() => stored(two, 'sessionStorage')).toBeNull()
    // The one refused refresh, as Chromium logs any 4xx a page fetched.
    expect(expectedConsoleErrors(/\/token: .* 400 /)).toBe(1)
    await context.close()
  })
})

describe.runIf(haveChromium)('local: one sign-in for every tab', () => {
  it('a refused grant signs every tab out once, and the shared storage is cleared', async () => {
    const context = await newContext(world.browser)
    const one = await context.newPage()
    await signIn(one, world.spa.url, 'local')
    const two = await context.newPage()
    await two.goto(`${world.spa.url}/`)
    await expect.poll(() => status(two)).toBe('Signed in.')
    await revoke(refreshTokenIn(await stored(one, 'localStorage'))!)
    await expire(one)
    const before = refreshes()
    expect(await callApi(one)).toMatch(/failed: sign_in_required/)
    await expect.poll(() => app(two).authenticated()).toBe(false)
    expect(await callApi(two)).toMatch(/failed: sign_in_required/)
    expect(refreshes() - before).toBe(1)
    expect(await stored(one, 'localStorage')).toBeNull()
    expect(expectedConsoleErrors(/\/token: .* 400 /)).toBe(1)
    await context.close()
  })

  it("another user signing in elsewhere never becomes this tab's user silently: this tab is told to sign in", async () => {
    const context = await newContext(world.browser)
    const one = await context.newPage()
    await signIn(one, world.spa.url, 'local', 'ada')
    const two = await context.newPage()
    await signIn(two, world.spa.url, 'local', 'bob')
    expect(await app(one).user()).toBe('ada')
    await expire(one)
    expect(await callApi(one)).toMatch(/failed: sign_in_required/)
    expect(await callApi(two)).toMatch(/HTTP 200[\s\S]*"sub": "bob"/)
    await context.close()
  })

  it('three tabs, one holding the lock for ever: the others take it over after the timeout and renew once', async () => {
    const context = await newContext(world.browser)
    const one = await context.newPage()
    await signIn(one, world.spa.url, 'local')
    const [two, three] = [await context.newPage(), await context.newPage()]
    for (const page of [two, three]) {
      await page.goto(`${world.spa.url}/`)
      await expect.poll(() => status(page)).toBe('Signed in.')
    }
    // Taken over, this request rejects: caught, as a hung tab's own code would be.
    await three.evaluate(() => void navigator.locks.request('oauthkit:spa-app:refresh', () => new Promise(() => {})).catch(() => {}))
    await expire(one)
    const before = refreshes()
    const [a, b] = await Promise.all([callApi(one), callApi(two)])
    expect(a).toMatch(/HTTP 200/)
    expect(b).toMatch(/HTTP 200/)
    expect(refreshes() - before).toBe(1)
    await context.close()
  })
})
