/**
 * Token exchange (RFC 8693) and the JWT bearer grant (RFC 7523) end to end against oidc-provider
 * (test/support/authorization-server.ts hosts both grants), as plain functions and as sessions
 * that renew by running the grant again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOAuthClient, TOKEN_TYPES, type OAuthClient } from '../../src/index.js'
import {
  CONFIDENTIAL,
  JWT_BEARER,
  TOKEN_EXCHANGE,
  USER,
  signAssertion,
  startLocalServers,
  type LocalServers,
} from '../support/authorization-server.js'
import { failure } from '../support/msw.js'

let servers: LocalServers
let client: OAuthClient

beforeAll(async () => {
  servers = await startLocalServers({ accessTokenTtl: 2 })
  client = await createOAuthClient({ issuer: servers.issuer, ...CONFIDENTIAL, retry: false })
})
afterAll(() => servers?.stop())

const me = async (token: string) =>
  (await fetch(`${servers.api}/me`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<{
    sub: string | null
    client: string
    scope: string
    act?: unknown
  }>
const userAccessToken = async () =>
  (await client.passwordGrant({ username: USER.login, password: USER.password, scope: 'openid profile' })).accessToken
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('token exchange (RFC 8693) against oidc-provider', () => {
  it('exchanges a user access token for a narrower one; issued_token_type is kept', async () => {
    const exchanged = await client.tokenExchangeGrant({
      subjectToken: await userAccessToken(),
      scope: 'openid',
      requestedTokenType: TOKEN_TYPES.accessToken,
    })
    expect(exchanged.extra.issued_token_type).toBe(TOKEN_TYPES.accessToken)
    expect(exchanged.scope).toBe('openid')
    expect(await me(exchanged.accessToken)).toMatchObject({ sub: USER.login, scope: 'openid' })
  })

  it('delegation: an actor token makes the server record who acts (act)', async () => {
    const actor = await client.clientCredentialsGrant({ scope: 'api:read', resource: servers.api })
    const exchanged = await client.tokenExchangeGrant({
      subjectToken: await userAccessToken(),
      actorToken: actor.accessToken,
      actorTokenType: TOKEN_TYPES.accessToken,
    })
    // The API sees the subject and who acts for it.
    expect(await me(exchanged.accessToken)).toMatchObject({ sub: USER.login, act: { sub: CONFIDENTIAL.clientId } })
  })

  it('a subject token the server does not know is invalid_grant (reauthenticate)', async () => {
    const err = await failure(client.tokenExchangeGrant({ subjectToken: 'not-a-token-of-this-server' }))
    expect(err).toMatchObject({ code: 'oauth_error', error: 'invalid_grant', recovery: 'reauthenticate' })
    expect(err.message).not.toContain('not-a-token-of-this-server')
  })

  it('a token_exchange session renews by exchanging again, with the subject token of the moment', async () => {
    let subjectCalls = 0
    const before = servers.tokenRequests.get(TOKEN_EXCHANGE) ?? 0
    // The subject token lives 2 s too: the function gives the current one (an upstream session's, say).
    const session = client.session({
      grant: 'token_exchange',
      exchange: { subjectToken: () => (subjectCalls++, userAccessToken()) },
      scope: 'openid',
      apiUrls: [servers.api],
    })
    expect(await (await session.fetch(`${servers.api}/me`)).json()).toMatchObject({ sub: USER.login, scope: 'openid' })
    await sleep(2100)
    expect(await (await session.fetch(`${servers.api}/me`)).json()).toMatchObject({ sub: USER.login })
    expect(subjectCalls).toBe(2)
    expect((servers.tokenRequests.get(TOKEN_EXCHANGE) ?? 0) - before).toBe(2)
  })
})

describe('the JWT bearer grant (RFC 7523) against oidc-provider', () => {
  it('an assertion from the trusted identity provider gets a token for its subject', async () => {
    const tokens = await client.jwtBearerGrant({ assertion: signAssertion({ sub: 'grace', aud: servers.issuer }), scope: 'openid' })
    expect(await me(tokens.accessToken)).toMatchObject({ sub: 'grace' })
  })

  it('an assertion for another audience, or signed by anyone else, is invalid_grant', async () => {
    expect(
      await failure(client.jwtBearerGrant({ assertion: signAssertion({ sub: 'grace', aud: 'https://elsewhere.example' }) })),
    ).toMatchObject({ error: 'invalid_grant' })
    const forged = signAssertion({ sub: 'grace', aud: servers.issuer }).replace(/\.[^.]+$/, '.AAAA')
    expect(await failure(client.jwtBearerGrant({ assertion: forged }))).toMatchObject({ error: 'invalid_grant' })
  })

  it('a jwt_bearer session signs a fresh assertion for each renewal', async () => {
    const assertions: string[] = []
    const before = servers.tokenRequests.get(JWT_BEARER) ?? 0
    const session = client.session({
      grant: 'jwt_bearer',
      assertion: () => (assertions.push(signAssertion({ sub: 'grace', aud: `${servers.issuer}/token` })), assertions.at(-1)!),
      scope: 'openid',
      apiUrls: [servers.api],
    })
    expect((await (await session.fetch(`${servers.api}/me`)).json()).sub).toBe('grace')
    await sleep(2100)
    expect((await (await session.fetch(`${servers.api}/me`)).json()).sub).toBe('grace')
    expect(assertions).toHaveLength(2)
    expect(new Set(assertions).size).toBe(2)
    expect((servers.tokenRequests.get(JWT_BEARER) ?? 0) - before).toBe(2)
  })
})
