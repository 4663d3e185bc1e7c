/**
 * retrying (src/internal/retrying.ts): how every chunk loaded on first use (the error translation,
 * the ID token checker, the browser client's sign-in, the tabs' ledger) and the browser client's
 * DPoP key are had — once for every caller, and again after a failure.
 */
import { describe, expect, it, vi } from 'vitest'
import { retrying } from '../../src/internal/retrying.js'

describe('retrying', () => {
  it('runs the load once for every caller, concurrent or later', async () => {
    const load = vi.fn(async () => 'chunk')
    const get = retrying(load)
    expect(await Promise.all([get(), get(), get()])).toEqual(['chunk', 'chunk', 'chunk'])
    expect(await get()).toBe('chunk')
    expect(load).toHaveBeenCalledOnce()
  })

  it('forgets a failed load: the callers of that try see its error, the next call tries again', async () => {
    const load = vi.fn().mockRejectedValueOnce(new Error('Failed to fetch dynamically imported module')).mockResolvedValue('chunk')
    const get = retrying(load)
    await expect(Promise.all([get(), get()])).rejects.toThrow('Failed to fetch')
    expect(load).toHaveBeenCalledOnce()
    expect(await get()).toBe('chunk')
    expect(await get()).toBe('chunk')
    expect(load).toHaveBeenCalledTimes(2)
  })
})
