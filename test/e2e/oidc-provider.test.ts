import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildEndSessionUrl,
  createOAuthClient,
  discover,
  discoverFromResource,
  registerClient,
  validateLogoutToken,
  type OAuthClient,
} from '../../src/index.js'
import {
  CONFIDENTIAL,
  PUBLIC,
  USER,
  actAsUser,
  actAsUserUntilPost,
  startLocalServers,
  type LocalServers,
} from '../support/authorization-server.js'
import { failure } from '../support/msw.js'

let servers: LocalServers
let confidential: OAuthClient

beforeAll(async () => {
  servers = await startLocalServers({ accessTokenTtl: 30 })
  confidential = await createOAuthClient({
    issuer: servers.issuer,
    ...CONFIDENTIAL,
    redirectUri: servers.redirectUri,
    discoveryCache: false,
  })
})
afterAll(() => servers?.stop())

async function callApi(accessToken: string) {
  const res = await fetch(`${servers.api}/me`, { headers: { authorization: `Bearer ${accessToken}` } })
  return { status: res.status, body: res.ok ? ((await res.json()) as Record<string, unknown>) : undefined }
}

async function signIn(client: OAuthClient, scope = 'openid offline_access profile') {
  const pending = await client.buildAuthorizationUrl({ scope, extraParams: { prompt: 'consent' } })
  const callback = await actAsUser(pending.url, { until: servers.redirectUri })
  return { pending, callback, tokens: await client.completeAuthorization(callback, pending) }
}

