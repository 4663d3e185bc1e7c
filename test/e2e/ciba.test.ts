/**
 * OpenID CIBA end to end (#28 item 3) against oidc-provider 8 on loopback: poll mode (the
 * user approves on their "authentication device", played by the test through
 * `provider.backchannelResult`), a refusal, and ping mode — oidc-provider pings the client's
 * notification endpoint, a loopback server here, whose request `validatePing` checks before
 * `complete()` redeems the request. The ID token is verified with the server's keys (no TLS).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { Agent, createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import Provider, { errors } from 'oidc-provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOAuthClient, validatePing, type BackchannelAuthentication } from '../../src/index.js'
import { quietExpectedNotices } from '../support/authorization-server.js'

const CIBA = 'urn:openid:params:grant-type:ciba'
const POLL = { clientId: 'agent', clientSecret: 'agent-secret-0123456789abcdef' }
const PING = { clientId: 'agent-ping', clientSecret: 'agent-ping-secret-0123456789ab' }
let provider: Provider
let asServer: Server
let pingServer: Server
let issuer: string
/** The requests the authentication device was asked to show, by auth_req_id. */
const triggered = new Map<string, { accountId: string; bindingMessage: string | undefined }>()
/** What reached the client's notification endpoint. */
const pings: Request[] = []

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const haveOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0
if (!haveOpenssl) {
  const why = "test/e2e/ciba.test.ts needs Debian's openssl (apt-get install openssl) for its loopback https certificate"
  if (process.env.CI === 'true') throw new Error(`${why}; CI must have it`)
  // eslint-disable-next-line no-console -- the one line that says why a suite is skipped
  console.warn(`skipped: ${why}`)
}

/**
 * CIBA §4 wants the notification endpoint on https: a certificate for 127.0.0.1 made for this
 * run (Debian's openssl, which .ci/run installs), trusted by oidc-provider's agent only.
 */
function loopbackCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'oauthkit-ciba-'))
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    )
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

beforeAll(async () => {
  if (!haveOpenssl) return
  asServer = createServer()
  const tls = loopbackCertificate()
  pingServer = createHttpsServer(tls, async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    pings.push(
      new Request(`http://127.0.0.1${req.url}`, {
        method: req.method!,
        headers: req.headers as Record<string, string>,
        body: Buffer.concat(chunks),
      }),
    )
    res.writeHead(204).end()
  })
  issuer = await listen(asServer)
  const notify = `${(await listen(pingServer)).replace('http:', 'https:')}/ciba/ping`
  const agent = new Agent({ ca: tls.cert })
  quietExpectedNotices()
  provider = new Provider(issuer, {
    clients: [
      {
        client_id: POLL.clientId,
        client_secret: POLL.clientSecret,
        grant_types: [CIBA, 'refresh_token'],
        response_types: [],
        redirect_uris: [],
        backchannel_token_delivery_mode: 'poll',
      },
      {
        client_id: PING.clientId,
        client_secret: PING.clientSecret,
        grant_types: [CIBA],
        response_types: [],
        redirect_uris: [],
        backchannel_token_delivery_mode: 'ping',
        backchannel_client_notification_endpoint: notify,
      },
    ],
    scopes: ['openid', 'offline_access', 'payments'],
    ttl: { AccessToken: 60, IdToken: 3600, RefreshToken: 3600, Grant: 3600, BackchannelAuthenticationRequest: 600 },
    // The ping goes to the loopback https server, whose certificate only this agent trusts.
    httpOptions: () => ({ agent }),
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
    features: {
      devInteractions: { enabled: false },
      ciba: {
        enabled: true,
        deliveryModes: ['poll', 'ping'],
        processLoginHint: async (_ctx, hint) => (hint === 'ann@example.com' ? 'ann' : undefined),
        verifyUserCode: async () => undefined,
        validateRequestContext: async () => undefined,
        validateBindingMessage: async (_ctx, message) => {
          if (message && message.length > 40) throw new errors.InvalidBindingMessage('too long')
        },
        triggerAuthenticationDevice: async (_ctx, request, account) => {
          triggered.set(request.jti, {
            accountId: account.accountId,
            bindingMessage: request.params?.binding_message as string | undefined,
          })
        },
      },
    },
  })
  asServer.on('request', provider.callback())
}, 30_000)

