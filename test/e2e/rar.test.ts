/**
 * Rich Authorization Requests (RFC 9396, #28 item 4) end to end against oidc-provider 8 on
 * loopback: `authorization_details` on the authorization request — in the URL, and pushed with
 * PAR — shown on oidc-provider's consent page, approved by the user (played by the test), and
 * back in the token response as `TokenSet.authorizationDetails`, kept as sent. oidc-provider's
 * RAR is an experimental feature it asks to be acknowledged; its CIBA and client_credentials
 * grants refuse `authorization_details` (strict mocks cover those: test/protocol/authorization-details.test.ts).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import Provider, { errors } from 'oidc-provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOAuthClient, type AuthorizationDetail } from '../../src/index.js'
import { actAsUser, quietExpectedNotices } from '../support/authorization-server.js'

/** oidc-provider's RAR is experimental: not in its type declarations. */
type RarContext = { oidc: { params: Record<string, unknown>; authorizationCode: { rar?: unknown } } }
const InvalidAuthorizationDetails = (errors as unknown as Record<string, new (description: string) => Error>).InvalidAuthorizationDetails!

const APP = { clientId: 'rar-app', clientSecret: 'rar-app-secret-0123456789abcdef' }
let server: Server
let issuer: string
let redirectUri: string

const BANK = 'https://bank.example.com'
const PAYMENT: AuthorizationDetail = {
  type: 'payment_initiation',
  actions: ['initiate'],
  locations: ['https://bank.example.com/payments'],
  instructedAmount: { currency: 'EUR', amount: '123.50' },
}

beforeAll(async () => {
  server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  redirectUri = `${issuer}/app/callback`
  quietExpectedNotices()
  const provider = new Provider(issuer, {
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: [
      {
        client_id: APP.clientId,
        client_secret: APP.clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        authorization_details_types: ['payment_initiation'],
      },
    ],
    pkce: { required: () => true },
    ttl: {
      AccessToken: 60,
      AuthorizationCode: 60,
      IdToken: 3600,
      Grant: 3600,
      Interaction: 600,
      Session: 3600,
      PushedAuthorizationRequest: 60,
    },
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
    features: {
      devInteractions: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      // oidc-provider issues authorization details for a resource server (RFC 8707).
      resourceIndicators: {
        enabled: true,
        defaultResource: () => BANK,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'payments', audience: BANK, accessTokenFormat: 'opaque' }),
      },
      richAuthorizationRequests: {
        enabled: true,
        ack: 'experimental-01',
        types: {
          payment_initiation: {
            validate: (_ctx: unknown, detail: { actions?: unknown }) => {
              if (!Array.isArray(detail.actions)) throw new InvalidAuthorizationDetails('actions required')
            },
          },
        },
        // What the user consented to on the page goes on the code, then on the token answer.
        rarForAuthorizationCode: (ctx: RarContext) => JSON.parse(String(ctx.oidc.params.authorization_details)) as unknown,
        rarForCodeResponse: (ctx: RarContext) => ctx.oidc.authorizationCode.rar,
        rarForRefreshTokenResponse: () => undefined,
        rarForIntrospectionResponse: (_ctx: unknown, token: { rar?: unknown }) => token.rar,
      },
    },
  } as never)
  server.on('request', provider.callback())
}, 30_000)

afterAll(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
})

describe('authorization_details against oidc-provider', () => {
  for (const par of [false, true]) {
    it(`${par ? 'pushed with PAR' : 'in the URL'}: shown for consent, granted, and back as TokenSet.authorizationDetails`, async () => {
      const client = await createOAuthClient({ issuer, ...APP, redirectUri })
      const pending = await client.buildAuthorizationUrl({ scope: 'openid', resource: BANK, authorizationDetails: [PAYMENT], par })
      expect(new URL(pending.url).searchParams.has('authorization_details')).toBe(!par)
      const callback = await actAsUser(pending.url, { until: redirectUri })
      const tokens = await client.completeAuthorization(callback, pending, { resource: BANK })
      expect(tokens.authorizationDetails).toEqual([PAYMENT])
      expect(tokens.extra).not.toHaveProperty('authorization_details')
    })
  }

  it('a detail the server refuses is its error, before any sign-in: invalid_authorization_details', async () => {
    const client = await createOAuthClient({ issuer, ...APP, redirectUri })
    const pending = await client
      .buildAuthorizationUrl({ scope: 'openid', authorizationDetails: [{ type: 'payment_initiation' }], par: true })
      .then(
        () => undefined,
        (e: unknown) => e as { error?: string },
      )
    expect(pending).toMatchObject({ error: 'invalid_authorization_details', errorDescription: expect.stringContaining('actions required') })
  })
})
