/**
 * createClientCredentialsSession (`oauthkit/m2m`): discovery, one token for many concurrent calls,
 * the token to apiUrls only.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { createClientCredentialsSession, createOAuthClient } from '../src/index.js'
import { createClientCredentialsSession as fromM2mEntry } from 'oauthkit/m2m'
import { ISSUER, fakeIdToken, metadata, tokenJson } from './support/as-mock.js'
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

describe("oauthkit/m2m reads its token answers itself (oauth4webapi's processors stay out of the bundle)", () => {
  it('an ID token it never asked for is dropped unread, with a warning; a full client validates it and refuses a forged one', async () => {
    const forged = fakeIdToken({ iss: 'https://attacker.example', sub: 'admin', aud: 'svc', iat: 0, exp: 1 })
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ ...ok, id_token: forged })))
    const warnings: string[] = []
    const session = await createClientCredentialsSession({
      clientId: 'svc',
      clientSecret: 'secret',
      metadata: metadata(),
      onWarning: (w) => warnings.push(w.code),
    })
    const tokens = await session.getTokens()
    expect(tokens.accessToken).toBe('at')
    expect(tokens.idToken).toBeUndefined()
    expect(tokens.idTokenClaims).toBeUndefined()
    expect(tokens.extra).not.toHaveProperty('id_token')
    expect(warnings).toEqual(['id_token_ignored'])
    // The full client (createOAuthClient) checks every ID token it is given: this one is refused.
    const client = await createOAuthClient({ clientId: 'svc', clientSecret: 'secret', metadata: metadata() })
    expect((await failure(client.clientCredentialsGrant())).code).toMatch(/^invalid_(id_token|response)$/)
  })

  it("answers that are not a token set fail as they do everywhere: the server's OAuth error, an unsupported token type, a missing token", async () => {
    const session = (token: Record<string, unknown>, status = 200) => {
      msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson(token, { status })))
      return createClientCredentialsSession({ clientId: 'svc', clientSecret: 'secret', metadata: metadata(), retry: false })
    }
    expect(await failure((await session({ error: 'invalid_client' }, 401)).getAccessToken())).toMatchObject({
      code: 'oauth_error',
      error: 'invalid_client',
    })
    expect((await failure((await session({ access_token: 'at', token_type: 'mac' })).getAccessToken())).code).toBe('invalid_response')
    expect((await failure((await session({ token_type: 'bearer' })).getAccessToken())).code).toBe('invalid_response')
    // A token outside VSCHAR (a header injection) is refused before any reader: the same check as the full client's.
    expect((await failure((await session({ access_token: 'at\r\nX-Evil: 1', token_type: 'bearer' })).getAccessToken())).code).toBe(
      'invalid_response',
    )
    expect((await failure((await session({ access_token: 'at', token_type: 'bearer', scope: 7 })).getAccessToken())).code).toBe(
      'invalid_response',
    )
  })
})
