/**
 * The browser client's sign-in, callback and the server's half of logout are a chunk
 * (src/browser/sign-in.ts) loaded by the first of them, so that pages that only renew tokens
 * and call the API carry none of it. When it cannot be loaded (a deploy replaced it, the network
 * dropped): signing in and completing a callback fail with a network_error to retry, having done
 * nothing; logout still signs out here and in every tab, and says why nothing was revoked.
 * (The chunk at work: test/browser/create-browser-client.test.ts and Chromium's tests.)
 */
import { describe, expect, it, vi } from 'vitest'
import { createBrowserClient } from '../../src/entries/browser.js'
import { memoryStore } from '../../src/index.js'
import { ISSUER, metadata } from '../support/as-mock.js'
import { failure, useStrictMsw } from '../support/msw.js'

vi.mock('../../src/browser/sign-in.js', () => {
  throw new Error('Failed to load the sign-in chunk')
})

const msw = useStrictMsw()
const redirectUri = 'https://app.example/'

async function client() {
  const store = memoryStore()
  await store.save({ accessToken: 'at-1', tokenType: 'bearer', expiresAt: Date.now() + 60_000, refreshToken: 'rt-1', extra: {} }, undefined)
  const app = createBrowserClient({
    metadata: metadata(ISSUER, { end_session_endpoint: `${ISSUER}/logout` }),
    clientId: 'spa',
    redirectUri,
    store,
  })
  return { app, store }
}

describe('the browser client without its sign-in chunk', () => {
  it('createLoginUrl and handleRedirectCallback fail with network_error, having done nothing', async () => {
    const { app, store } = await client()
    for (const call of [app.createLoginUrl(), app.handleRedirectCallback(`${redirectUri}?code=c&state=s`)]) {
      const err = await failure(call)
      expect([err.code, err.recovery]).toEqual(['network_error', 'retry'])
    }
    expect(msw.requests).toHaveLength(0)
    expect((await store.load())?.tokens.accessToken).toBe('at-1')
  })

  it('logout still signs out: the tokens are cleared and listeners told; nothing was revoked, and the result says why', async () => {
    const { app, store } = await client()
    const loggedOut = vi.fn()
    app.on('logout', loggedOut)
    const result = await app.logout({ redirect: false })
    expect(result.revoked).toBe(false)
    expect(result.error?.code).toBe('network_error')
    expect(result.endSessionUrl).toBeUndefined()
    expect(await store.load()).toBeUndefined()
    expect(await app.isAuthenticated()).toBe(false)
    expect(loggedOut).toHaveBeenCalledOnce()
    expect(msw.requests).toHaveLength(0)
  })
})
