// Node-only: a token store in a file, for command-line tools. Shipped as `oauthkit/node` so
// that the main entry stays free of Node built-ins.
import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { link, mkdir, open, rename, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ConfigError } from '../errors.js'
import { storeConflict, storedTokens, type StoredTokens, type TokenStore } from '../token/store.js'
import type { KeyValueStore } from '../types.js'
import { fileLock } from './file-lock.js'

/**
 * Keeps tokens in a JSON file readable by the owner only (mode 0600; the folder is created
 * 0700), replaced atomically (written to a temporary file in the same folder, then renamed),
 * so a crash never leaves half a file. It comes with a cross-process lock (`<path>.lock`,
 * see fileLock) that its sessions use by default: renewals are serialised across every
 * process on the machine that shares the file, and the version check runs under it.
 *
 * @example
 * import { homedir } from 'node:os'
 * import { join } from 'node:path'
 * import { fileStore } from 'oauthkit/node'
 * const session = client.session({ tokens, store: fileStore(join(homedir(), '.config', 'my-cli', 'tokens.json')) })
 */
export function fileStore(path: string): TokenStore {
  if (typeof path !== 'string' || path === '') throw new ConfigError('invalid_config', 'fileStore needs a file path')

  async function read(): Promise<StoredTokens | undefined> {
    const raw = await readPrivate(path, 'token file')
    if (raw === undefined) return undefined
    try {
      return storedTokens(JSON.parse(raw))
    } catch {
      return undefined // a corrupt file is treated as empty: the next sign-in overwrites it
    }
  }

  return {
    load: read,
    lock: fileLock(`${path}.lock`),
    keys: fileKeys(path),
    async save(tokens, expectedVersion, owner) {
      const found = (await read())?.version
      if (found !== expectedVersion) throw storeConflict(found, expectedVersion)
      const version = (found ?? 0) + 1
      const temp = await writeBeside(path, JSON.stringify({ tokens, version, owner }))
      try {
        await rename(temp, path)
      } catch (err) {
        await unlink(temp).catch(() => {})
        throw err
      }
      return version
    },
    async clear(expectedVersion) {
      const found = (await read())?.version
      if (expectedVersion !== undefined && found !== expectedVersion) throw storeConflict(found, expectedVersion)
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
      })
    },
  }
}

/**
 * Reads a file of secrets (tokens, a key) that only this user may read: never through a
 * symbolic link (`O_NOFOLLOW`: a link planted in its place would make another file the
 * fleet's key or tokens), and never one that the group or others may read or write (the mode
 * is checked on the open file; nothing is changed on disk — the owner decides: `chmod 600`).
 * Undefined when there is no file. The mode check does not apply on Windows.
 */
export async function readPrivate(path: string, what: string): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'ELOOP')
      throw new ConfigError(
        'invalid_config',
        `the ${what} ${path} is a symbolic link; oauthkit does not follow links to secrets: put the file itself there`,
      )
    throw new ConfigError('invalid_config', `the ${what} ${path} cannot be read (${code ?? 'error'}): check its path and permissions`, {
      cause: err,
    })
  }
  try {
    const { mode } = await handle.stat()
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new ConfigError(
        'invalid_config',
        `the ${what} ${path} has mode ${(mode & 0o777).toString(8).padStart(4, '0')}: the group or others may read it; run chmod 600 on it (oauthkit writes it 0600)`,
      )
    }
    return await handle.readFile('utf8')
  } finally {
    await handle.close()
  }
}

/** Writes `text` whole to a new temporary file beside `path` (mode 0600, the folder 0700) and returns its name. */
async function writeBeside(path: string, text: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return temp
}

/**
 * What the processes sharing a token file share besides (their DPoP key), each value in a file
 * beside it (`<path>.<key>.json`, mode 0600).
 */
function fileKeys(path: string): KeyValueStore {
  return keyFiles((key) => {
    if (!/^[a-z0-9-]+$/i.test(key))
      throw new ConfigError('invalid_config', `a file store's key is letters, digits and -, not ${JSON.stringify(key)}`)
    return `${path}.${key}.json`
  })
}

/**
 * A {@link KeyValueStore} in a folder, one file per key (mode 0600, the folder 0700), safe for
 * every process of the machine that shares the folder: `set` writes a temporary file and
 * renames it into place, `setOnce` links it to its name (the first value stays), `swap`
 * compares and writes under a lock file. For what an MCP client keeps (`createMcpAuth({ storage })`:
 * its registrations and tokens), so that processes on one folder share one registration and
 * never overwrite each other's tokens unseen. Keys may be any text (a file's name is a hash of it).
 *
 * @example
 * import { homedir } from 'node:os'
 * import { join } from 'node:path'
 * import { fileKeyValueStore } from 'oauthkit/node'
 * const storage = fileKeyValueStore(join(homedir(), '.config', 'my-agent', 'mcp'))
 */
export function fileKeyValueStore(dir: string): KeyValueStore {
  if (typeof dir !== 'string' || dir === '') throw new ConfigError('invalid_config', 'fileKeyValueStore needs a folder path')
  return keyFiles((key) => join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.json`))
}

/** A key-value store of one file per key, `fileOf` naming each. */
function keyFiles(fileOf: (key: string) => string): KeyValueStore {
  const get = (key: string) => readPrivate(fileOf(key), 'stored value')
  const set = async (key: string, value: string | undefined) => {
    const file = fileOf(key)
    if (value === undefined) return void (await unlink(file).catch((err: NodeJS.ErrnoException) => ignoreMissing(err)))
    const temp = await writeBeside(file, value)
    await rename(temp, file).catch(async (err: unknown) => (await unlink(temp).catch(() => {}), Promise.reject(err)))
  }
  return {
    get,
    set,
    async setOnce(key, value) {
      const file = fileOf(key)
      const temp = await writeBeside(file, value)
      try {
        await link(temp, file)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      } finally {
        await unlink(temp).catch(() => {})
      }
      return (await get(key)) ?? value
    },
    // Read, compare and write under the value's lock file: one process at a time (a dead holder's lock expires).
    swap: (key, expected, value) =>
      fileLock(`${fileOf(key)}.lock`, { lease: 10_000, timeout: 15_000 }).run('swap', async () => {
        if ((await get(key)) !== expected) return false
        await set(key, value)
        return true
      }),
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err
}
