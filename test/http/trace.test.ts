/**
 * The tracing hook and the retry and renewal events.
 */
import { describe, expect, it } from 'vitest'
import { clientCredentialsGrant, createContext, createOAuthClient } from '../../src/index.js'
import { ISSUER, metadata, tokenJson, tokenAnswers, unavailable } from '../support/as-mock.js'
import { fakeClock, useStrictMsw } from '../support/msw.js'

const msw = useStrictMsw()
const secret = { clientId: 'app', clientSecret: 'app-secret' }
const ok = (n = 1, more: Record<string, unknown> = {}) =>
  tokenJson({ access_token: `at-${n}`, token_type: 'bearer', expires_in: 10, ...more })

const answers = (...replies: Array<() => Response>) => tokenAnswers(msw, ...replies)

describe('tracing and events', () => {
  it('the tracing hook gets a span per request: operation, endpoint, URL without query, status or error code, duration; never a secret', async () => {
    answers(unavailable, () => ok())
    const spans: unknown[] = []
    const clock = fakeClock()
    const ctx = createContext(metadata(), secret, { clock, trace: (start) => (end) => void spans.push({ ...start, ...end }) })
    await clientCredentialsGrant(ctx)
    expect(spans).toEqual([
      { operation: 'client_credentials grant', endpoint: 'token', url: `${ISSUER}/token`, status: 503, error: 'oauth_error', duration: 0 },
      { operation: 'client_credentials grant', endpoint: 'token', url: `${ISSUER}/token`, status: 200, duration: 0 },
    ])
    expect(JSON.stringify(spans)).not.toMatch(/app-secret|at-1/)
  })

  it('a tracer that throws changes nothing', async () => {
    answers(() => ok())
    const ctx = createContext(metadata(), secret, {
      trace: () => {
        throw new Error('tracer down')
      },
    })
    expect((await clientCredentialsGrant(ctx)).accessToken).toBe('at-1')
  })

  it('a session reports retry and renewal events, with no token or secret in them', async () => {
    answers(unavailable, () => ok(1, { expires_in: 10 }))
    const client = await createOAuthClient({ ...secret, metadata: metadata(), clock: fakeClock() })
    const session = client.session({ grant: 'client_credentials' })
    const seen: unknown[] = []
    session.on('retry', (e) => seen.push(['retry', e]))
    session.on('renewal', (e) => seen.push(['renewal', e]))
    await session.getAccessToken()
    expect(seen).toEqual([
      [
        'retry',
        expect.objectContaining({ operation: 'client_credentials grant', attempt: 2, reason: 'oauth_error temporarily_unavailable' }),
      ],
      ['renewal', { outcome: 'renewed', failures: 0, duration: expect.any(Number) }],
    ])
    expect(JSON.stringify(seen)).not.toMatch(/app-secret|at-1/)
  })
})
