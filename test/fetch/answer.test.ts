/**
 * What the authorized fetch does with a 401, a 403 or a redirect (fetch/answer.ts) is a chunk
 * loaded the first time one comes. When it cannot be loaded, the response is the answer, as a
 * plain fetch's would be: no renewal is attempted blind, nothing is sent twice. (The answer at
 * work: test/fetch/authorized-fetch.test.ts.)
 */
import { http, HttpResponse } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { createAuthorizedFetch } from '../../src/index.js'
import { useStrictMsw } from '../support/msw.js'

vi.mock('../../src/fetch/answer.js', () => {
  throw new Error('Failed to load the answer chunk')
})

const msw = useStrictMsw()
const API = 'https://api.example.com/v1'

describe('answer without its chunk', () => {
  it('a 401 is handed back as it came: the token is not renewed, the request not sent again', async () => {
    msw.server.use(
      http.get(`${API}/me`, () => new HttpResponse(null, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } })),
    )
    const invalidate = vi.fn(() => true)
    const tokens = { getAccessToken: async () => 'at-secret-0001', invalidate }
    const response = await createAuthorizedFetch({ tokens, apiUrls: [API] })(`${API}/me`)
    expect(response.status).toBe(401)
    expect(invalidate).not.toHaveBeenCalled()
    expect(msw.requests).toHaveLength(1)
  })
})
