/**
 * Token exchange (RFC 8693) and the JWT bearer grant (RFC 7523) on strict mocks: what goes on
 * the wire, what is refused before anything is sent, and sessions that run them. The same
 * against oidc-provider: test/e2e/exchange.test.ts.
 */
import { http } from 'msw'
import { describe, expect, it } from 'vitest'
import { createOAuthClient, memoryStore, TOKEN_TYPES, type OAuthClient } from '../../../src/index.js'
import { ISSUER, metadata, tokenJson } from '../../support/as-mock.js'
import { failure, form, useStrictMsw } from '../../support/msw.js'

const msw = useStrictMsw()

/** A token endpoint that records each request's form and answers a fresh token. */
function tokenEndpoint(answer: Record<string, unknown> = {}) {
  const sent: URLSearchParams[] = []
  msw.server.use(
    http.post(`${ISSUER}/token`, async ({ request }) => {
      sent.push(await form(request))
      return tokenJson({ access_token: `at-${sent.length}`, token_type: 'Bearer', expires_in: 300, ...answer })
    }),
  )
  return sent
}

const client = (): Promise<OAuthClient> =>
  createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), retry: false })

describe('tokenExchangeGrant', () => {
  it('sends the subject token, its type (access token by default) and the grant parameters; keeps issued_token_type', async () => {
    const sent = tokenEndpoint({ issued_token_type: TOKEN_TYPES.accessToken })
    const tokens = await (
      await client()
    ).tokenExchangeGrant({
      subjectToken: 'upstream-at',
      audience: 'orders',
      resource: ['https://a.example', 'https://b.example'],
      scope: 'read',
    })
    expect(Object.fromEntries(sent[0]!)).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: 'upstream-at',
      subject_token_type: TOKEN_TYPES.accessToken,
      audience: 'orders',
      scope: 'read',
    })
    expect(sent[0]!.getAll('resource')).toEqual(['https://a.example', 'https://b.example'])
    expect(sent[0]!.has('actor_token')).toBe(false)
    expect(sent[0]!.has('requested_token_type')).toBe(false)
    expect(tokens.extra.issued_token_type).toBe(TOKEN_TYPES.accessToken)
    expect(tokens.scope).toBe('read')
    expect(msw.requests[0]!.headers.get('authorization')).toBe(`Basic ${btoa('app:secret')}`)
  })

  it('delegation: the actor token and its type; the token type wanted; a subject token from a function', async () => {
    const sent = tokenEndpoint({ issued_token_type: TOKEN_TYPES.jwt, token_type: 'N_A' })
    const tokens = await (
      await client()
    ).tokenExchangeGrant({
      subjectToken: async () => 'id-token-of-the-user',
      subjectTokenType: TOKEN_TYPES.idToken,
      actorToken: () => 'service-at',
      actorTokenType: TOKEN_TYPES.accessToken,
      requestedTokenType: TOKEN_TYPES.jwt,
    })
    expect(Object.fromEntries(sent[0]!)).toMatchObject({
      subject_token: 'id-token-of-the-user',
      subject_token_type: TOKEN_TYPES.idToken,
      actor_token: 'service-at',
      actor_token_type: TOKEN_TYPES.accessToken,
      requested_token_type: TOKEN_TYPES.jwt,
    })
    // RFC 8693 §2.2.1: N_A when the issued token is not an access token.
    expect(tokens).toMatchObject({ tokenType: 'n_a', extra: { issued_token_type: TOKEN_TYPES.jwt } })
  })

  it('refuses before sending: no subject token, an empty one, an actor token without its type', async () => {
    tokenEndpoint()
    const c = await client()
    for (const options of [{}, { subjectToken: '' }, { subjectToken: () => '' }, { subjectToken: 'x', actorToken: 'y' }]) {
      const err = await failure(c.tokenExchangeGrant(options as never))
      expect(err).toMatchObject({ code: 'invalid_config', recovery: 'fix-config' })
    }
    expect(msw.requests).toHaveLength(0)
  })

  it("the server's refusal is a typed error: invalid_grant is reauthenticate, invalid_target fix-config", async () => {
    let error = 'invalid_grant'
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ error }, { status: 400 })))
    const c = await client()
    expect(await failure(c.tokenExchangeGrant({ subjectToken: 'expired' }))).toMatchObject({
      code: 'oauth_error',
      error: 'invalid_grant',
      recovery: 'reauthenticate',
    })
    error = 'invalid_target'
    expect(await failure(c.tokenExchangeGrant({ subjectToken: 'x', audience: 'nope' }))).toMatchObject({
      error: 'invalid_target',
      recovery: 'fix-config',
    })
  })
})