afterAll(async () => {
  for (const server of [asServer, pingServer]) {
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
  }
})

/** The user, on their authentication device, approves (or refuses) the request. */
async function answer(request: BackchannelAuthentication, approve: boolean) {
  const asked = triggered.get(request.authReqId)
  if (!asked) throw new Error('the authentication device was never asked')
  if (!approve) return provider.backchannelResult(request.authReqId, new errors.AccessDenied('the user said no'))
  const grant = new provider.Grant({
    clientId: (await provider.BackchannelAuthenticationRequest.find(request.authReqId))!.clientId,
    accountId: asked.accountId,
  })
  grant.addOIDCScope('openid offline_access payments')
  await grant.save()
  return provider.backchannelResult(request.authReqId, grant)
}

/** The server's 5 s interval, waited a tenth as long: the clock is the configured one. */
const fastClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((done) => setTimeout(done, ms / 10)) }

describe.runIf(haveOpenssl)('CIBA against oidc-provider', () => {
  it('poll mode: the request reaches the authentication device with its binding message; after approval, tokens and an ID token verified with the server’s keys', async () => {
    const client = await createOAuthClient({ issuer, ...POLL, clock: fastClock })
    const request = await client.startBackchannelAuthentication({
      scope: 'openid offline_access payments',
      loginHint: 'ann@example.com',
      bindingMessage: 'Pay 12 EUR? W4K',
    })
    expect(triggered.get(request.authReqId)).toEqual({ accountId: 'ann', bindingMessage: 'Pay 12 EUR? W4K' })
    const waiting = request.wait()
    await new Promise((r) => setTimeout(r, 300))
    await answer(request, true)
    const tokens = await waiting
    expect(tokens.idTokenClaims).toMatchObject({ sub: 'ann', iss: issuer, aud: POLL.clientId })
    expect(tokens.refreshToken).toBeDefined()
    expect((await client.refreshGrant(tokens)).idTokenClaims?.sub).toBe('ann')
  })

  it('the user refuses: access_denied, reauthenticate; an unknown user: the request itself is refused', async () => {
    const client = await createOAuthClient({ issuer, ...POLL, clock: fastClock })
    const request = await client.startBackchannelAuthentication({ scope: 'openid', loginHint: 'ann@example.com' })
    await answer(request, false)
    await expect(request.wait()).rejects.toMatchObject({ error: 'access_denied', recovery: 'reauthenticate' })
    await expect(client.startBackchannelAuthentication({ scope: 'openid', loginHint: 'nobody@example.com' })).rejects.toMatchObject({
      code: 'oauth_error',
      recovery: 'fix-config',
    })
  })

  it('ping mode: oidc-provider pings the notification endpoint with the token; validatePing names the request; complete() redeems it', async () => {
    const client = await createOAuthClient({ issuer, ...PING })
    const clientNotificationToken = randomBytes(16).toString('base64url')
    const request = await client.startBackchannelAuthentication({ scope: 'openid', loginHint: 'ann@example.com', clientNotificationToken })
    await answer(request, true)
    for (let i = 0; i < 50 && pings.length === 0; i++) await new Promise((r) => setTimeout(r, 50))
    expect(pings).toHaveLength(1)
    // A forged ping (another token) is refused; the real one names the request.
    await expect(validatePing(pings[0]!.clone(), { clientNotificationToken: 'not-the-token' })).rejects.toMatchObject({
      code: 'invalid_response',
    })
    expect(await validatePing(pings[0]!, { clientNotificationToken })).toBe(request.authReqId)
    expect((await request.complete()).idTokenClaims).toMatchObject({ sub: 'ann' })
  })
})
