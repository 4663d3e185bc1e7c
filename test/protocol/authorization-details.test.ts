/**
 * Rich Authorization Requests (RFC 9396, #28 item 4) on strict mocks: `authorization_details`
 * on the authorization request (in the URL, or pushed with PAR), on the token request of every
 * grant, and from the token response as `TokenSet.authorizationDetails` — kept as sent, checked
 * as an array of objects with a `type`; a malformed one is refused from the caller before
 * anything is sent (`invalid_config`) and from the server (`invalid_response`).
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import {
  buildAuthorizationUrl,
  clientCredentialsGrant,
  completeAuthorization,
  createContext,
  jwtBearerGrant,
  passwordGrant,
  refreshGrant,
  startDeviceAuthorization,
  tokenExchangeGrant,
  type AuthorizationDetail,
} from '../../src/index.js'
import { ISSUER, metadata, tokenJson } from '../support/as-mock.js'
import { failure, form, useStrictMsw } from '../support/msw.js'

const msw = useStrictMsw()
const redirectUri = 'https://app.example/cb'
const DETAILS: AuthorizationDetail[] = [
  {
    type: 'payment_initiation',
    actions: ['initiate'],
    locations: ['https://bank.example/payments'],
    instructedAmount: { currency: 'EUR', amount: '123.50' },
  },
  { type: 'account_information', actions: ['read'], identifier: 'acc-1' },
]
const ctx = () =>
  createContext(metadata(ISSUER, { pushed_authorization_request_endpoint: `${ISSUER}/par` }), { clientId: 'app', clientSecret: 'secret' })

/** The token endpoint: keeps what each request sent, answers `body`. */
function tokenEndpoint(body: Record<string, unknown> = { access_token: 'at', token_type: 'Bearer', expires_in: 60 }) {
  const sent: URLSearchParams[] = []
  msw.server.use(
    http.post(`${ISSUER}/token`, async ({ request }) => {
      sent.push(await form(request))
      return tokenJson(body)
    }),
  )
  return sent
}
const detailsOf = (params: URLSearchParams) => JSON.parse(params.get('authorization_details') ?? 'null') as unknown

describe('authorization_details on the authorization request', () => {
  it('in the URL, as JSON', async () => {
    const pending = await buildAuthorizationUrl(ctx(), { redirectUri, scope: 'openid', authorizationDetails: DETAILS })
    expect(detailsOf(new URL(pending.url).searchParams)).toEqual(DETAILS)
  })

  it('pushed with PAR: in the pushed body, not in the URL the browser is sent to', async () => {
    const pushed: URLSearchParams[] = []
    msw.server.use(
      http.post(`${ISSUER}/par`, async ({ request }) => {
        pushed.push(await form(request))
        return HttpResponse.json({ request_uri: 'urn:ietf:params:oauth:request_uri:r1', expires_in: 60 }, { status: 201 })
      }),
    )
    const pending = await buildAuthorizationUrl(ctx(), { redirectUri, authorizationDetails: DETAILS, par: true })
    expect(detailsOf(pushed[0]!)).toEqual(DETAILS)
    expect(new URL(pending.url).searchParams.has('authorization_details')).toBe(false)
  })
})

