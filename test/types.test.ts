/**
 * Type-level tests of the public surface. `npm test` type-checks this file (the `typecheck`
 * step), so a wrong `expectTypeOf` or an `@ts-expect-error` that no longer errors fails the
 * run; vitest also runs it, where the assertions are no-ops and the runtime checks below count.
 */
import { describe, expectTypeOf, it, expect } from 'vitest'
import {
  createAuthorizedFetch,
  defineDialect,
  createOAuthClient,
  isOAuthKitError,
  OAuthKitError,
  OAuthServerError,
  TokenManager,
  type AccessTokenSource,
  type Dialect,
  type DialectSpec,
  type ErrorCode,
  type OAuthClient,
  type Recovery,
  type Session,
  type TokenSet,
  type VendorPreset,
} from 'oauthkit'
import { createBrowserClient, type BrowserClient } from 'oauthkit/browser'
import { createAuthorizedKy } from 'oauthkit/ky'
import { organizationApiPreset } from 'oauthkit/dialects'

describe('public types', () => {
  it('TokenSet: camelCase, absolute expiry that may be absent, extra kept', () => {
    expectTypeOf<TokenSet['accessToken']>().toEqualTypeOf<string>()
    expectTypeOf<TokenSet['expiresAt']>().toEqualTypeOf<number | undefined>()
    expectTypeOf<TokenSet['extra']>().toEqualTypeOf<Record<string, unknown>>()
    // @ts-expect-error the wire name is not part of the domain type
    expectTypeOf<TokenSet['access_token']>().toBeString()
  })

  it('the authorized fetches have exactly the signature of fetch', () => {
    expectTypeOf(createAuthorizedFetch).returns.toEqualTypeOf<typeof fetch>()
    expectTypeOf<Session['fetch']>().toEqualTypeOf<typeof fetch>()
    expectTypeOf<BrowserClient['fetch']>().toEqualTypeOf<typeof fetch>()
    // any token source: a TokenManager, a session's tokens, your own
    expectTypeOf(createAuthorizedKy).parameter(0).toEqualTypeOf<AccessTokenSource>()
    expectTypeOf<TokenManager>().toExtend<AccessTokenSource>()
  })

  it('errors: codes and recovery classes are closed unions; the guard narrows', () => {
    expectTypeOf<OAuthKitError['code']>().toEqualTypeOf<ErrorCode>()
    expectTypeOf<OAuthKitError['recovery']>().toEqualTypeOf<Recovery>()
    expectTypeOf<Recovery>().toEqualTypeOf<'retry' | 'reauthenticate' | 'fix-config' | 'insufficient-scope' | 'none'>()
    // @ts-expect-error not a code of the catalogue
    const unknownCode: ErrorCode = 'token_expired'
    void unknownCode
    expectTypeOf<OAuthServerError>().toExtend<OAuthKitError>()

    const caught: unknown = new OAuthServerError('oauth_error', 'x', { error: 'invalid_grant' })
    if (isOAuthKitError(caught)) expectTypeOf(caught).toEqualTypeOf<OAuthKitError>()
    expect(isOAuthKitError(caught) && caught.recovery).toBe('reauthenticate')
  })

  it('clients: one entry point per use, typed results', () => {
    expectTypeOf(createOAuthClient).returns.resolves.toEqualTypeOf<OAuthClient>()
    expectTypeOf<OAuthClient['clientCredentialsGrant']>().returns.resolves.toEqualTypeOf<TokenSet>()
    expectTypeOf(createBrowserClient).returns.toEqualTypeOf<BrowserClient>()
    // @ts-expect-error a browser client needs its redirect URI
    expectTypeOf(createBrowserClient).toBeCallableWith({ issuer: 'https://as.example', clientId: 'spa' })
    // @ts-expect-error clientId is required
    expectTypeOf(createOAuthClient).toBeCallableWith({ issuer: 'https://as.example' })
    expectTypeOf<Parameters<TokenManager['on']>[0]>().toEqualTypeOf<
      'tokens' | 'refresh-failed' | 'retry' | 'renewal' | 'sign-in-required' | 'refresh-expiring'
    >()
  })

  it('dialects: data with closed vocabularies; presets are dialects', () => {
    expectTypeOf(organizationApiPreset).returns.toEqualTypeOf<VendorPreset>()
    expectTypeOf<VendorPreset['dialect']>().toEqualTypeOf<Dialect>()
    const ok: DialectSpec = { name: 'x', token: { placement: 'header', credentials: 'query' }, expiresIn: { unit: 'milliseconds' } }
    expectTypeOf(defineDialect(ok)).toEqualTypeOf<Dialect>()
    // @ts-expect-error `body` is not a placement (form, json, query, header)
    const badPlacement: DialectSpec = { name: 'x', token: { placement: 'body' } }
    // @ts-expect-error `minutes` is not a unit of expires_in
    const badUnit: DialectSpec = { name: 'x', expiresIn: { unit: 'minutes' } }
    void badPlacement
    void badUnit
  })

  it('a dialect is declared: a plain object where a Dialect is expected does not compile', () => {
    const plain = { name: 'Acme', expiresIn: { unit: 'milliseconds' as const } }
    // @ts-expect-error a plain object is not a declared dialect: pass defineDialect(plain)
    const undeclared: Dialect = plain
    void undeclared
    // @ts-expect-error createOAuthClient takes declared dialects only
    expectTypeOf(createOAuthClient).toBeCallableWith({ issuer: 'https://as.example', clientId: 'c', dialect: plain })
    expectTypeOf(createOAuthClient).toBeCallableWith({ issuer: 'https://as.example', clientId: 'c', dialect: defineDialect(plain) })
    const browserOptions = { issuer: 'https://as.example', clientId: 'c', redirectUri: 'https://app.example/', dialect: plain }
    // @ts-expect-error so does the browser client
    expectTypeOf(createBrowserClient).toBeCallableWith(browserOptions)
  })
})
