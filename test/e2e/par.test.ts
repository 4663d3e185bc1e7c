/**
 * Pushed authorization requests (RFC 9126) against oidc-provider with PAR required: a request
 * that is not pushed is refused by the server, and oauthkit pushes without being asked because
 * the metadata says so — the confidential client with its Basic credentials, the public client
 * with its client_id. The browser client does the same in Chromium (test/browser/spa.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAuthorizationUrl, createOAuthClient } from '../../src/index.js'
import { CONFIDENTIAL, PUBLIC, USER, actAsUser, startLocalServers, type LocalServers } from '../support/authorization-server.js'
import { failure } from '../support/msw.js'

let servers: LocalServers

beforeAll(async () => {
  servers = await startLocalServers({ requirePar: true })
})
afterAll(() => servers?.stop())

describe('oidc-provider requiring PAR', () => {
  it('advertises it, and refuses an authorization request that was not pushed', async () => {
    const client = await createOAuthClient({ issuer: servers.issuer, ...CONFIDENTIAL, redirectUri: servers.redirectUri })
    expect(client.metadata).toMatchObject({
      require_pushed_authorization_requests: true,
      pushed_authorization_request_endpoint: `${servers.issuer}/request`,
    })
    // What a client that ignores the metadata would send: the parameters in the URL.
    const unpushed = new URL(`${servers.issuer}/auth`)
    unpushed.search = new URLSearchParams({
      client_id: CONFIDENTIAL.clientId,
      response_type: 'code',
      redirect_uri: servers.redirectUri,
      scope: 'openid',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    }).toString()
    const refused = await fetch(unpushed, { redirect: 'manual' })
    expect(new URL(refused.headers.get('location')!).searchParams.get('error')).toBe('invalid_request')
    expect(await failure(client.buildAuthorizationUrl({ scope: 'openid', par: false }))).toMatchObject({ code: 'invalid_config' })
  })

  for (const [name, credentials] of [
    ['confidential (client_secret_basic)', CONFIDENTIAL],
    ['public (none)', PUBLIC],
  ] as const) {
    it(`a ${name} client pushes because the server requires it, signs the user in, and redeems the code`, async () => {
      const client = await createOAuthClient({ issuer: servers.issuer, ...credentials, redirectUri: servers.redirectUri })
      const pending = await client.buildAuthorizationUrl({ scope: 'openid profile' })
      const sent = new URL(pending.url)
      expect([...sent.searchParams.keys()]).toEqual(['client_id', 'request_uri'])
      expect(sent.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/)
      const callback = await actAsUser(pending.url, { until: servers.redirectUri })
      const tokens = await client.completeAuthorization(callback, pending)
      expect(tokens.idTokenClaims?.sub).toBe(USER.login)
    })
  }

  it('a request_uri is used once: the same pushed URL again is refused', async () => {
    const client = await createOAuthClient({ issuer: servers.issuer, ...CONFIDENTIAL, redirectUri: servers.redirectUri })
    const pending = await buildAuthorizationUrl(client.context, { redirectUri: servers.redirectUri, scope: 'openid' })
    await client.completeAuthorization(await actAsUser(pending.url, { until: servers.redirectUri }), pending)
    const again = await fetch(pending.url, { redirect: 'manual' })
    expect(new URL(again.headers.get('location')!).searchParams.get('error')).toBe('invalid_request_uri')
  })
})
