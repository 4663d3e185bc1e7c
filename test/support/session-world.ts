import { delay, http, HttpResponse } from 'msw'
import { createOAuthClient, type Session, type SessionOptions, type TokenSet } from '../../src/index.js'
import { ISSUER, metadata, tokenJson } from './as-mock.js'
import { fakeClock, form, type useStrictMsw } from './msw.js'

/** The API the sessions of these tests call. */
export const API = 'https://api.example.com/v1'

/**
 * Sessions over a mocked authorization server and API that agree on which access tokens are
 * valid (test/token/manager.test.ts, test/session.test.ts, test/fetch/authorized-fetch.test.ts).
 * Tokens are `at-N` / `rt-N`; refresh tokens rotate and a used one is refused.
 */
/** The mocked server and API.
 * Tokens are `at-N` / `rt-N`; refresh tokens rotate and a used one is refused.
 */
export function world(
  msw: ReturnType<typeof useStrictMsw>,
  options: { lifetime?: number; failTokenRequests?: number; apiDelay?: () => number } = {},
) {
  const valid = new Set<string>()
  const liveRefresh = new Set<string>(['rt-0'])
  let issued = 0
  let failures = options.failTokenRequests ?? 0
  const grants: string[] = []
  msw.server.use(
    http.post(`${ISSUER}/token`, async ({ request }) => {
      const params = await form(request)
      grants.push(params.get('grant_type')!)
      if (failures > 0) {
        failures--
        return tokenJson({ error: 'server_error' }, { status: 500 })
      }
      if (params.get('grant_type') === 'refresh_token') {
        const used = params.get('refresh_token')!
        if (!liveRefresh.delete(used)) return tokenJson({ error: 'invalid_grant' }, { status: 400 })
      }
      issued++
      valid.add(`at-${issued}`)
      liveRefresh.add(`rt-${issued}`)
      return tokenJson({
        access_token: `at-${issued}`,
        token_type: 'Bearer',
        expires_in: options.lifetime ?? 300,
        refresh_token: `rt-${issued}`,
      })
    }),
    http.all(`${API}/*`, async ({ request }) => {
      if (options.apiDelay) await delay(options.apiDelay())
      const token = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1]
      if (!token || !valid.has(token))
        return new HttpResponse(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } })
      return HttpResponse.json({ token })
    }),
  )
  return {
    valid,
    tokenCalls: () => grants.length,
    grants,
    revokeAll: () => valid.clear(),
  }
}

export async function makeSession(clock = fakeClock(), options: SessionOptions = {}): Promise<Session> {
  const client = await createOAuthClient({ clientId: 'app', clientSecret: 'secret', metadata: metadata(), clock })
  return client.session({ apiUrls: [API], ...options })
}

export const expired = (clock: { now(): number }): TokenSet => ({
  accessToken: 'at-0',
  tokenType: 'bearer',
  refreshToken: 'rt-0',
  expiresAt: clock.now() - 1000,
  extra: {},
})
