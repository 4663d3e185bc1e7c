/**
 * An emulator of "Acme Cloud", the made-up vendor of examples/dialect-from-scratch.ts: a token
 * endpoint that reads only a JSON body with camelCase names and answers `expires_in` as a
 * string of milliseconds without a `token_type`. Used by its test and by `npm run example`.
 */
import { createEmulator, EmulatorRejection } from '../../src/entries/testing.js'

export const ACME_CLIENT = { clientId: 'acme-app', clientSecret: 'acme-secret' }

const names: Record<string, string> = {
  grantType: 'grant_type',
  clientId: 'client_id',
  clientSecret: 'client_secret',
  refreshToken: 'refresh_token',
  scope: 'scope',
}

export function acmeCloudServer() {
  return createEmulator({
    issuer: 'https://login.acme-cloud.example',
    clients: [ACME_CLIENT],
    paths: { token: '/api/v2/token', authorize: false, revoke: false, introspect: false, userinfo: false, register: false, device: false },
    discovery: { oauth: false, openid: false },
    refreshTokenWithClientCredentials: true,
    expiresIn: (seconds) => String(seconds * 1000),
    tokenResponse: ({ token_type: _dropped, ...rest }) => rest,
    async readTokenRequest(request) {
      if (!(request.headers.get('content-type') ?? '').startsWith('application/json'))
        throw new EmulatorRejection('invalid_request', 'JSON body expected')
      const body = (await request.json()) as Record<string, string>
      const params = new URLSearchParams()
      for (const [key, value] of Object.entries(body)) {
        if (!names[key]) throw new EmulatorRejection('invalid_request', `unknown field ${key}`)
        params.set(names[key]!, value)
      }
      return { params, clientId: body.clientId, clientSecret: body.clientSecret }
    },
  })
}