describe('jwtBearerGrant', () => {
  it('sends the assertion and the grant parameters; a function signs a fresh one for every request', async () => {
    const sent = tokenEndpoint()
    let signed = 0
    const c = await client()
    await c.jwtBearerGrant({ assertion: 'eyJ.static.sig', scope: 'read' })
    await c.jwtBearerGrant({ assertion: () => `eyJ.fresh-${++signed}.sig` })
    await c.jwtBearerGrant({ assertion: async () => `eyJ.fresh-${++signed}.sig` })
    expect(Object.fromEntries(sent[0]!)).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: 'eyJ.static.sig',
      scope: 'read',
    })
    expect(sent.slice(1).map((p) => p.get('assertion'))).toEqual(['eyJ.fresh-1.sig', 'eyJ.fresh-2.sig'])
  })

  it('a public client sends its client_id and no secret', async () => {
    const sent = tokenEndpoint()
    const c = await createOAuthClient({ clientId: 'native', metadata: metadata(), tokenEndpointAuthMethod: 'none' })
    await c.jwtBearerGrant({ assertion: 'eyJ.a.b' })
    expect(sent[0]!.get('client_id')).toBe('native')
    expect(msw.requests[0]!.headers.get('authorization')).toBeNull()
  })
})

describe('sessions that run token exchange or JWT bearer', () => {
  it('token_exchange: renews by exchanging again, with the subject token of the moment', async () => {
    const sent = tokenEndpoint({ expires_in: 1 })
    let upstream = 0
    const session = (await client()).session({
      grant: 'token_exchange',
      exchange: { subjectToken: () => `upstream-${++upstream}` },
      audience: 'orders',
    })
    expect(await session.getAccessToken()).toBe('at-1')
    await new Promise((resolve) => setTimeout(resolve, 1100))
    expect(await session.getAccessToken()).toBe('at-2')
    expect(sent.map((p) => [p.get('subject_token'), p.get('audience')])).toEqual([
      ['upstream-1', 'orders'],
      ['upstream-2', 'orders'],
    ])
  })

  it('jwt_bearer: one request for many concurrent callers', async () => {
    const sent = tokenEndpoint()
    const session = (await client()).session({ grant: 'jwt_bearer', assertion: () => 'eyJ.a.b' })
    const tokens = await Promise.all(Array.from({ length: 50 }, () => session.getAccessToken()))
    expect(new Set(tokens)).toEqual(new Set(['at-1']))
    expect(sent).toHaveLength(1)
  })

  it('without what the grant needs: a ConfigError at once', async () => {
    const c = await client()
    expect(() => c.session({ grant: 'token_exchange' })).toThrow(/needs exchange: \{ subjectToken \}/)
    expect(() => c.session({ grant: 'jwt_bearer' })).toThrow(/needs assertion/)
  })

  it("sessions of different grants on one store never adopt each other's tokens", async () => {
    const sent = tokenEndpoint()
    const store = memoryStore()
    const c = await client()
    const machine = c.session({ grant: 'client_credentials', store })
    const exchanged = c.session({ grant: 'token_exchange', exchange: { subjectToken: 'upstream' }, store })
    expect(await machine.getAccessToken()).toBe('at-1')
    expect(await exchanged.getAccessToken()).toBe('at-2')
    expect(sent.map((p) => p.get('grant_type'))).toEqual(['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'])
  })
})
