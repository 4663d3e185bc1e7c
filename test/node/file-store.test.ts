import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fileStore } from '../../src/entries/node.js'
import { TokenManager, isOAuthKitError, type TokenSet } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'oauthkit-store-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const tokens = (n: number): TokenSet => ({ accessToken: `at-${n}`, tokenType: 'bearer', refreshToken: `rt-${n}`, extra: {} })

describe('fileStore', () => {
  it('round-trips with versions, in a 0600 file inside a 0700 folder, leaving no temporary file', async () => {
    const path = join(dir, 'nested', 'tokens.json')
    const store = fileStore(path)
    expect(await store.load()).toBeUndefined()
    expect(await store.save(tokens(1), undefined)).toBe(1)
    expect(await store.save(tokens(2), 1)).toBe(2)
    expect(await store.load()).toEqual({ tokens: tokens(2), version: 2 })
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700)
    expect(readdirSync(join(dir, 'nested'))).toEqual(['tokens.json'])
  })

  it('refuses a save against a stale version (compare-and-swap)', async () => {
    const store = fileStore(join(dir, 'cas.json'))
    await store.save(tokens(1), undefined)
    const err = await store.save(tokens(2), undefined).catch((e: unknown) => e)
    expect(isOAuthKitError(err) && err.code).toBe('store_conflict')
  })

  it('treats a corrupt file as empty, and clear removes it', async () => {
    const path = join(dir, 'corrupt.json')
    writeFileSync(path, '{not json', { mode: 0o600 })
    const store = fileStore(path)
    expect(await store.load()).toBeUndefined()
    await store.clear()
    await store.clear() // twice is fine
    expect(readdirSync(dir)).not.toContain('corrupt.json')
  })

  it('serves a token manager across "restarts"', async () => {
    const path = join(dir, 'cli.json')
    const first = new TokenManager({ store: fileStore(path) })
    await first.setTokens(tokens(7))
    const second = new TokenManager({ store: fileStore(path) })
    expect(await second.getAccessToken()).toBe('at-7')
  })
})