describe('oidc-provider 8 on loopback', () => {
  it('discovers the server (RFC 8414 falls back to OpenID Connect discovery)', async () => {
    const found = await discover(servers.issuer, { discoveryCache: false })
    expect(found.metadata.issuer).toBe(servers.issuer)
    expect(found.url).toBe(`${servers.issuer}/.well-known/openid-configuration`)
    expect(found.metadata.device_authorization_endpoint).toBeDefined()
    expect(confidential.context.authMethod).toBe('client_secret_basic')
  })

  it("discovers the server from the API's 401 (RFC 9728)", async () => {
    const res = await fetch(`${servers.api}/me`)
    expect(res.status).toBe(401)
    const found = await discoverFromResource(servers.api, { challenge: res, discoveryCache: false, trustedIssuers: [servers.issuer] })
    expect(found.authorizationServer.metadata.issuer).toBe(servers.issuer)
    // A challenge without resource_metadata: the path-aware well-known URL (no document), then the root one.
    const plain = await discoverFromResource(`${servers.api}/me`, { challenge: 'Bearer error="invalid_token"', discoveryCache: false })
    expect(plain.resource.url).toBe(`${servers.api}/.well-known/oauth-protected-resource`)
    expect(plain.authorizationServer.metadata.issuer).toBe(servers.issuer)
    const untrusted = await failure(
      discoverFromResource(servers.api, { discoveryCache: false, trustedIssuers: ['https://as.example.com'] }),
    )
    expect(untrusted.code).toBe('untrusted_issuer')
  })

  it('client_credentials with a resource indicator, then an authorized API call', async () => {
    const tokens = await confidential.clientCredentialsGrant({ scope: 'api:read', resource: servers.api })
    expect(tokens.expiresAt).toBeGreaterThan(Date.now())
    const me = await callApi(tokens.accessToken)
    expect(me).toMatchObject({ status: 200, body: { client: CONFIDENTIAL.clientId, scope: 'api:read' } })
  })

  it('authorization code + PKCE, confidential client: login and consent, ID token, userinfo', async () => {
    const { callback, tokens } = await signIn(confidential)
    expect(new URL(callback).searchParams.get('iss')).toBe(servers.issuer)
    expect(tokens.refreshToken).toBeTruthy()
    expect(tokens.idTokenClaims).toMatchObject({ sub: USER.login, iss: servers.issuer, aud: CONFIDENTIAL.clientId })
    expect((await callApi(tokens.accessToken)).body).toMatchObject({ sub: USER.login })
    for (const method of ['GET', 'POST'] as const) {
      const info = await confidential.fetchUserInfo(tokens.accessToken, { method, expectedSubject: USER.login })
      expect(info).toMatchObject({ sub: USER.login, name: USER.name })
    }
  })

  it('response_mode=form_post: the answer posted to the redirect URI (a Request), its state and iss checked, the ID token validated', async () => {
    const pending = await confidential.buildAuthorizationUrl({
      scope: 'openid profile',
      responseMode: 'form_post',
      extraParams: { prompt: 'consent' },
    })
    const posted = await actAsUserUntilPost(pending.url, servers.redirectUri)
    const tokens = await confidential.completeAuthorization(posted.clone(), pending)
    expect(tokens.idTokenClaims).toMatchObject({ sub: USER.login, aud: CONFIDENTIAL.clientId })
    expect(new URLSearchParams(await posted.text()).get('iss')).toBe(servers.issuer)
    // A denied sign-in comes back the same way: the server's error, typed.
    const denied = await confidential.buildAuthorizationUrl({ scope: 'openid', responseMode: 'form_post', extraParams: { prompt: 'none' } })
    const error = await actAsUserUntilPost(denied.url, servers.redirectUri)
    expect(await failure(confidential.completeAuthorization(error, denied))).toMatchObject({ code: 'oauth_error', error: 'login_required' })
  })

  it("ID tokens from this token endpoint (plain http on loopback: no TLS to vouch for them) are verified with oidc-provider's keys: one altered in transit is refused", async () => {
    // A fetch that alters the ID token's signature on its way back from the token endpoint.
    const altering: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (!String(input instanceof Request ? input.url : input).endsWith('/token')) return response
      const body = (await response.json()) as { id_token?: string }
      const jwt = body.id_token!
      const flipped = `${jwt.slice(0, -2)}${jwt.at(-2) === 'A' ? 'B' : 'A'}${jwt.at(-1)}`
      return Response.json({ ...body, id_token: flipped }, { status: response.status })
    }
    const good = await createOAuthClient({ issuer: servers.issuer, ...CONFIDENTIAL, redirectUri: servers.redirectUri })
    expect((await signIn(good, 'openid')).tokens.idTokenClaims).toMatchObject({ sub: USER.login })
    const altered = await createOAuthClient({ issuer: servers.issuer, ...CONFIDENTIAL, redirectUri: servers.redirectUri, fetch: altering })
    expect(await failure(signIn(altered, 'openid'))).toMatchObject({ code: 'invalid_id_token', recovery: 'reauthenticate' })
  })

  it('back-channel logout: the logout token oidc-provider posts to the client is validated, and names the user and session', async () => {
    // The client's back-channel logout endpoint, on loopback.
    const posted: string[] = []
    const endpoint = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk))
      req.on('end', () => {
        posted.push(new URLSearchParams(body).get('logout_token') ?? '')
        res.writeHead(200).end()
      })
    })
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve))
    try {
      const backchannel = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/backchannel`
      const registered = await registerClient((await discover(servers.issuer, { discoveryCache: false })).metadata, {
        redirect_uris: [servers.redirectUri],
        backchannel_logout_uri: backchannel,
        backchannel_logout_session_required: true,
        token_endpoint_auth_method: 'client_secret_basic',
      })
      const client = await createOAuthClient({
        issuer: servers.issuer,
        clientId: registered.client_id,
        clientSecret: registered.client_secret!,
        redirectUri: servers.redirectUri,
      })
      const jar = new Map<string, string>()
      const pending = await client.buildAuthorizationUrl({ scope: 'openid' })
      const tokens = await client.completeAuthorization(await actAsUser(pending.url, { until: servers.redirectUri, jar }), pending)
      // RP-initiated logout in the same browser: oidc-provider ends the session and tells the client's back channel.
      await actAsUser(buildEndSessionUrl(client.context, { idTokenHint: tokens.idToken! })!, { jar })
      await expect.poll(() => posted.length).toBe(1)
      const claims = await validateLogoutToken(client.context, posted[0]!)
      expect(claims).toMatchObject({ iss: servers.issuer, sub: USER.login, sid: tokens.idTokenClaims?.sid })
      expect(await failure(validateLogoutToken(client.context, posted[0]!, { seen: () => true }))).toMatchObject({
        code: 'invalid_logout_token',
      })
    } finally {
      await new Promise((resolve) => endpoint.close(resolve))
    }
  })

  it('authorization code + PKCE, public client (auth method none)', async () => {
    const client = await createOAuthClient({ issuer: servers.issuer, ...PUBLIC, redirectUri: servers.redirectUri })
    expect(client.context.authMethod).toBe('none')
    const { tokens } = await signIn(client)
    expect((await callApi(tokens.accessToken)).status).toBe(200)
    const refreshed = await client.refreshGrant(tokens)
    expect(refreshed.accessToken).not.toBe(tokens.accessToken)
  })

  it('a replayed callback sends nothing and the first sign-in stays valid; a replayed code (from elsewhere) is invalid_grant', async () => {
    const { tokens, pending, callback } = await signIn(confidential)
    const exchanges = servers.tokenRequests.get('authorization_code') ?? 0
    const err = await failure(confidential.completeAuthorization(callback, pending))
    expect(err).toMatchObject({ code: 'stale_sign_in', recovery: 'reauthenticate' })
    expect(servers.tokenRequests.get('authorization_code')).toBe(exchanges)
    expect((await callApi(tokens.accessToken)).status).toBe(200)
    // The code sent again by something that does not share this process's memory: the server refuses it.
    const code = new URL(callback).searchParams.get('code')!
    const replayed = await failure(confidential.exchangeCode({ code, codeVerifier: pending.codeVerifier }))
    expect(replayed).toMatchObject({ code: 'oauth_error', error: 'invalid_grant', recovery: 'reauthenticate' })
  })

  it('two sign-ins each complete once, and a pending authorization expires', async () => {
    const first = await signIn(confidential)
    const second = await signIn(confidential)
    expect(first.tokens.accessToken).not.toBe(second.tokens.accessToken)
    const pending = await confidential.buildAuthorizationUrl({ scope: 'openid' })
    const callback = await actAsUser(pending.url, { until: servers.redirectUri })
    const err = await failure(confidential.completeAuthorization(callback, { ...pending, createdAt: Date.now() - 11 * 60_000 }))
    expect(err.code).toBe('stale_sign_in')
  })

  it('refresh rotates the refresh token, and a rotated-out one is refused', async () => {
    const { tokens } = await signIn(confidential)
    const refreshed = await confidential.refreshGrant(tokens)
    expect(refreshed.refreshToken).toBeTruthy()
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken)
    expect((await callApi(refreshed.accessToken)).status).toBe(200)
    const err = await failure(confidential.refreshGrant(tokens.refreshToken!))
    expect(err.error).toBe('invalid_grant')
  })

  it('device authorization: the user approves in a "browser", the device gets tokens', async () => {
    const flow = await confidential.startDeviceAuthorization({ scope: 'openid offline_access' })
    expect(flow.userCode).toMatch(/\w/)
    expect(flow.verificationUriComplete).toContain('user_code=')
    const waiting = flow.wait({ timeout: 30_000 })
    await actAsUser(flow.verificationUriComplete!)
    const tokens = await waiting
    expect((await callApi(tokens.accessToken)).body).toMatchObject({ sub: USER.login })
  })

  it('device authorization refused by the user stops the wait with access_denied', async () => {
    const flow = await confidential.startDeviceAuthorization({ scope: 'openid' })
    const waiting = flow.wait({ timeout: 30_000 })
    // Abort at the confirmation form: oidc-provider's "abort" answer.
    const page = await fetch(flow.verificationUriComplete!)
    const html = await page.text()
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1]
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    await fetch(new URL('/device', servers.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ xsrf: xsrf!, user_code: flow.userCode, abort: 'yes' }),
      redirect: 'manual',
    })
    const err = await failure(waiting)
    expect(err).toMatchObject({ error: 'access_denied', recovery: 'reauthenticate' })
  })

  it('password grant (legacy), and a wrong password', async () => {
    const tokens = await confidential.passwordGrant({ username: USER.login, password: USER.password, scope: 'openid' })
    expect((await callApi(tokens.accessToken)).status).toBe(200)
    const err = await failure(confidential.passwordGrant({ username: USER.login, password: 'nope' }))
    expect(err.error).toBe('invalid_grant')
  })

  it('introspection and revocation of an access token and a refresh token', async () => {
    const { tokens } = await signIn(confidential)
    expect(await confidential.introspectToken(tokens.accessToken)).toMatchObject({ active: true, sub: USER.login })
    await confidential.revokeToken(tokens.accessToken, { tokenTypeHint: 'access_token' })
    expect(await confidential.introspectToken(tokens.accessToken)).toMatchObject({ active: false })
    expect((await callApi(tokens.accessToken)).status).toBe(401)
    await confidential.revokeToken(tokens.refreshToken!, { tokenTypeHint: 'refresh_token' })
    expect((await failure(confidential.refreshGrant(tokens.refreshToken!))).error).toBe('invalid_grant')
  })

  it('dynamic client registration, then the new client works', async () => {
    const registered = await registerClient(confidential.metadata, {
      client_name: 'registered by oauthkit',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    })
    expect(registered.client_id).toBeTruthy()
    const client = await createOAuthClient({
      metadata: confidential.metadata,
      clientId: registered.client_id,
      clientSecret: registered.client_secret!,
      tokenEndpointAuthMethod: 'client_secret_post',
    })
    const tokens = await client.clientCredentialsGrant()
    expect((await callApi(tokens.accessToken)).status).toBe(200)
  })

  it('wrong client credentials are invalid_client (fix-config)', async () => {
    const client = await createOAuthClient({ issuer: servers.issuer, clientId: CONFIDENTIAL.clientId, clientSecret: 'wrong' })
    const err = await failure(client.clientCredentialsGrant())
    expect(err).toMatchObject({ error: 'invalid_client', recovery: 'fix-config' })
    expect(err.message).not.toContain('wrong')
  })
})
