/**
 * clientCredentialsGrant (RFC 6749 §4.4): what the request carries.
 */
import { describe, expect, it } from 'vitest'
import { createOAuthClient, type OAuthClientOptions } from '../../../src/index.js'
import { metadata, tokenAnswer } from '../../support/as-mock.js'
import { form, useStrictMsw } from '../../support/msw.js'

const msw = useStrictMsw()

const ok = { access_token: 'at', token_type: 'Bearer', expires_in: 300 }

function client(options: Partial<OAuthClientOptions> = {}) {
  return createOAuthClient({ clientId: 'svc', clientSecret: 'secret', metadata: metadata(), ...options })
}

const captureToken = (body: Record<string, unknown> = ok) => tokenAnswer(msw, body)

describe('client_credentials', () => {
  it('sends scope, every resource, audience and extra parameters', async () => {
    captureToken()
    const set = await (
      await client()
    ).clientCredentialsGrant({
      scope: 'read write',
      resource: ['https://a.example', 'https://b.example'],
      audience: 'https://api.example',
      extraParams: { tenant: 't1' },
    })
    expect(set.accessToken).toBe('at')
    const sent = await form(msw.requests[0]!)
    expect(sent.get('grant_type')).toBe('client_credentials')
    expect(sent.get('scope')).toBe('read write')
    expect(sent.getAll('resource')).toEqual(['https://a.example', 'https://b.example'])
    expect(sent.get('audience')).toBe('https://api.example')
    expect(sent.get('tenant')).toBe('t1')
  })
})
