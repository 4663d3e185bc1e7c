/**
 * tokenFile (oauthkit/node): a token the platform writes to a file and rotates, read afresh for
 * each request.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tokenFile } from '../../src/entries/node.js'

const dir = mkdtempSync(join(tmpdir(), 'oauthkit-token-file-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('tokenFile', () => {
  it('reads the token afresh on each call: a rotated file gives the new one', async () => {
    const path = join(dir, 'token')
    writeFileSync(path, 'eyJhbGciOiJFUzI1NiJ9.first.sig\n')
    const read = tokenFile(path)
    expect(await read()).toBe('eyJhbGciOiJFUzI1NiJ9.first.sig')
    writeFileSync(path, 'eyJhbGciOiJFUzI1NiJ9.second.sig')
    expect(await read()).toBe('eyJhbGciOiJFUzI1NiJ9.second.sig')
  })

  it('a missing, empty or many-line file is invalid_config naming the file, never its content', async () => {
    const many = join(dir, 'many')
    writeFileSync(many, 'one-secret-line\nanother-secret-line\n')
    const empty = join(dir, 'empty')
    writeFileSync(empty, '  \n')
    for (const path of [join(dir, 'absent'), many, empty]) {
      const err = (await tokenFile(path)().then(
        () => undefined,
        (e: unknown) => e,
      )) as Error & { code: string }
      expect(err).toMatchObject({ code: 'invalid_config', message: expect.stringContaining(path) })
      expect(String(err.message)).not.toMatch(/secret-line/)
    }
    expect(() => tokenFile('')).toThrow(expect.objectContaining({ code: 'invalid_config' }))
  })
})
