/**
 * Refresh-token lifetime (#16 item 5): the expiry a server reports — `refresh_token_expires_in`
 * (GitHub, Entra ID), and the IETF draft's `refresh_token_timeout` and `authorization_expires_in`
 * (draft-ietf-oauth-refresh-token-expiration) — is kept in the TokenSet; a session never sends a
 * refresh token past it, and says `refresh-expiring` before sign-in becomes necessary.
 */
import { http } from 'msw'
import { describe, expect, it } from 'vitest'
import { createOAuthClient, type OAuthKitError, type SessionOptions, type TokenSet } from '../../src/index.js'
import { toTokenSet } from '../../src/wire/token.js'
import { createClientCredentialsSession } from '../../src/entries/m2m.js'
import { ISSUER, metadata, tokenJson } from '../support/as-mock.js'
import { fakeClock, failure, form, useStrictMsw, useWarnings } from '../support/msw.js'

const msw = useStrictMsw()
const warnings = useWarnings()
const NOW = Date.UTC(2026, 0, 1)

describe('the refresh token expiry in the TokenSet', () => {
  const base = { access_token: 'at', token_type: 'Bearer', expires_in: 300, refresh_token: 'rt' }

  it('reads refresh_token_expires_in (seconds, or a string of digits)', () => {
    expect(toTokenSet({ ...base, refresh_token_expires_in: 86_400 }, NOW).refreshExpiresAt).toBe(NOW + 86_400_000)
    expect(toTokenSet({ ...base, refresh_token_expires_in: '3600' }, NOW).refreshExpiresAt).toBe(NOW + 3_600_000)
  })

  it("reads the draft's refresh_token_timeout and authorization_expires_in; the earliest wins; the raw values stay in extra", () => {
    const set = toTokenSet({ ...base, refresh_token_timeout: 7200, authorization_expires_in: 3600 }, NOW)
    expect(set.refreshExpiresAt).toBe(NOW + 3_600_000)
    expect(set.extra).toMatchObject({ refresh_token_timeout: 7200, authorization_expires_in: 3600 })
    expect(toTokenSet({ ...base, refresh_token_expires_in: 60, authorization_expires_in: 3600 }, NOW).refreshExpiresAt).toBe(NOW + 60_000)
  })

  it('ignores what is not a positive lifetime, and states none without a refresh token', () => {
    for (const value of [0, -5, 'soon', '1.5e3', true, {}, Infinity])
      expect(toTokenSet({ ...base, refresh_token_expires_in: value }, NOW).refreshExpiresAt).toBeUndefined()
    const { refresh_token: _none, ...noRefresh } = base
    expect(toTokenSet({ ...noRefresh, refresh_token_expires_in: 60 }, NOW).refreshExpiresAt).toBeUndefined()
  })

  it('a refresh that keeps the old refresh token keeps its expiry; a new refresh token brings its own (or none)', async () => {
    let answer: Record<string, unknown> = { access_token: 'at-2', token_type: 'Bearer', expires_in: 300 }
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson(answer)))
    const client = await createOAuthClient({ clientId: 'app', clientSecret: 's', metadata: metadata() })
    const held: TokenSet = { accessToken: 'at-1', tokenType: 'bearer', refreshToken: 'rt-1', refreshExpiresAt: NOW + 5_000, extra: {} }
    expect(await client.refreshGrant(held)).toMatchObject({ refreshToken: 'rt-1', refreshExpiresAt: NOW + 5_000 })
    answer = { ...answer, refresh_token: 'rt-2' }
    expect((await client.refreshGrant(held)).refreshExpiresAt).toBeUndefined()
  })

  it('a null refresh_token_expires_in (or draft field) is absent, with a warning', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, () => tokenJson({ ...base, refresh_token_expires_in: null, authorization_expires_in: null })),
    )
    const client = await createOAuthClient({ clientId: 'app', clientSecret: 's', metadata: metadata(), onWarning: warnings.onWarning })
    const set = await client.clientCredentialsGrant()
    expect(set.refreshExpiresAt).toBeUndefined()
    expect(set.extra).not.toHaveProperty('refresh_token_expires_in')
    warnings.expect('null_field')
  })
})

/** A token endpoint whose refresh tokens live `refreshLifetime` seconds; counts what it is sent. */
function server(refreshLifetime: number) {
  const sent: string[] = []
  let issued = 0
  msw.server.use(
    http.post(`${ISSUER}/token`, async ({ request }) => {
      const params = await form(request)
      sent.push(`${params.get('grant_type')}${params.get('refresh_token') ? ` ${params.get('refresh_token')}` : ''}`)
      issued++
      return tokenJson({
        access_token: `at-${issued}`,
        token_type: 'Bearer',
        expires_in: 60,
        refresh_token: `rt-${issued}`,
        refresh_token_expires_in: refreshLifetime,
      })
    }),
  )
  return sent
}

async function session(clock: ReturnType<typeof fakeClock>, options: SessionOptions) {
  const client = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), clock, retry: false })
  const s = client.session(options)
  const events: string[] = []
  s.on('refresh-expiring', ({ refreshExpiresAt }) => events.push(`refresh-expiring ${refreshExpiresAt - NOW}`))
  s.on('sign-in-required', (err) => events.push(`sign-in-required ${err.code}`))
  return { s, events }
}

