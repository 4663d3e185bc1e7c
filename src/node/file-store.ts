// Node-only: a token store in a file, for command-line tools. Shipped as `oauthkit/node` so
// that the main entry stays free of Node built-ins.
import { randomBytes } from 'node:crypto'
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ConfigError } from '../errors.js'
import { storeConflict, storedTokens, type StoredTokens, type TokenStore } from '../token/store.js'
import type { KeyStore } from '../types.js'
import { fileLock } from './file-lock.js'

/**
 * Keeps tokens in a JSON file readable by the owner only (mode 0600; the folder is created
 * 0700), replaced atomically (written to a temporary file in the same folder, then renamed),
 * so a crash never leaves half a file. It comes with a cross-process lock (`<path>.lock`,
 * see fileLock) that its sessions use by default: renewals are serialised across every
 * process on the machine that shares the file, and the version check runs under it.
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
      return storedTokens(JSON.parse(raw))
    } catch {
      return undefined // a corrupt file is treated as empty: the next sign-in overwrites it
    }
  }

  return {
    load: read,
    lock: fileLock(`${path}.lock`),
    dpopKey: fileKey(`${path}.dpop.json`),
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
 * The DPoP key of the processes sharing a token file, in a file beside it (mode 0600): written
 * whole to a temporary file, then linked to its name, which fails if another process got there
 * first — so the first key stays, and every process reads it.
 */
function fileKey(path: string): KeyStore {
  const loadKey = async () =>
    readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined
      throw new ConfigError('invalid_config', `the DPoP key file cannot be read (${err.code ?? 'error'}): check its path and permissions`, { cause: err })
    })
  return {
    loadKey,
    async saveKeyOnce(value) {
      const temp = await writeBeside(path, value)
      try {
        await link(temp, path)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      } finally {
        await unlink(temp).catch(() => {})
      }
      return (await loadKey()) ?? value
    },
  }
}
