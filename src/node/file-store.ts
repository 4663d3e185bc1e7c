// Node-only: a token store in a file, for command-line tools. Shipped as `oauthkit/node` so
// that the main entry stays free of Node built-ins.
import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ConfigError } from '../errors.js'
import { storeConflict, type StoredTokens, type TokenStore } from '../token/store.js'
import { isTokenSet } from '../wire/token.js'

/**
 * Keeps tokens in a JSON file readable by the owner only (mode 0600; the folder is created
 * 0700), replaced atomically (written to a temporary file in the same folder, then renamed),
 * so a crash never leaves half a file. The version check is compare-and-swap within one
 * process; several processes sharing the file should also share a lock around refreshes.
 *
 * @example
 * import { fileStore } from 'oauthkit/node'
 * const session = client.session({ tokens, store: fileStore(join(homedir(), '.config', 'my-cli', 'tokens.json')) })
 */
export function fileStore(path: string): TokenStore {
  if (typeof path !== 'string' || path === '') throw new ConfigError('invalid_config', 'fileStore needs a file path')

  async function read(): Promise<StoredTokens | undefined> {
    let raw: string
    try {
      raw = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new ConfigError('invalid_config', `the token file cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): check its path and permissions`, { cause: err })
    }
    try {
      const parsed = JSON.parse(raw) as StoredTokens
      return isTokenSet(parsed?.tokens) && Number.isSafeInteger(parsed.version) ? parsed : undefined
    } catch {
      return undefined // a corrupt file is treated as empty: the next sign-in overwrites it
    }
  }

  return {
    load: read,
    async save(tokens, expectedVersion) {
      const found = (await read())?.version
      if (found !== expectedVersion) throw storeConflict(found, expectedVersion)
      const version = (found ?? 0) + 1
      await mkdir(dirname(path), { recursive: true, mode: 0o700 })
      const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`
      const handle = await open(temp, 'wx', 0o600)
      try {
        await handle.writeFile(JSON.stringify({ tokens, version }))
        await handle.sync()
      } finally {
        await handle.close()
      }
      try {
        await rename(temp, path)
      } catch (err) {
        await unlink(temp).catch(() => {})
        throw err
      }
      return version
    },
    async clear() {
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
      })
    },
  }
}
