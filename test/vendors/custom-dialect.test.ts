import { describe, expect, it, vi } from 'vitest'
import { acmeCloud, acmeCloudClient } from '../../examples/dialect-from-scratch.js'
import { compileDialect, composeDialects, createOAuthClient, createPublicContext, defineDialect, isOAuthKitError, type Dialect, type DialectSpec } from '../../src/index.js'
import { createEmulator, EmulatorRejection } from '../../src/entries/testing.js'
import { ISSUER, metadata, tokenJson } from '../support/as-mock.js'
import { fakeClock, useStrictMsw } from '../support/msw.js'
import { http } from 'msw'

const msw = useStrictMsw()

describe('a dialect written from scratch (examples/dialect-from-scratch.ts)', () => {
  it('runs client_credentials and refresh against an emulator of the made-up vendor', async () => {
    const names: Record<string, string> = { grantType: 'grant_type', clientId: 'client_id', clientSecret: 'client_secret', refreshToken: 'refresh_token', scope: 'scope' }
    const emulator = createEmulator({
      issuer: 'https://login.acme-cloud.example',
      clients: [{ clientId: 'acme-app', clientSecret: 'acme-secret' }],
      paths: { token: '/api/v2/token', authorize: false, revoke: false, introspect: false, userinfo: false, register: false, device: false },
      discovery: { oauth: false, openid: false },
      refreshTokenWithClientCredentials: true,
      expiresIn: (seconds) => String(seconds * 1000),
      tokenResponse: ({ token_type: _dropped, ...rest }) => rest,
      async readTokenRequest(request) {
        if (!(request.headers.get('content-type') ?? '').startsWith('application/json')) throw new EmulatorRejection('invalid_request', 'JSON body expected')
        const body = (await request.json()) as Record<string, string>
        const params = new URLSearchParams()
        for (const [key, value] of Object.entries(body)) {
          if (!names[key]) throw new EmulatorRejection('invalid_request', `unknown field ${key}`)
          params.set(names[key]!, value)
        }
        return { params, clientId: body.clientId, clientSecret: body.clientSecret }
      },
    })
    msw.server.use(...emulator.handlers)
    expect(acmeCloud.name).toBe('Acme Cloud')
    const client = await acmeCloudClient({ clientId: 'acme-app', clientSecret: 'acme-secret' })
    const before = Date.now()
    const tokens = await client.clientCredentials({ scope: 'read' })
    expect(tokens.tokenType).toBe('bearer')
    expect(tokens.expiresAt! - before).toBeGreaterThan(3_590_000)
    expect(tokens.expiresAt! - before).toBeLessThan(3_601_000)
    const refreshed = await client.refresh(tokens)
    expect(refreshed.accessToken).not.toBe(tokens.accessToken)
    expect(await msw.requests[1]!.json()).toMatchObject({ grantType: 'refresh_token', refreshToken: tokens.refreshToken, clientId: 'acme-app' })
  })
})

describe('composing dialects', () => {
  it('later data wins field by field and transforms run in order', async () => {
    const seen: string[] = []
    const a: DialectSpec = { name: 'A', token: { names: { grant_type: 'gt' }, headers: { 'x-a': '1' } }, request: (_e, r) => (seen.push('a'), r) }
    const b: DialectSpec = { name: 'B', token: { headers: { 'x-b': '2' } }, expiresIn: { unit: 'milliseconds' }, request: (_e, r) => (seen.push('b'), r) }
    const both = composeDialects(a, b)
    expect(both.name).toBe('A + B')
    expect(both.token).toMatchObject({ names: { grant_type: 'gt' }, headers: { 'x-a': '1', 'x-b': '2' } })
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'x', token_type: 'bearer', expires_in: 60_000 })))
    const client = await createOAuthClient({ clientId: 'c', metadata: metadata(), dialect: both })
    const tokens = await client.clientCredentials()
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
    // The deprecated names still work: compileDialect, and the nested { http: { dialect } }.
    expect(createPublicContext(metadata(), 'spa', { http: { dialect: compileDialect(raw) } }).clientId).toBe('spa')
  })
})

describe('expires_in unit sanity', () => {
  async function lifetime(expiresIn: unknown, spec?: DialectSpec) {
    const dialect = spec && defineDialect(spec)
    const clock = fakeClock()
    const onWarning = vi.fn()
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'x', token_type: 'bearer', expires_in: expiresIn })))
    const client = await createOAuthClient({ clientId: 'c', metadata: metadata(), clock, onWarning, ...(dialect ? { dialect } : {}) })
    const tokens = await client.clientCredentials()
    return { seconds: (tokens.expiresAt! - clock.now()) / 1000, warnings: onWarning.mock.calls.map((c) => c[0].code) }
  }

  it('an undeclared unit with a value only plausible in milliseconds is read as milliseconds, and reported', async () => {
    expect(await lifetime(3_600_000)).toEqual({ seconds: 3600, warnings: ['expires_in_unit'] })
  })

  it('a plausible number of seconds is left alone', async () => {
    expect(await lifetime(86_400)).toEqual({ seconds: 86_400, warnings: [] })
  })

  it('milliseconds declared but a value only plausible in seconds is read as seconds (no refresh storm), and reported', async () => {
    expect(await lifetime(3600, { name: 'mis-declared', expiresIn: { unit: 'milliseconds' } })).toEqual({ seconds: 3600, warnings: ['expires_in_unit'] })
  })

  it('milliseconds declared and sent is converted silently', async () => {
    expect(await lifetime(3_600_000, { name: 'ms', expiresIn: { unit: 'milliseconds' } })).toEqual({ seconds: 3600, warnings: [] })
  })
})
