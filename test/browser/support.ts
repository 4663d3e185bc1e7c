/**
 * Shared by the Chromium suites: Debian's chromium driven by playwright-core (nothing downloads
 * a browser), contexts that reach 127.0.0.1 only, the example SPA's sign-in, and every console
 * error of every page collected so that a suite can assert there were none.
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, expect } from 'vitest'
import { startSpa, type RunningSpa } from '../../scripts/serve-spa.js'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Tests never install anything: `.ci/run` installs Debian's chromium. Without it, a local run
 * skips the browser suites with one line saying how to get it; under CI (CI=true) it is a failure.
 */
export const haveChromium = existsSync(CHROMIUM)
if (!haveChromium) {
  const why = `browser suite: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`
  if (process.env.CI === 'true') throw new Error(`${why}; CI must have it`)
  // eslint-disable-next-line no-console -- the one line that says why the suite did not run
  console.warn(`skipped: ${why}`)
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Console errors and uncaught page errors, from every page of every context made by newContext. */
export const consoleErrors: string[] = []

/**
 * Takes the console errors a test caused on purpose (Chromium logs every 4xx a page fetched,
 * such as the token endpoint's 400 for a grant the test revoked) out of the list, and returns
 * how many there were: every other error still fails the suite.
 */
export function expectedConsoleErrors(pattern: RegExp): number {
  const matching = consoleErrors.filter((e) => pattern.test(e))
  consoleErrors.splice(0, consoleErrors.length, ...consoleErrors.filter((e) => !pattern.test(e)))
  return matching.length
}

/** Pages wait on renewals, lock timeouts and redirects: longer than expect.poll's default second. */
const patiently = { timeout: 15_000 }

/**
 * A browser context that can reach 127.0.0.1 only: anything else (the provider's pages import
 * a web font) is answered empty here, so nothing leaves the machine and nothing errs.
 */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext()
  await context.route('**/*', (route) =>
    new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.fulfill({ status: 204 }),
  )
  context.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${message.location().url}: ${message.text()}`)
  })
  context.on('weberror', (error) => consoleErrors.push(`uncaught: ${error.error().message}`))
  return context
}

/** Fills in oidc-provider's development login form (any password), then its consent form when it shows one. */
export async function approve(page: Page, login = 'ada', until?: string) {
  await page.waitForSelector('input[name="login"]')
  await page.fill('input[name="login"]', login)
  await page.fill('input[name="password"]', 'any password')
  await page.click('button[type="submit"]')
  const consent = page.waitForSelector('button[type="submit"]:has-text("Continue")').then(
    () => 'consent' as const,
    () => 'none' as const,
  )
  const back = until ? page.waitForURL((url) => url.href.startsWith(until)).then(() => 'back' as const) : new Promise<'back'>(() => {})
  if ((await Promise.race([consent, back])) === 'consent') await page.click('button[type="submit"]')
}

/** Signs in through the example SPA's button (prompt=consent, as the app does). */
export async function signIn(page: Page, base: string, storage: string, login = 'ada') {
  // Another user: end the provider's session first (its cookie), or it signs the last user in again.
  if (login !== 'ada') await page.context().clearCookies()
  await page.goto(`${base}/?storage=${storage}`)
  await expect.poll(() => page.textContent('#status'), patiently).toMatch(/^Signed (out|in)/)
  await page.click('#login')
  await approve(page, login, `${base}/`)
  await page.waitForURL(`${base}/`)
  await expect.poll(() => page.textContent('#user'), patiently).toBe(login)
}

export async function callApi(page: Page): Promise<string> {
  await page.evaluate(() => ((document.getElementById('api') as HTMLElement).textContent = 'pending'))
  await page.click('#call')
  await expect.poll(() => page.textContent('#api'), patiently).toMatch(/^HTTP|failed/)
  return (await page.textContent('#api')) ?? ''
}

/** Access tokens of the example app's server expire within each test (seconds). */
export const TTL = 3
/** Where the example app keeps its tokens in Web Storage. */
export const KEY = 'oauthkit:spa-app:tokens'

/** The example app on oidc-provider (short-lived tokens, a short lock timeout) and Chromium, started for one file's tests and stopped after them. */
export function useSpaInChromium(): { spa: RunningSpa; browser: Browser } {
  const world = {} as { spa: RunningSpa; browser: Browser }
  beforeAll(async () => {
    if (!haveChromium) return
    world.spa = await startSpa({ accessTokenTtl: TTL, lockTimeout: 1500 })
    world.browser = await launch()
  }, 600_000)
  afterAll(async () => {
    await world.browser?.close()
    await world.spa?.stop()
    // Every console error of every page of the file fails it (those a test expected were taken out).
    expect(consoleErrors).toEqual([])
  })
  return world
}

/** How many token requests of `grant` the example app's server has answered. */
export const tokenRequests = (world: { spa: RunningSpa }, grant: 'refresh_token' | 'authorization_code') =>
  world.spa.servers.tokenRequests.get(grant) ?? 0

/** Waits for this page's access token to expire. */
export const expire = (page: Page) => page.waitForTimeout(TTL * 1000 + 300)
/** The example app's status line. */
export const status = (page: Page) => page.textContent('#status')
/** The example app's client, in the page. */
export type App = {
  isAuthenticated(): Promise<boolean>
  getUser(): Promise<{ sub?: string } | undefined>
  login(): Promise<void>
  createLoginUrl(): Promise<string>
}
/** What the page's client says, asked from outside. */
export const app = (page: Page) => ({
  authenticated: () => page.evaluate(() => (globalThis as unknown as { oauthkitApp: App }).oauthkitApp.isAuthenticated()),
  user: () => page.evaluate(async () => (await (globalThis as unknown as { oauthkitApp: App }).oauthkitApp.getUser())?.sub),
})
/** The token record the page keeps in Web Storage. */
export const stored = (page: Page, where: 'localStorage' | 'sessionStorage') =>
  page.evaluate(([w, k]) => (globalThis as unknown as Record<string, Storage>)[w!]!.getItem(k!), [where, KEY])
/** The refresh token of a stored record. */
export const refreshTokenIn = (raw: string | null) =>
  raw ? (JSON.parse(raw) as { tokens: { refreshToken?: string } }).tokens.refreshToken : undefined
