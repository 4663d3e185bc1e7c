/**
 * The authorized fetch's redirect follower (fetch/follow.ts) is a chunk loaded on the first
 * redirect. When it cannot be loaded, a redirect is the answer, as with `redirect: 'manual'`:
 * nothing is followed blind, and the token goes nowhere it should not. (What the follower does
 * once loaded: test/fetch/authorized-fetch.test.ts.)
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { createAuthorizedFetch } from '../../src/index.js'
import { useStrictMsw } from '../support/msw.js'

vi.mock('../../src/fetch/follow.js', () => {
  throw new Error('Failed to load the redirect follower chunk')
})

const msw = useStrictMsw()
const API = 'https://api.example.com/v1'

describe('followRedirects without its chunk', () => {
  it('hands the redirect back, and nothing is sent to where it points', async () => {
    msw.server.use(
      http.get(`${API}/old`, () => new HttpResponse(null, { status: 302, headers: { location: 'https://elsewhere.example.net/x' } })),
    )
    const tokens = { getAccessToken: async () => 'at-secret-0001', invalidate: () => false }
    const response = await createAuthorizedFetch({ tokens, apiUrls: [API] })(`${API}/old`)
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('https://elsewhere.example.net/x')
    expect(msw.requests.map((r) => r.url)).toEqual([`${API}/old`])
  })
})
