// Node-only: a lock shared by the processes of one machine, as a file created atomically.
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { lstat, mkdir, open, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { polledLock, type Lock } from '../token/lock.js'

/** What the lock file says: who holds it, and until when the holder may be trusted to be alive. */
interface Holder {
  pid: number
  owner: string
  expiresAt: number
}

/** Options of fileLock: how long a holder's claim lasts, and how long a waiter waits. */
export interface FileLockOptions {
  /** Milliseconds a holder's claim lasts; a lock file older than this is a dead holder's. Default 45 000 (longer than a token request may take). */
  lease?: number
  /** Milliseconds a waiter waits before running its task without the lock (docs/fleet.md). Default 60 000. */
  timeout?: number
}

/**
 * A lock shared by the processes of one machine: a lock file created atomically (`O_EXCL`)
 * that names its holder (process id, a random owner, a lease). Released only by its owner. A
 * lock file whose process is gone (a killed CLI) or whose lease has run out is a dead
 * holder's, and is removed by the next waiter; waiters poll with backoff (25 ms to 500 ms).
 * A waiter that waited `timeout` runs its task without the lock rather than fail (the token
 * file's compare-and-swap still guards the tokens).
 *
 * @example
 * const lock = fileLock('/home/me/.config/my-cli/tokens.json.lock')
 * await lock.run('refresh', async () => renew())
 */
export function fileLock(path: string, options: FileLockOptions = {}): Lock {
  const lease = options.lease ?? 45_000
  const timeout = options.timeout ?? 60_000
  const take = async (owner: string): Promise<'held' | 'busy'> => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    try {
      const handle = await open(path, 'wx', 0o600)
      await handle.writeFile(JSON.stringify({ pid: process.pid, owner, expiresAt: Date.now() + lease } satisfies Holder))
      await handle.close()
      return 'held'
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const holder = await readHolder(path, lease)
      // A file nobody can read is being written (give it two seconds) or a crash's leftover.
      const dead = holder
        ? !alive(holder)
        : await lstat(path).then(
            (s) => Date.now() - s.mtimeMs > 2000,
            () => false,
          )
      if (dead) await removeIf(path, holder, lease)
      return 'busy'
    }
  }
  return {
    run<T>(_name: string, task: () => Promise<T>): Promise<T> {
      const owner = randomBytes(8).toString('hex')
      // A directory that refuses the file is a lock out of reach: run without it at once.
      return polledLock(
        () => take(owner),
        () => removeIf(path, { owner }, lease),
        task,
        { timeout, maxWait: 500 },
      )
    },
  }
}

/**
 * The holder a lock file names (never read through a symbolic link). Its claim lasts until
 * its `expiresAt`, but never longer than `lease` after the file was written: a planted file
 * claiming ten years is a dead holder's once the lease has passed.
 */
async function readHolder(path: string, lease: number): Promise<Holder | undefined> {
  try {
    const handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0))
    try {
      const [text, { mtimeMs }] = await Promise.all([handle.readFile('utf8'), handle.stat()])
      const holder = JSON.parse(text) as Holder
      if (typeof holder?.owner !== 'string') return undefined
      return { ...holder, expiresAt: Math.min(Number(holder.expiresAt) || 0, mtimeMs + lease) }
    } finally {
      await handle.close()
    }
  } catch {
    return undefined // being written, corrupt or a link: judged again on the next poll
  }
}

/** Whether a holder may still be alive: its lease runs, and its process exists (on this machine). */
function alive(holder: Holder): boolean {
  if (Date.now() > holder.expiresAt) return false
  try {
    process.kill(holder.pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' // exists, another user's
  }
}

/** Removes the lock file if it still names `holder` (its owner), or if it never named anyone readable. */
async function removeIf(path: string, holder: Pick<Holder, 'owner'> | undefined, lease: number): Promise<void> {
  const now = await readHolder(path, lease)
  if (holder === undefined ? now !== undefined : now?.owner !== holder.owner) return
  await unlink(path).catch(() => {})
}
