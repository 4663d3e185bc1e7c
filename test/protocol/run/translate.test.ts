/**
 * The error translation's door (protocol/run/translate.ts) when its chunk cannot be loaded (a
 * deploy replaced it, the network dropped): the server's OAuth error still reaches the caller,
 * so recovery works — `invalid_grant` is still a sign-in — and anything else is a typed error.
 * The translation itself is tested through every operation's failures elsewhere.
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { createContext, refreshGrant } from '../../../src/index.js'
import { ISSUER, metadata, tokenJson } from '../../support/as-mock.js'
import { failure, useStrictMsw } from '../../support/msw.js'

vi.mock('../../../src/protocol/run/translation.js', () => {
  throw new Error('Failed to fetch dynamically imported module: /assets/translation-1a2b3c.js')
})

const msw = useStrictMsw()
const ctx = () => createContext(metadata(), { clientId: 'app', clientSecret: 'app-secret' }, { retry: false })

describe('translateError without its chunk', () => {
  it('a refused refresh token is still invalid_grant: the server said so, and the caller signs in again', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, () =>
        tokenJson({ error: 'invalid_grant', error_description: 'rt-secret-0001 is revoked' }, { status: 400 }),
      ),
    )
    const error = await failure(refreshGrant(ctx(), 'rt-secret-0001'))
    expect(error).toMatchObject({ code: 'oauth_error', error: 'invalid_grant', recovery: 'reauthenticate', status: 400 })
    expect(error.message).toBe('refresh_token grant failed: the server answered 400: invalid_grant')
  })

  it('an answer that is no OAuth error is a typed error that says which operation failed', async () => {
    msw.server.use(
      http.post(
        `${ISSUER}/token`,
        () => new HttpResponse('<html>Bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
      ),
    )
    const error = await failure(refreshGrant(ctx(), 'rt-secret-0002'))
    // (The translation would say unexpected_status, with an excerpt; the fallback has no table.)
    expect(error.code).toBe('invalid_response')
    expect(error.message).toMatch(/^refresh_token grant failed: /)
  })

  it('an error field the server wrote freely is not quoted: without the redaction of the chunk, only registered OAuth codes are read', async () => {
    msw.server.use(http.post(`${ISSUER}/token`, () => tokenJson({ error: 'rt-secret-0003 is not valid' }, { status: 400 })))
    // failure() fails the test if any awaited error carries a secret the request carried.
    const error = await failure(refreshGrant(ctx(), 'rt-secret-0003'))
    expect(error.code).toBe('invalid_response')
    expect(error.error).toBeUndefined()
  })
})
