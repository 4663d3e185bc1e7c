/**
 * Pushed authorization requests (RFC 9126) on strict mocks: what is pushed, what the browser is
 * sent to, when pushing happens, and the errors. Against oidc-provider with PAR required:
 * test/e2e/par.test.ts; the browser client in Chromium: test/browser/spa.test.ts.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { buildAuthorizationUrl, completeAuthorization, createContext, createPublicContext } from '../../../src/index.js'
import { ISSUER, metadata, tokenJson } from '../../support/as-mock.js'
import { failure, form, useStrictMsw } from '../../support/msw.js'

const msw = useStrictMsw()
const PAR = `${ISSUER}/par`
const redirectUri = 'https://app.example/cb'
const withPar = (extra: Record<string, unknown> = {}) => metadata(ISSUER, { pushed_authorization_request_endpoint: PAR, ...extra })

function parEndpoint(
  answer: () => Response = () =>
    HttpResponse.json({ request_uri: 'urn:ietf:params:oauth:request_uri:abc', expires_in: 60 }, { status: 201 }),
) {
  const pushed: Array<{ params: URLSearchParams; authorization: string | null }> = []
  msw.server.use(
    http.post(PAR, async ({ request }) => {
      pushed.push({ params: await form(request), authorization: request.headers.get('authorization') })
      return answer()
    }),
  )
  return pushed
}

describe('pushed authorization requests', () => {
  it('par: true pushes every parameter with the client authentication; the browser gets client_id and request_uri only', async () => {
    const pushed = parEndpoint()
    const ctx = createContext(withPar(), { clientId: 'app', clientSecret: 'secret' })
    const pending = await buildAuthorizationUrl(ctx, { redirectUri, scope: 'openid read', resource: 'https://api.example', par: true })
    const url = new URL(pending.url)
    expect(`${url.origin}${url.pathname}`).toBe(`${ISSUER}/authorize`)
    expect([...url.searchParams]).toEqual([
      ['client_id', 'app'],
      ['request_uri', 'urn:ietf:params:oauth:request_uri:abc'],
    ])
    const sent = Object.fromEntries(pushed[0]!.params)
    expect(sent).toMatchObject({
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid read',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge_method: 'S256',
      resource: 'https://api.example',
    })
    expect(sent.code_challenge).toMatch(/^[\w-]{43}$/)
    expect(pushed[0]!.authorization).toBe(`Basic ${btoa('app:secret')}`)
  })

  it('a server that requires it gets every request pushed; a public client sends its client_id in the body', async () => {
    const pushed = parEndpoint()
    const ctx = createPublicContext(withPar({ require_pushed_authorization_requests: true }), 'spa')
    const pending = await buildAuthorizationUrl(ctx, { redirectUri })
    expect(new URL(pending.url).searchParams.get('request_uri')).toBe('urn:ietf:params:oauth:request_uri:abc')
    expect(pushed[0]!.params.get('client_id')).toBe('spa')
    expect(pushed[0]!.authorization).toBeNull()
  })

  it('not pushed unless asked or required', async () => {
    const ctx = createPublicContext(withPar(), 'spa')
    const pending = await buildAuthorizationUrl(ctx, { redirectUri })
    expect(new URL(pending.url).searchParams.get('code_challenge')).toBeTruthy()
    expect(msw.requests).toHaveLength(0)
  })

  it('refused before sending: par: false where the server requires it; no endpoint where pushing is wanted', async () => {
    const required = createPublicContext(withPar({ require_pushed_authorization_requests: true }), 'spa')
    expect(await failure(buildAuthorizationUrl(required, { redirectUri, par: false }))).toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('requires pushed authorization requests'),
    })
    const none = createPublicContext(metadata(), 'spa')
    expect(await failure(buildAuthorizationUrl(none, { redirectUri, par: true }))).toMatchObject({
      code: 'missing_endpoint',
      recovery: 'fix-config',
    })
    expect(msw.requests).toHaveLength(0)
  })

  it("the server's refusal is a typed error with its OAuth error; a 201 without request_uri is invalid_response", async () => {
    let answer = () => tokenJson({ error: 'invalid_request', error_description: 'redirect_uri not registered' }, { status: 400 })
    parEndpoint(() => answer())
    const ctx = createPublicContext(withPar(), 'spa')
    expect(await failure(buildAuthorizationUrl(ctx, { redirectUri, par: true }))).toMatchObject({
      code: 'oauth_error',
      error: 'invalid_request',
      errorDescription: 'redirect_uri not registered',
      recovery: 'fix-config',
    })
    answer = () => tokenJson({ error: 'invalid_client' }, { status: 401 })
    expect(await failure(buildAuthorizationUrl(ctx, { redirectUri, par: true }))).toMatchObject({
      error: 'invalid_client',
      recovery: 'fix-config',
    })
    answer = () => HttpResponse.json({ expires_in: 60 }, { status: 201 })
    expect(await failure(buildAuthorizationUrl(ctx, { redirectUri, par: true }))).toMatchObject({
      code: 'invalid_response',
      message: expect.stringContaining('without a request_uri'),
    })
  })

  it('the callback completes as without pushing: the pending sign-in holds state, verifier and nonce', async () => {
    parEndpoint()
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at', token_type: 'Bearer', expires_in: 60 })))
    const ctx = createPublicContext(withPar(), 'spa')
    const pending = await buildAuthorizationUrl(ctx, { redirectUri, par: true })
    const tokens = await completeAuthorization(
      ctx,
      `${redirectUri}?code=c&state=${pending.state}&iss=${encodeURIComponent(ISSUER)}`,
      pending,
    )
    expect(tokens.accessToken).toBe('at')
    expect((await form(msw.requests.at(-1)!)).get('code_verifier')).toBe(pending.codeVerifier)
  })
})
