/**
 * The browser client's rotation ledger (browser/ledger.ts) is a chunk loaded on first use. When
 * it cannot be loaded, there is no ledger — as where there is no IndexedDB: no refresh token is
 * known spent — and renewal goes on. (The ledger at work, across tabs: test/browser/tabs.test.ts.)
 */
import { http } from 'msw'
import { describe, expect, it, vi } from 'vitest'
import { createBrowserClient, type TokenSet } from '../../src/entries/browser.js'
import { memoryStore } from '../../src/index.js'
import { ISSUER, metadata, tokenJson } from '../support/as-mock.js'
import { form, useStrictMsw } from '../support/msw.js'

vi.mock('../../src/browser/ledger.js', () => {
  throw new Error('Failed to load the rotation ledger chunk')
})

const msw = useStrictMsw()

describe('the rotation ledger without its chunk', () => {
  it('renews with the refresh token held, as a tab without IndexedDB does', async () => {
    msw.server.use(
      http.post(`${ISSUER}/token`, () => tokenJson({ access_token: 'at-2', token_type: 'bearer', expires_in: 300, refresh_token: 'rt-2' })),
    )
    const store = memoryStore()
    const held: TokenSet = { accessToken: 'at-1', tokenType: 'bearer', expiresAt: Date.now() - 1000, refreshToken: 'rt-1', extra: {} }
    await store.save(held, undefined, 'oauthkit:spa')
    const app = createBrowserClient({ metadata: metadata(), clientId: 'spa', redirectUri: 'https://app.example/', store })
    expect(await app.getAccessToken()).toBe('at-2')
    expect((await form(msw.requests[0]!)).get('refresh_token')).toBe('rt-1')
    // The next renewal uses the rotated token: the session holds it.
    expect((await store.load())?.tokens.refreshToken).toBe('rt-2')
  })
})
