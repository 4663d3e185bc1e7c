/**
 * createOAuthClient: its methods are the plain functions they are named after, and a signal given
 * to a constructor is never kept.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import {
  clientCredentialsGrant,
  createClientCredentialsSession,
  createContext,
  createOAuthClient,
  type OAuthClientOptions,
} from '../src/index.js'
import { ISSUER, metadata, tokenJson } from './support/as-mock.js'
import { useStrictMsw, failure } from './support/msw.js'

const msw = useStrictMsw()

const ok = { access_token: 'at', token_type: 'Bearer', expires_in: 300 }

function client(options: Partial<OAuthClientOptions> = {}) {
  return createOAuthClient({ clientId: 'svc', clientSecret: 'secret', metadata: metadata(), ...options })
}

describe('a signal belongs to a call, never to a configuration', () => {
  it('a context, a client and a session made with a signal that is later aborted still make every request', async () => {
    msw.server.use(
      http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata())),
      http.post(`${ISSUER}/token`, () => tokenJson(ok)),
    )
    // A React effect's controller, aborted on unmount.
    const effect = new AbortController()
    const ctx = createContext(metadata(), { clientId: 'svc', clientSecret: 'secret' }, { signal: effect.signal })
    const made = await createOAuthClient({
      issuer: ISSUER,
      clientId: 'svc',
      clientSecret: 'secret',
      signal: effect.signal,
      discoveryCache: false,
    })
    const m2m = await createClientCredentialsSession({
      issuer: ISSUER,
      clientId: 'svc',
      clientSecret: 'secret',
      signal: effect.signal,
      discoveryCache: false,
    })
    effect.abort()
    expect((await clientCredentialsGrant(ctx)).accessToken).toBe('at')
    expect((await made.clientCredentialsGrant()).accessToken).toBe('at')
    expect(await m2m.getAccessToken()).toBe('at')
    // The call's own signal is the one that cancels it.
    expect((await failure(clientCredentialsGrant(ctx, { signal: effect.signal }))).code).toBe('aborted')
  })
})

describe("createOAuthClient's methods", () => {
  it('are named as the plain functions they call; the old names are gone (CHANGELOG.md)', async () => {
    const c = (await client()) as unknown as Record<string, unknown>
    for (const name of [
      'buildAuthorizationUrl',
      'clientCredentialsGrant',
      'refreshGrant',
      'passwordGrant',
      'revokeToken',
      'introspectToken',
      'fetchUserInfo',
    ])
      expect(typeof c[name], name).toBe('function')
    for (const old of ['authorizationUrl', 'clientCredentials', 'refresh', 'password', 'revoke', 'introspect', 'userInfo'])
      expect(c[old], old).toBeUndefined()
  })
})
