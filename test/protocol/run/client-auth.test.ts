/**
 * Client authentication (protocol/run/client-auth.ts): the method chosen or given, and how each one
 * sends the credentials.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it } from 'vitest'
import { createOAuthClient, type OAuthClientOptions } from '../../../src/index.js'
import { ISSUER, metadata, tokenAnswer } from '../../support/as-mock.js'
import { form, useStrictMsw, failure } from '../../support/msw.js'

const msw = useStrictMsw()

const ok = { access_token: 'at', token_type: 'Bearer', expires_in: 300 }

function client(options: Partial<OAuthClientOptions> = {}) {
  return createOAuthClient({ clientId: 'svc', clientSecret: 'secret', metadata: metadata(), ...options })
}

const captureToken = (body: Record<string, unknown> = ok) => tokenAnswer(msw, body)

describe('client authentication', () => {
  const id = 'svc:1 é'
  const secret = 'p@ss:w/rd+ö'

  it('client_secret_basic encodes id and secret per RFC 6749 §2.3.1', async () => {
    captureToken()
    await (await client({ clientId: id, clientSecret: secret, tokenEndpointAuthMethod: 'client_secret_basic' })).clientCredentialsGrant()
    const header = msw.requests[0]!.headers.get('authorization')!
    const decoded = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8')
    const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+')
    expect(decoded).toBe(`${enc(id)}:${enc(secret)}`)
    expect((await form(msw.requests[0]!)).has('client_secret')).toBe(false)
  })

  it('client_secret_basic leaves RFC 3986 unreserved characters as they are, escapes the rest a form decoder reads', async () => {
    captureToken()
    const uuid = 'pre-registered_client.3f2a~9c1e'
    const odd = "s!e*c'r(e)t 1"
    await (await client({ clientId: uuid, clientSecret: odd, tokenEndpointAuthMethod: 'client_secret_basic' })).clientCredentialsGrant()
    const decoded = Buffer.from(msw.requests[0]!.headers.get('authorization')!.replace(/^Basic /, ''), 'base64').toString('utf8')
    // A server that never decodes reads the client id as it is; one that form-decodes reads both.
    expect(decoded).toBe(`${uuid}:s%21e%2Ac%27r%28e%29t+1`)
    const [user, password] = decoded.split(':').map((part) => new URLSearchParams(`v=${part}`).get('v'))
    expect([user, password]).toEqual([uuid, odd])
  })

  it('client_secret_basic_unencoded sends the raw id:secret', async () => {
    captureToken()
    await (
      await client({ clientId: id, clientSecret: secret, tokenEndpointAuthMethod: 'client_secret_basic_unencoded' })
    ).clientCredentialsGrant()
    const header = msw.requests[0]!.headers.get('authorization')!
    expect(Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8')).toBe(`${id}:${secret}`)
  })

  it('a server that echoes the Basic secret back, decoded or not, never gets it into the error', async () => {
    const odd = 'pa%zz:ss w+rd-99'
    for (const method of ['client_secret_basic', 'client_secret_basic_unencoded'] as const) {
      msw.server.use(
        http.post(`${ISSUER}/token`, ({ request }) => {
          const pair = atob(request.headers.get('authorization')!.slice(6))
          return HttpResponse.json({ error: 'invalid_client', error_description: `bad secret ${pair} (${odd})` }, { status: 401 })
        }),
      )
      const err = await failure((await client({ clientSecret: odd, tokenEndpointAuthMethod: method })).clientCredentialsGrant())
      expect(err.error).toBe('invalid_client')
      expect(JSON.stringify([err.message, err.errorDescription])).not.toMatch(/pa%zz|ss w\+rd|ss\+w%2Brd/)
    }
  })

  it('client_secret_post puts both in the body', async () => {
    captureToken()
    await (await client({ tokenEndpointAuthMethod: 'client_secret_post' })).clientCredentialsGrant()
    const sent = await form(msw.requests[0]!)
    expect([sent.get('client_id'), sent.get('client_secret')]).toEqual(['svc', 'secret'])
    expect(msw.requests[0]!.headers.has('authorization')).toBe(false)
  })

  it('none sends the client_id only', async () => {
    captureToken()
    const c = await client({ clientSecret: undefined })
    expect(c.context.authMethod).toBe('none')
    await c.clientCredentialsGrant()
    const sent = await form(msw.requests[0]!)
    expect(sent.get('client_id')).toBe('svc')
    expect(sent.has('client_secret')).toBe(false)
  })

  it('private_key_jwt sends a signed assertion for the token endpoint', async () => {
    captureToken()
    const { privateKey, publicKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const c = await client({ clientSecret: undefined, privateKey: { key: privateKey, kid: 'k1' } })
    expect(c.context.authMethod).toBe('private_key_jwt')
    await c.clientCredentialsGrant()
    const sent = await form(msw.requests[0]!)
    expect(sent.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    const [h, p, s] = sent.get('client_assertion')!.split('.')
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString())
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString())
    expect(header).toMatchObject({ alg: 'ES256', kid: 'k1' })
    expect(claims).toMatchObject({ iss: 'svc', sub: 'svc' })
    const valid = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      publicKey,
      Buffer.from(s!, 'base64url'),
      new TextEncoder().encode(`${h}.${p}`),
    )
    expect(valid).toBe(true)
  })

  it('is chosen from token_endpoint_auth_methods_supported when not given', async () => {
    const post = await createOAuthClient({
      clientId: 'a',
      clientSecret: 's',
      metadata: metadata(ISSUER, { token_endpoint_auth_methods_supported: ['client_secret_post'] }),
    })
    expect(post.context.authMethod).toBe('client_secret_post')
    const none = await createOAuthClient({
      clientId: 'a',
      clientSecret: 's',
      metadata: { ...metadata(), token_endpoint_auth_methods_supported: undefined },
    })
    expect(none.context.authMethod).toBe('client_secret_basic')
    const err = await failure(
      createOAuthClient({
        clientId: 'a',
        clientSecret: 's',
        metadata: metadata(ISSUER, { token_endpoint_auth_methods_supported: ['tls_client_auth'] }),
      }),
    )
    expect(err.code).toBe('unsupported_auth_method')
  })

  it('an explicit method without its secret is a ConfigError', async () => {
    const err = await failure(client({ clientSecret: undefined, tokenEndpointAuthMethod: 'client_secret_post' }))
    expect(err).toMatchObject({ name: 'ConfigError', code: 'invalid_config', recovery: 'fix-config' })
  })
})
