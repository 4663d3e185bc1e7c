/**
 * The loopback redirect listener of oauthkit/node (RFC 8252 §7.3), on real sockets: one
 * callback, a page for the user, a timeout, an abort; and a native app's sign-in against
 * oidc-provider, whose loopback redirect may use any port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOAuthClient } from '../../src/index.js'
import { listenForCallback } from '../../src/entries/node.js'
import { NATIVE, USER, actAsUser, startLocalServers, type LocalServers } from '../support/authorization-server.js'
import { failure } from '../support/msw.js'

describe('listenForCallback', () => {
  it('listens on 127.0.0.1 with an ephemeral port; the one callback gets the page and resolves; then it is closed', async () => {
    const listener = await listenForCallback()
    expect(listener.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/)
    expect((await fetch(`${listener.redirectUri.replace('/callback', '/favicon.ico')}`)).status).toBe(404)
    expect((await fetch(listener.redirectUri)).status).toBe(404) // no code, no error: not the response
    const page = await fetch(`${listener.redirectUri}?code=c1&state=s1&iss=x`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('return to the terminal')
    expect(await listener.callback).toBe(`${listener.redirectUri}?code=c1&state=s1&iss=x`)
    await expect(fetch(`${listener.redirectUri}?code=again`)).rejects.toThrow()
  })

  it('an error response is a callback too (completeAuthorization then reports it)', async () => {
    const listener = await listenForCallback({ path: '/cb' })
    await fetch(`${listener.redirectUri}?error=access_denied&state=s`)
    expect(await listener.callback).toContain('error=access_denied')
  })

  it('with the pending state, a callback without it (forged by a page that got there first) is answered 400 and the wait goes on', async () => {
    const listener = await listenForCallback({ state: 'pending-state' })
    expect((await fetch(`${listener.redirectUri}?error=access_denied&state=forged`)).status).toBe(400)
    expect((await fetch(`${listener.redirectUri}?code=stolen`)).status).toBe(400)
    expect((await fetch(`${listener.redirectUri}?code=c1&state=pending-state`)).status).toBe(200)
    expect(await listener.callback).toBe(`${listener.redirectUri}?code=c1&state=pending-state`)
  })

  it('times out with a typed error, and stops on an abort', async () => {
    const slow = await listenForCallback({ timeout: 50 })
    expect(await failure(slow.callback)).toMatchObject({ code: 'timeout' })
    const controller = new AbortController()
    const stopped = await listenForCallback({ signal: controller.signal })
    controller.abort()
    expect(await failure(stopped.callback)).toMatchObject({ code: 'aborted', recovery: 'none' })
    await expect(fetch(`${stopped.redirectUri}?code=late`)).rejects.toThrow()
  })

  it('listens on a given port again and again (one sign-in after another); a port in use is a typed error', async () => {
    const first = await listenForCallback()
    const port = Number(new URL(first.redirectUri).port)
    await expect(listenForCallback({ port })).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining(`port ${port} of 127.0.0.1 is in use`),
    })
    await fetch(`${first.redirectUri}?code=c1`)
    await first.callback
    const second = await listenForCallback({ port })
    expect(second.redirectUri).toBe(first.redirectUri)
    second.close()
    await second.callback.catch(() => {})
  })
})

describe('a native app signs in through the loopback listener (oidc-provider)', () => {
  let servers: LocalServers
  beforeAll(async () => {
    servers = await startLocalServers()
  })
  afterAll(() => servers?.stop())

  it('code + PKCE with an ephemeral loopback port', async () => {
    const listener = await listenForCallback()
    const client = await createOAuthClient({ issuer: servers.issuer, clientId: NATIVE.clientId, discoveryCache: false })
    const pending = await client.buildAuthorizationUrl({ redirectUri: listener.redirectUri, scope: 'openid' })
    // The browser's part: the login form, then the redirect to the listener.
    const back = await actAsUser(pending.url, { until: listener.redirectUri })
    await fetch(back)
    const tokens = await client.completeAuthorization(await listener.callback, pending)
    expect(tokens.idTokenClaims).toMatchObject({ sub: USER.login })
  })
})
