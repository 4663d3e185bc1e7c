import { describe, expect, it, vi } from 'vitest'
import { acmeCloud, acmeCloudClient } from '../../examples/dialect-from-scratch.js'
import {
  composeDialects,
  createOAuthClient,
  createPublicContext,
  defineDialect,
  isOAuthKitError,
  type Dialect,
  type DialectSpec,
} from '../../src/index.js'
import { acmeCloudServer } from '../support/acme-cloud.js'
import { ISSUER, metadata, tokenJson } from '../support/as-mock.js'
import { fakeClock, useStrictMsw } from '../support/msw.js'
import { http } from 'msw'

const msw = useStrictMsw()

describe('a dialect written from scratch (examples/dialect-from-scratch.ts)', () => {
  it('runs client_credentials and refresh against an emulator of the made-up vendor', async () => {
    const emulator = acmeCloudServer()
    msw.server.use(...emulator.handlers)
    expect(acmeCloud.name).toBe('Acme Cloud')
    const client = await acmeCloudClient({ clientId: 'acme-app', clientSecret: 'acme-secret' })
    const before = Date.now()
    const tokens = await client.clientCredentialsGrant({ scope: 'read' })
    expect(tokens.tokenType).toBe('bearer')
    expect(tokens.expiresAt! - before).toBeGreaterThan(3_590_000)
    expect(tokens.expiresAt! - before).toBeLessThan(3_601_000)
    const refreshed = await client.refreshGrant(tokens)
    expect(refreshed.accessToken).not.toBe(tokens.accessToken)
    expect(await msw.requests[1]!.json()).toMatchObject({
      grantType: 'refresh_token',
      refreshToken: tokens.refreshToken,
      clientId: 'acme-app',
    })
  })
})

describe('composing dialects', () => {
  it('later data wins field by field and transforms run in order', async () => {
    const seen: string[] = []
    const a: DialectSpec = {
      name: 'A',
      token: { names: { grant_type: 'gt' }, headers: { 'x-a': '1' } },
      request: (_e, r) => (seen.push('a'), r),
    }
    const b: DialectSpec = {
      name: 'B',
      token: { headers: { 'x-b': '2' } },
      expiresIn: { unit: 'milliseconds' },
      request: (_e, r) => (seen.push('b'), r),
    }
    const both = composeDialects(a, b)
    expect(both.name).toBe('A + B')
    expect(both.token).toMatchObject({ names: { grant_type: 'gt' }, headers: { 'x-a': '1', 'x-b': '2' } })
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'x', token_type: 'bearer', expires_in: 60_000 })))
    const client = await createOAuthClient({ clientId: 'c', metadata: metadata(), dialect: both })
    const tokens = await client.clientCredentialsGrant()
    expect(seen).toEqual(['a', 'b'])
    const sent = msw.requests[0]!
    expect(sent.headers.get('x-a')).toBe('1')
    expect(new URLSearchParams(await sent.text()).get('gt')).toBe('client_credentials')
    expect(tokens.expiresAt! - Date.now()).toBeLessThanOrEqual(60_000)
  })
})

describe('dialects with the plain functions', () => {
  it('createPublicContext refuses raw dialect data (it would be ignored) and takes a declared one', () => {
    const raw: DialectSpec = { name: 'raw', token: { placement: 'json' } }
    const err = (() => {
      try {
        createPublicContext(metadata(), 'spa', { dialect: raw as Dialect })
      } catch (e) {
        return e
      }
    })()
    expect(isOAuthKitError(err) && err.message).toMatch(/defineDialect/)
    expect(createPublicContext(metadata(), 'spa', { dialect: defineDialect(raw) }).clientId).toBe('spa')
  })
})

describe('the expires_in policy (docs/tokens.md)', () => {
  async function lifetime(expiresIn: unknown, spec?: DialectSpec, accessToken = 'opaque') {
    const dialect = spec && defineDialect(spec)
    const clock = fakeClock()
    const onWarning = vi.fn()
    msw.server.use(
      http.post(`${ISSUER}/token`, () => tokenJson({ access_token: accessToken, token_type: 'bearer', expires_in: expiresIn })),
    )
    const client = await createOAuthClient({ clientId: 'c', metadata: metadata(), clock, onWarning, ...(dialect ? { dialect } : {}) })
    const tokens = await client.clientCredentialsGrant()
    return { seconds: (tokens.expiresAt! - clock.now()) / 1000, warnings: onWarning.mock.calls.map((c) => c[0].code) }
  }
  const year = 365 * 24 * 3600
  const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
  const inSeconds = (ms: number) => Math.floor(ms / 1000)

  it('with no unit declared, a lifetime a real server issues in seconds is seconds: one day, 30 days, 3,600,000 s; over a day, a warning names the dialect option', async () => {
    expect(await lifetime(86_400)).toEqual({ seconds: 86_400, warnings: [] })
    // No heuristic second-guesses a value a year or less — but over a day (a millisecond
    // vendor's one hour is 41 days) the application is told how to declare milliseconds.
    expect(await lifetime(2_592_000)).toEqual({ seconds: 2_592_000, warnings: ['expires_in_long'] })
    expect(await lifetime(3_600_000)).toEqual({ seconds: 3_600_000, warnings: ['expires_in_long'] })
    expect(await lifetime(year)).toEqual({ seconds: year, warnings: ['expires_in_long'] })
  })

  it('a declared unit is never overridden: Eptura-style 5000 ms is five seconds, 3,600,000 ms one hour, silently', async () => {
    const ms: DialectSpec = { name: 'ms', expiresIn: { unit: 'milliseconds' } }
    expect(await lifetime(5000, ms)).toEqual({ seconds: 5, warnings: [] })
    expect(await lifetime('3600000', ms)).toEqual({ seconds: 3600, warnings: [] })
    expect(await lifetime(3600, { name: 'seconds', expiresIn: { unit: 'seconds' } })).toEqual({ seconds: 3600, warnings: [] })
  })

  it("more than a year is implausible: read from a JWT access token's exp, with a warning", async () => {
    const exp = inSeconds(fakeClock().now()) + 3600
    expect(await lifetime(3_600_000_000, undefined, jwt({ sub: 'svc', exp }))).toEqual({
      seconds: 3600,
      warnings: ['expires_in_implausible'],
    })
  })

  it('more than a year, with an opaque token or a JWT whose exp does not help, is capped at the ceiling, with a warning', async () => {
    const now = inSeconds(fakeClock().now())
    for (const token of ['opaque', jwt({ exp: now - 10 }), jwt({ exp: now + 2 * year }), jwt({ exp: 'soon' }), 'a.!!!.c', 'a.b.c.d']) {
      expect(await lifetime(1e12, undefined, token)).toEqual({ seconds: year, warnings: ['expires_in_implausible'] })
    }
    expect(await lifetime(2 * year * 1000, { name: 'ms', expiresIn: { unit: 'milliseconds' } })).toEqual({
      seconds: year,
      warnings: ['expires_in_implausible'],
    })
  })

  it('a dialect may set its own ceiling', async () => {
    expect(await lifetime(172_800, { name: 'short', expiresIn: { maxLifetimeSeconds: 86_400 } })).toEqual({
      seconds: 86_400,
      warnings: ['expires_in_implausible'],
    })
  })
})
