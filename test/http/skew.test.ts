/**
 * The server's clock (http/skew.ts): its offset measured from Date headers, and used where the
 * server's time counts.
 */
import { http } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { clientCredentialsGrant, createContext, refreshGrant, type RetryPolicy } from '../../src/index.js'
import { ISSUER, fakeIdToken, metadata, tokenJson } from '../support/as-mock.js'
import { fakeClock, useStrictMsw } from '../support/msw.js'

const msw = useStrictMsw()
const secret = { clientId: 'app', clientSecret: 'app-secret' }

function context(clock = fakeClock(), retry?: RetryPolicy | false) {
  return createContext(metadata(), secret, { clock, ...(retry === undefined ? {} : { retry }) })
}

describe("the server's clock", () => {
  it('an ID token on a server clock 10 minutes behind is checked on that clock, as its Date header measured', async () => {
    const clock = fakeClock()
    const serverNow = clock.now() - 10 * 60_000
    const idToken = fakeIdToken({ iss: ISSUER, sub: 'u', aud: 'app', iat: serverNow / 1000, exp: serverNow / 1000 + 300 })
    msw.server.use(
      http.post(`${ISSUER}/token`, () =>
        tokenJson(
          { access_token: 'at', token_type: 'bearer', id_token: idToken },
          { headers: { date: new Date(serverNow).toUTCString() } },
        ),
      ),
    )
    const tokens = await refreshGrant(context(clock), 'rt')
    expect(tokens.idTokenClaims).toMatchObject({ sub: 'u' })
  })

  it('a Date header more than an hour off is not believed (onWarning clock_skew)', async () => {
    const clock = fakeClock()
    const onWarning = vi.fn()
    msw.server.use(
      http.post(`${ISSUER}/token`, () =>
        tokenJson({ access_token: 'at', token_type: 'bearer' }, { headers: { date: new Date(clock.now() - 2 * 3_600_000).toUTCString() } }),
      ),
    )
    await clientCredentialsGrant(createContext(metadata(), secret, { clock, onWarning }))
    expect(onWarning.mock.calls.map((c) => c[0].code)).toEqual(['clock_skew'])
  })
})
