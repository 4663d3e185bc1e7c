/**
 * passwordGrant, the legacy resource owner password grant.
 */
import { http } from 'msw'
import { describe, expect, it } from 'vitest'
import { createOAuthClient, type OAuthClientOptions } from '../../../src/index.js'
import { ISSUER, metadata, tokenJson, tokenAnswer } from '../../support/as-mock.js'
import { form, useStrictMsw, failure } from '../../support/msw.js'

const msw = useStrictMsw()

const ok = { access_token: 'at', token_type: 'Bearer', expires_in: 300 }

function client(options: Partial<OAuthClientOptions> = {}) {
  return createOAuthClient({ clientId: 'svc', clientSecret: 'secret', metadata: metadata(), ...options })
}

const captureToken = (body: Record<string, unknown> = ok) => tokenAnswer(msw, body)

describe('password (legacy)', () => {
  it('sends username, password and scope', async () => {
    captureToken({ ...ok, refresh_token: 'rt' })
    const set = await (await client()).passwordGrant({ username: 'ann', password: 'pw', scope: 'all billing' })
    expect(set.refreshToken).toBe('rt')
    const sent = await form(msw.requests[0]!)
    expect([sent.get('grant_type'), sent.get('username'), sent.get('password'), sent.get('scope')]).toEqual([
      'password',
      'ann',
      'pw',
      'all billing',
    ])
  })

  it('a wrong password is invalid_grant, and the password is in no message', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, () => tokenJson({ error: 'invalid_grant', error_description: 'bad credentials' }, { status: 400 })),
    )
    const err = await failure((await client()).passwordGrant({ username: 'ann', password: 'hunter2' }))
    expect(err.error).toBe('invalid_grant')
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain('hunter2')
  })
})