describe('a session and the refresh token expiry', () => {
  const signedIn = (clock: { now(): number }, refreshLifetime: number): TokenSet => ({
    accessToken: 'at-0',
    tokenType: 'bearer',
    expiresAt: clock.now() + 60_000,
    refreshToken: 'rt-0',
    refreshExpiresAt: clock.now() + refreshLifetime * 1000,
    extra: {},
  })

  it('refreshes while the refresh token lives; past its expiry it never sends it: sign_in_required, emitted once', async () => {
    const clock = fakeClock(NOW)
    const sent = server(3600)
    const { s, events } = await session(clock, { tokens: signedIn(clock, 90) })
    clock.advance(61_000)
    expect(await s.getAccessToken()).toBe('at-1')
    expect(sent).toEqual(['refresh_token rt-0'])
    // The new refresh token has its own hour; now let a set whose refresh token is spent by time arrive.
    await s.setTokens({ ...signedIn(clock, 30), accessToken: 'at-x', refreshToken: 'rt-x' })
    clock.advance(61_000)
    const err: OAuthKitError = await failure(s.getAccessToken())
    expect(err.code).toBe('sign_in_required')
    expect(err.recovery).toBe('reauthenticate')
    expect(err.message).toMatch(/^the refresh token expired at 2026-01-01T00:01:31\.000Z, as the server said it would: sign in again$/)
    expect(sent).toEqual(['refresh_token rt-0'])
    await failure(s.getAccessToken())
    expect(events.filter((e) => e.startsWith('sign-in-required'))).toEqual(['sign-in-required sign_in_required'])
  })

  it('says refresh-expiring once, inside the notice period, before sign-in is needed', async () => {
    const clock = fakeClock(NOW)
    server(3600)
    const { s, events } = await session(clock, {
      tokens: { ...signedIn(clock, 3600), expiresAt: NOW + 3_600_000 },
      refreshExpiryNotice: 600_000,
    })
    await s.getAccessToken()
    clock.advance(2_999_000)
    await s.getAccessToken()
    expect(events).toEqual([])
    clock.advance(2_000)
    await s.getAccessToken()
    await s.getAccessToken()
    expect(events).toEqual(['refresh-expiring 3600000'])
  })

  it('a short-lived refresh token is announced at half its life at the latest', async () => {
    const clock = fakeClock(NOW)
    server(3600)
    const { s, events } = await session(clock, { tokens: { ...signedIn(clock, 60), expiresAt: NOW + 3_600_000 } })
    await s.getAccessToken()
    clock.advance(29_000)
    await s.getAccessToken()
    expect(events).toEqual([])
    clock.advance(1_000)
    await s.getAccessToken()
    expect(events).toEqual(['refresh-expiring 60000'])
  })

  it('once per refresh token: a rotated one with a fresh lifetime is announced in its own time', async () => {
    const clock = fakeClock(NOW)
    const sent = server(3600)
    const { s, events } = await session(clock, {
      tokens: { ...signedIn(clock, 600), expiresAt: NOW + 400_000 },
      refreshExpiryNotice: 300_000,
    })
    await s.getAccessToken()
    clock.advance(300_000)
    await s.getAccessToken()
    expect(events).toEqual(['refresh-expiring 600000'])
    clock.advance(100_000)
    expect(await s.getAccessToken()).toBe('at-1')
    expect(sent).toEqual(['refresh_token rt-0'])
    await s.getAccessToken()
    expect(events).toEqual(['refresh-expiring 600000'])
    clock.advance(3_300_000)
    await s.getAccessToken()
    expect(events).toEqual(['refresh-expiring 600000', `refresh-expiring ${400_000 + 3_600_000}`])
  })

  it('oauthkit/m2m passes refreshExpiryNotice on: refresh-expiring comes when it says', async () => {
    const clock = fakeClock(NOW)
    // An access token for two hours, a refresh token for one.
    msw.server.use(
      http.post(`${ISSUER}/token`, () =>
        tokenJson({ access_token: 'at-1', token_type: 'Bearer', expires_in: 7200, refresh_token: 'rt-1', refresh_token_expires_in: 3600 }),
      ),
    )
    const s = await createClientCredentialsSession({
      clientId: 'app',
      clientSecret: 'secret',
      metadata: metadata(),
      clock,
      retry: false,
      refreshExpiryNotice: 100_000,
    })
    const events: number[] = []
    s.on('refresh-expiring', ({ refreshExpiresAt }) => events.push(refreshExpiresAt - clock.now()))
    await s.getAccessToken()
    clock.advance(3_050_000)
    await s.getAccessToken()
    expect(events).toEqual([]) // the default notice (600 s before) would have spoken by now
    clock.advance(460_000)
    await s.getAccessToken()
    expect(events).toEqual([90_000])
  })

  it('client_credentials whose refresh token expired runs the grant again instead of sending it', async () => {
    const clock = fakeClock(NOW)
    const sent = server(30)
    const { s } = await session(clock, { grant: 'client_credentials' })
    expect(await s.getAccessToken()).toBe('at-1')
    clock.advance(50_000)
    expect(await s.getAccessToken()).toBe('at-2')
    expect(sent).toEqual(['client_credentials', 'client_credentials'])
  })
})
