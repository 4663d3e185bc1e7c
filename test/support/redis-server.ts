/**
 * Debian's redis-server on 127.0.0.1 with an ephemeral port, for the Redis tests (#15): no
 * persistence, stopped (and restartable on the same port, for the outage tests) by the test.
 * Tests never install it: `.ci/run` does. Without it, a local run skips with one line saying
 * how to get it; under CI (CI=true) that is a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, connect } from 'node:net'

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server'
export const haveRedis = existsSync(REDIS_SERVER)
if (!haveRedis) {
  const why = `Redis tests: no redis-server at ${REDIS_SERVER} (apt-get install redis-server, or set REDIS_SERVER_PATH)`
  if (process.env.CI === 'true') throw new Error(`${why}; CI must have it`)
  console.warn(`skipped: ${why}`)
}

/** A free port on 127.0.0.1 (Redis takes no port 0). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)))
    socket.on('error', () => resolve(false))
  })
}

export interface RunningRedis {
  url: string
  /** Stops the server (its data goes with it). */
  stop(): Promise<void>
  /** Starts it again on the same port. */
  start(): Promise<void>
}

export async function startRedis(): Promise<RunningRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
      { stdio: 'ignore' },
    )
    for (let i = 0; i < 200 && !(await accepting(port)); i++) await new Promise((resolve) => setTimeout(resolve, 25))
  }
  const stop = async () => {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    await new Promise((resolve) => {
      running.once('exit', resolve)
      running.kill('SIGKILL')
    })
  }
  await start()
  return { url: `redis://127.0.0.1:${port}`, start, stop }
}
