/**
 * The SPA example in real headless Chromium (Debian's, driven by playwright-core; nothing
 * downloads a browser) against oidc-provider and a protected API on loopback.
 */
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSpa, type RunningSpa } from '../../scripts/serve-spa.js'
import { callApi, consoleErrors, haveChromium, launch, newContext as contextOf, signIn as signInAt } from './support.js'

const output = resolve(import.meta.dirname, '..', '..', 'test-output')
const TTL = 4 // seconds: access tokens expire within the test

let spa: RunningSpa
let browser: Browser

beforeAll(async () => {
  if (!haveChromium) return
  mkdirSync(output, { recursive: true })
  spa = await startSpa({ accessTokenTtl: TTL })
  browser = await launch()
}, 600_000)
afterAll(async () => {
  await browser?.close()
  await spa?.stop()
})

const newContext = () => contextOf(browser)
const signIn = (page: import('playwright-core').Page, storage: string) => signInAt(page, spa.url, storage)
const refreshes = () => spa.servers.tokenRequests.get('refresh_token') ?? 0

describe.runIf(haveChromium)('the SPA in Chromium', () => {
  let context: BrowserContext
  beforeAll(async () => {
    context = await newContext()
  })
  afterAll(() => context?.close())

  it('signs in with code + PKCE through the real login form, cleans the address bar, calls the API', async () => {
    const page = await context.newPage()
    await signIn(page, 'memory')
    expect(page.url()).toBe(`${spa.url}/`) // no code or state left in the address bar
    // the PKCE verifier, state and nonce were kept for the callback only, and removed once used
    expect(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.endsWith(':pending')))).toEqual([])
    expect(await callApi(page)).toMatch(/HTTP 200[\s\S]*"sub": "ada"/)
    await page.screenshot({ path: resolve(output, 'spa-signed-in.png') })
  })

  it('renews the expired access token without a reload', async () => {
    const page = context.pages()[0]!
    await page.evaluate(() => ((globalThis as { marker?: number }).marker = 42))
    const before = refreshes()
    const first = await callApi(page)
    await page.waitForTimeout(TTL * 1000 + 500)
    const second = await callApi(page)
    expect(second).toMatch(/HTTP 200/)
    expect(refreshes()).toBeGreaterThan(before)
    expect(second.split('token').at(-1)).not.toBe(first.split('token').at(-1))
    expect(await page.evaluate(() => (globalThis as { marker?: number }).marker)).toBe(42) // same page: no reload
  })

  it('memory storage: a reload signs out (nothing was written anywhere)', async () => {
    const page = context.pages()[0]!
    await page.reload()
    await expect.poll(() => page.textContent('#status')).toBe('Signed out.')
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes('tokens')))).toEqual([])
  })

  for (const storage of ['session', 'local']) {
    it(`${storage}Storage: a reload stays signed in`, async () => {
      const fresh = await newContext()
      const page = await fresh.newPage()
      await signIn(page, storage)
      await page.reload()
      await expect.poll(() => page.textContent('#user')).toBe('ada')
      expect(await callApi(page)).toMatch(/HTTP 200/)
      await fresh.close()
    })
  }

  it('logout revokes the refresh token, clears storage and goes through the end-session endpoint, its return checked by state', async () => {
    const fresh = await newContext()
    const page = await fresh.newPage()
    await signIn(page, 'local')
    const refreshToken = await page.evaluate(async () => {
      const app = (globalThis as unknown as { oauthkitApp: { getAccessToken(): Promise<string> } }).oauthkitApp
      await app.getAccessToken()
      return JSON.parse(localStorage.getItem('oauthkit:spa-app:tokens') ?? '{}').tokens?.refreshToken as string
    })
    expect(refreshToken).toBeTruthy()
    await page.click('#logout')
    // oidc-provider asks to confirm the sign-out
    await page.waitForSelector('button[autofocus]')
    await page.click('button[autofocus]')
    // Back with the logout's state (RP-Initiated Logout §3), which the app checks and takes out of the address bar.
    await page.waitForURL(/\?state=/)
    await expect.poll(() => page.textContent('#status')).toBe('Signed out.')
    expect(page.url()).toBe(`${spa.url}/`)
    expect(await page.evaluate(() => localStorage.getItem('oauthkit:spa-app:tokens'))).toBeNull()
    expect(await spa.servers.provider.RefreshToken.find(refreshToken)).toBeUndefined()
    await fresh.close()
  })
})

