/**
 * The browser client's logic on strict msw mocks, in Node (no DOM: the service-worker case):
 * refresh scope, queries that do not act, logout, pending sign-ins and the callback address.
 * The same behaviours run in real Chromium in test/browser/.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { createBrowserClient, defineDialect, type TokenSet, type TokenStore } from '../../src/entries/browser.js'
import { withoutResponse } from '../../src/browser/sign-in.js'
import { memoryStore } from '../../src/index.js'
import { ISSUER, fakeIdToken, metadata, tokenJson } from '../support/as-mock.js'
import { failure, form, useStrictMsw } from '../support/msw.js'

const msw = useStrictMsw()
const redirectUri = 'https://app.example/'
const now = () => Math.floor(Date.now() / 1000)
const held = (extra: Partial<TokenSet> = {}): TokenSet => ({
  accessToken: 'at-1',
  tokenType: 'bearer',
  expiresAt: Date.now() - 1000,
  refreshToken: 'rt-1',
  scope: 'openid profile',
  idToken: fakeIdToken({ iss: ISSUER, sub: 'ada', aud: 'spa', iat: now(), exp: now() + 300 }),
  idTokenClaims: { sub: 'ada', iss: ISSUER },
  extra: {},
  ...extra,
})

async function client(tokens?: TokenSet, more: Record<string, unknown> = {}) {
  const store: TokenStore = memoryStore()
  if (tokens) await store.save(tokens, undefined)
  const app = createBrowserClient({
    metadata: metadata(ISSUER, { end_session_endpoint: `${ISSUER}/logout` }),
    clientId: 'spa',
    redirectUri,
    scope: 'openid profile offline_access',
    store,
    ...more,
  })
  const events = vi.fn()
  app.on('tokens', events)
  app.on('sign-in-required', events)
  app.on('refresh-failed', events)
  return { app, store, events }
}

describe('a signal given to createBrowserClient', () => {
  it('is not kept: aborted (a component unmounted), the client still discovers and signs in', async () => {
    msw.server.use(http.get(`${ISSUER}/.well-known/openid-configuration`, () => HttpResponse.json(metadata())))
    const effect = new AbortController()
    const app = createBrowserClient({ issuer: ISSUER, clientId: 'spa', redirectUri, signal: effect.signal, discoveryCache: false })
    effect.abort()
    expect(await app.createLoginUrl()).toMatch(new RegExp(`^${ISSUER}/authorize\\?`))
  })
})

describe('renewal', () => {
  it('asks for no scope: the grant keeps what it was given (RFC 6749 §6), and the scope held stays', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at-2', token_type: 'bearer', expires_in: 300, refresh_token: 'rt-2' })),
    )
    const { app } = await client(held())
    expect(await app.getAccessToken()).toBe('at-2')
    const sent = await form(msw.requests.find((r) => r.url.endsWith('/token'))!)
    expect(sent.get('grant_type')).toBe('refresh_token')
    expect(sent.has('scope')).toBe(false)
  })
})

describe('queries that do not act', () => {
  it('isAuthenticated and getUser answer from what is held: no request, no event', async () => {
    const { app, events } = await client(held())
    expect(await app.isAuthenticated()).toBe(true) // expired, but renewable
    expect(await app.getUser()).toMatchObject({ sub: 'ada' })
    const { app: none, events: noEvents } = await client()
    expect(await none.isAuthenticated()).toBe(false)
    expect(await none.isAuthenticated()).toBe(false)
    expect(await none.getUser()).toBeUndefined()
    const { app: spent } = await client(held({ refreshToken: undefined }))
    expect(await spent.isAuthenticated()).toBe(false)
    expect(msw.requests).toEqual([])
    expect([events.mock.calls, noEvents.mock.calls]).toEqual([[], []])
  })

  it('logout revokes with the tokens held (no renewal first), sends no ID token unless asked, and reports a failed revocation', async () => {
    let answer = () => new HttpResponse(null, { status: 200 })
    msw.server.use(http.post(`${ISSUER}/revoke`, () => answer()))
    const { app, store } = await client(held())
    expect(await app.logout({ redirect: false })).toEqual({ revoked: true, endSessionUrl: `${ISSUER}/logout?client_id=spa` })
    const sent = await form(msw.requests.find((r) => r.url.endsWith('/revoke'))!)
    expect([sent.get('token'), sent.get('token_type_hint')]).toEqual(['rt-1', 'refresh_token'])
    expect(msw.count('/token')).toBe(0)
    expect(await store.load()).toBeUndefined()

    answer = () => tokenJson({ error: 'temporarily_unavailable' }, { status: 503 })
    const failed = await client(held())
    const result = await failed.app.logout({ redirect: false })
    expect(result).toMatchObject({ revoked: false, error: { code: 'oauth_error', recovery: 'retry' } })
    expect(await failed.store.load()).toBeUndefined() // signed out all the same
  })
})

describe('the return from logout (RP-Initiated Logout §3)', () => {
  it("logout sends a state with the return address; the return is checked: only this tab's state, once", async () => {
    msw.server.use(http.post(`${ISSUER}/revoke`, () => new HttpResponse(null, { status: 200 })))
    const { app } = await client(held(), { postLogoutRedirectUri: 'https://app.example/bye' })
    const { endSessionUrl } = await app.logout({ redirect: false })
    const sent = new URL(endSessionUrl!).searchParams
    expect(sent.get('post_logout_redirect_uri')).toBe('https://app.example/bye')
    const state = sent.get('state')!
    expect(state).toMatch(/^[0-9a-f-]{36}$/)
    for (const forged of ['https://app.example/bye', 'https://app.example/bye?state=forged'])
      expect(() => app.handleLogoutCallback(forged)).toThrow(
        expect.objectContaining({ code: 'state_mismatch', recovery: 'reauthenticate' }),
      )
    expect(() => app.handleLogoutCallback(`https://app.example/bye?state=${state}`)).not.toThrow()
    expect(() => app.handleLogoutCallback(`https://app.example/bye?state=${state}`)).toThrow(
      expect.objectContaining({ code: 'state_mismatch' }),
    )
  })

  it('no return address, no state', async () => {
    msw.server.use(http.post(`${ISSUER}/revoke`, () => new HttpResponse(null, { status: 200 })))
    const { app } = await client(held())
    expect(new URL((await app.logout({ redirect: false })).endSessionUrl!).searchParams.has('state')).toBe(false)
  })
})

describe('pending sign-ins and the callback', () => {
  const eptura = defineDialect({
    name: 'fragment, no state',
    authorizationResponse: { mode: 'fragment', stateEchoed: false, extraFields: ['appCode'] },
  })

  it('a new login replaces an abandoned one, so a server that echoes no state still completes the latest', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, async ({ request }) =>
        tokenJson({ access_token: `at-for-${(await form(request)).get('code_verifier')!.slice(0, 4)}`, token_type: 'bearer' }),
      ),
    )
    const { app } = await client(undefined, { dialect: eptura })
    await app.createLoginUrl({ scope: 'read' }) // abandoned
    const url = new URL(await app.createLoginUrl({ scope: 'read' }))
    const { tokens } = await app.handleRedirectCallback(`${redirectUri}#code=c&appCode=A1`)
    expect(tokens.extra.appCode).toBe('A1')
    expect(url.searchParams.get('state')).toBeTruthy()
    // Exactly one pending sign-in was left to complete, and it is now used.
    expect(await failure(app.handleRedirectCallback(`${redirectUri}#code=c`))).toMatchObject({
      code: 'no_pending_sign_in',
      recovery: 'reauthenticate',
    })
  })

  it('a callback with no matching sign-in is no_pending_sign_in, and nothing is sent', async () => {
    const { app } = await client()
    await app.createLoginUrl()
    expect(await failure(app.handleRedirectCallback(`${redirectUri}?code=c&state=forged`))).toMatchObject({
      code: 'no_pending_sign_in',
      recovery: 'reauthenticate',
    })
    expect(msw.count('/token')).toBe(0)
  })

  it('the address without the response keeps everything else: the query, the hash route, or the one saved at login', () => {
    const at = (url: string, extra?: string[], hash?: string) => withoutResponse(new URL(url), extra, hash)
    expect(at('https://app.example/page?tab=2&code=c&state=s&iss=x#/inbox')).toBe('/page?tab=2#/inbox')
    expect(at('https://app.example/#code=c&state=s&appCode=A', ['appCode'])).toBe('/')
    expect(at('https://app.example/?code=c&state=s', [], '#/inbox')).toBe('/#/inbox')
    expect(at('https://app.example/?error=access_denied&state=s')).toBe('/')
    expect(at('https://app.example/#/route?x=1')).toBe('/#/route?x=1')
  })
})