describe('authorization_details on the token request of every grant', () => {
  const grants: Array<[string, (c: ReturnType<typeof ctx>, details: AuthorizationDetail[]) => Promise<unknown>]> = [
    ['client_credentials', (c, authorizationDetails) => clientCredentialsGrant(c, { authorizationDetails })],
    ['refresh_token', (c, authorizationDetails) => refreshGrant(c, 'rt', { authorizationDetails })],
    ['password', (c, authorizationDetails) => passwordGrant(c, { username: 'ann', password: 'pw', authorizationDetails })],
    ['token exchange', (c, authorizationDetails) => tokenExchangeGrant(c, { subjectToken: 'st', authorizationDetails })],
    ['jwt-bearer', (c, authorizationDetails) => jwtBearerGrant(c, { assertion: 'a.b.c', authorizationDetails })],
  ]
  for (const [name, run] of grants) {
    it(name, async () => {
      const sent = tokenEndpoint()
      await run(ctx(), DETAILS)
      expect(detailsOf(sent[0]!)).toEqual(DETAILS)
    })
  }

  it('authorization_code: the details for this token (RFC 9396 §6.1)', async () => {
    const sent = tokenEndpoint()
    const c = ctx()
    const pending = await buildAuthorizationUrl(c, { redirectUri, authorizationDetails: DETAILS })
    await completeAuthorization(c, `${redirectUri}?code=c&state=${pending.state}`, pending, { authorizationDetails: [DETAILS[0]!] })
    expect(detailsOf(sent[0]!)).toEqual([DETAILS[0]])
  })

  it('the device authorization request', async () => {
    const started: URLSearchParams[] = []
    msw.server.use(
      http.post(`${ISSUER}/device`, async ({ request }) => {
        started.push(await form(request))
        return HttpResponse.json({ device_code: 'dc', user_code: 'U', verification_uri: `${ISSUER}/activate`, expires_in: 60 })
      }),
    )
    await startDeviceAuthorization(ctx(), { authorizationDetails: DETAILS })
    expect(detailsOf(started[0]!)).toEqual(DETAILS)
  })

  it('malformed details are refused before anything is sent: invalid_config', async () => {
    for (const bad of [{ type: 'x' }, [{ actions: ['read'] }], ['payment'], [{ type: '' }], [null], [[{ type: 'x' }]]]) {
      const err = await failure(clientCredentialsGrant(ctx(), { authorizationDetails: bad as never }))
      expect(err).toMatchObject({
        code: 'invalid_config',
        message: 'authorization_details must be an array of objects, each with a type (RFC 9396)',
      })
      await expect(buildAuthorizationUrl(ctx(), { redirectUri, authorizationDetails: bad as never })).rejects.toMatchObject({
        code: 'invalid_config',
      })
    }
  })
})

describe('authorization_details in the token response', () => {
  it('kept as sent in TokenSet.authorizationDetails (not in extra)', async () => {
    const granted = [{ ...DETAILS[0]!, instructedAmount: { currency: 'EUR', amount: '100.00' } }]
    tokenEndpoint({ access_token: 'at', token_type: 'Bearer', authorization_details: granted })
    const tokens = await clientCredentialsGrant(ctx(), { authorizationDetails: DETAILS })
    expect(tokens.authorizationDetails).toEqual(granted)
    expect(tokens.extra).not.toHaveProperty('authorization_details')
  })

  it('absent, or null (read as absent, with a null_field warning): no field', async () => {
    tokenEndpoint()
    expect(await clientCredentialsGrant(ctx())).not.toHaveProperty('authorizationDetails')
    tokenEndpoint({ access_token: 'at', token_type: 'Bearer', authorization_details: null })
    const warned: string[] = []
    const c = createContext(metadata(), { clientId: 'app', clientSecret: 'secret' }, { onWarning: (w) => void warned.push(w.code) })
    expect(await clientCredentialsGrant(c)).not.toHaveProperty('authorizationDetails')
    expect(warned).toEqual(['null_field'])
  })

  for (const [name, sent] of [
    ['an object', { type: 'x' }],
    ['a string', '[{"type":"x"}]'],
    ['an entry without a type', [{ actions: ['read'] }]],
    ['an entry that is a string', ['payment_initiation']],
    ['null in the array', [null]],
  ] as const) {
    it(`${name} is invalid_response`, async () => {
      tokenEndpoint({ access_token: 'at', token_type: 'Bearer', authorization_details: sent })
      const err = await failure(clientCredentialsGrant(ctx()))
      expect(err).toMatchObject({ code: 'invalid_response', recovery: 'fix-config' })
    })
  }
})
