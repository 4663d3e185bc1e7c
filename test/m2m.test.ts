/**
 * createClientCredentialsSession (`oauthkit/m2m`): discovery, one token for many concurrent calls,
 * the token to apiUrls only.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { createClientCredentialsSession } from '../src/index.js'
import { createClientCredentialsSession as fromM2mEntry } from 'oauthkit/m2m'
import { ISSUER, metadata, tokenJson } from './support/as-mock.js'
import { form, useStrictMsw, failure } from './support/msw.js'

const msw = useStrictMsw()

const ok = { access_token: 'at', token_type: 'Bearer', expires_in: 300 }

describe('oauthkit/m2m: createClientCredentialsSession', () => {
  it('discovers, gets one token for many concurrent calls, and sends it to apiUrls only', async () => {
    expect(fromM2mEntry).toBe(createClientCredentialsSession)
    let tokenRequests = 0
    const api = 'https://api.example.com/v1'
    msw.server.use(
      http.get(`${ISSUER}/.well-known/oauth-authorization-server`, () => HttpResponse.json(metadata())),
      http.post(`${ISSUER}/token`, async ({ request }) => {
        tokenRequests++
        expect((await form(request)).get('scope')).toBe('read')
        return tokenJson(ok)
      }),
      http.get(`${api}/things`, ({ request }) => HttpResponse.json({ auth: request.headers.get('authorization') })),
      http.get('https://elsewhere.example.com/x', ({ request }) => HttpResponse.json({ auth: request.headers.get('authorization') })),
    )
    const session = await createClientCredentialsSession({
      issuer: ISSUER,
      clientId: 'svc',
      clientSecret: 'secret',
      scope: 'read',
      apiUrls: [api],
      discoveryCache: false,
    })
    const bodies = await Promise.all(Array.from({ length: 50 }, () => session.fetch(`${api}/things`).then((r) => r.json())))
    expect(bodies.every((b) => b.auth === 'Bearer at')).toBe(true)
    expect(tokenRequests).toBe(1)
    expect(await (await session.fetch('https://elsewhere.example.com/x')).json()).toEqual({ auth: null })
  })

  it('refuses a privateKey with a ConfigError that names the way (its signer stays out of the bundle)', async () => {
    const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const options = { clientId: 'svc', metadata: metadata(), privateKey } as unknown as Parameters<typeof createClientCredentialsSession>[0]
    const err = await failure(createClientCredentialsSession(options))
    expect(err.code).toBe('unsupported_auth_method')
    expect(err.message).toMatch(/createOAuthClient/)
  })
})