describe.runIf(haveChromium)('two tabs', () => {
  // Was flaky (2 of 9 full runs: the second tab refreshed with the spent refresh token, read
  // late from localStorage). The rotation ledger (IndexedDB) now stops that send (#13).
  it('expired tokens in both, one moment: exactly one refresh, both get the new token; logout reaches the other tab', async () => {
    const context = await newContext()
    const one = await context.newPage()
    await signIn(one, 'local')
    const two = await context.newPage()
    await two.goto(`${spa.url}/`)
    await expect.poll(() => two.textContent('#user')).toBe('ada')
    await one.waitForTimeout(TTL * 1000 + 500)
    const before = refreshes()
    const [a, b] = await Promise.all([callApi(one), callApi(two)])
    expect(a).toMatch(/HTTP 200/)
    expect(b).toMatch(/HTTP 200/)
    expect(refreshes() - before).toBe(1)
    expect(a.split('token').at(-1)).toBe(b.split('token').at(-1))
    await one.click('#logout')
    await expect.poll(() => two.textContent('#status')).toBe('Signed out (in this or another tab).')
    await context.close()
  })
})

describe.runIf(haveChromium)('the SPA against a server that requires pushed authorization requests (RFC 9126)', () => {
  let parSpa: RunningSpa
  beforeAll(async () => {
    parSpa = await startSpa({ requirePar: true })
  })
  afterAll(() => parSpa?.stop())

  it('pushes the sign-in request unasked (the address bar carries only client_id and request_uri), signs in, calls the API', async () => {
    const context = await newContext()
    const page = await context.newPage()
    const authorizations: URL[] = []
    page.on('request', (request) => {
      const url = new URL(request.url())
      if (url.href.startsWith(`${parSpa.servers.issuer}/auth`)) authorizations.push(url)
    })
    await signInAt(page, parSpa.url, 'session')
    expect(authorizations.length).toBeGreaterThan(0)
    expect([...authorizations[0]!.searchParams.keys()]).toEqual(['client_id', 'request_uri'])
    expect(parSpa.servers.tokenRequests.get('authorization_code')).toBe(1)
    expect(await callApi(page)).toMatch(/^HTTP 200/)
    await context.close()
  })
})

describe.runIf(haveChromium)('the SPA with DPoP-bound tokens (RFC 9449), the key in IndexedDB', () => {
  let dpopSpa: RunningSpa
  beforeAll(async () => {
    dpopSpa = await startSpa({ dpop: true, accessTokenTtl: TTL })
  })
  afterAll(() => dpopSpa?.stop())

  it('signs in with a bound token, calls the API with proofs it checks, and after a reload renews with the same key', async () => {
    const context = await newContext()
    const page = await context.newPage()
    const proofs: string[] = []
    page.on('request', (request) => {
      const proof = request.headers()['dpop']
      if (proof && request.url().startsWith(dpopSpa.servers.api)) proofs.push(request.url())
    })
    await signInAt(page, dpopSpa.url, 'session')
    expect(await callApi(page)).toMatch(/^HTTP 200/)
    expect(proofs.length).toBeGreaterThan(0)
    // Reload: the tokens (sessionStorage) and the key (IndexedDB) survive; once the access token
    // expires, the bound refresh token renews with the same key, and the API accepts the new token.
    await page.reload()
    await new Promise((resolve) => setTimeout(resolve, (TTL + 1) * 1000))
    const refreshes = dpopSpa.servers.tokenRequests.get('refresh_token') ?? 0
    expect(await callApi(page)).toMatch(/^HTTP 200/)
    expect((dpopSpa.servers.tokenRequests.get('refresh_token') ?? 0) - refreshes).toBe(1)
    expect(await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))).toContain('oauthkit:dpop')
    await context.close()
  })

  it('two tabs that start together end with one key: the shared, bound token works from the other tab too', async () => {
    const context = await newContext()
    // Both tabs load at once, each creating a key: the read-or-write transaction keeps one.
    const [one, two] = await Promise.all([context.newPage(), context.newPage()])
    await Promise.all([one.goto(`${dpopSpa.url}/?storage=local`), two.goto(`${dpopSpa.url}/?storage=local`)])
    await signInAt(one, dpopSpa.url, 'local')
    await two.reload()
    // The API accepts a bound token only with a proof of its key.
    expect(await callApi(two)).toMatch(/^HTTP 200/)
    await context.close()
  })
})

describe.runIf(haveChromium)('the console', () => {
  it('shows no error on any page over the whole suite', () => {
    expect(consoleErrors).toEqual([])
  })
})
