// Node-only: the loopback redirect of native apps and CLIs (RFC 8252 §7.3).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ConfigError, NetworkError } from '../errors.js'

/** Options of listenForCallback: the path, how long to wait, cancellation, and the page the user sees. */
export interface LoopbackOptions {
  /** The callback path. Default `/callback`. */
  path?: string
  /**
   * The port: 0 (the default) for any free one. A fixed port for a redirect URI registered with
   * one (an MCP client's, say), where the server does not allow any loopback port (RFC 8252 §7.3 says it should).
   */
  port?: number
  /** Milliseconds to wait for the browser to come back. Default 5 minutes. */
  timeout?: number
  signal?: AbortSignal
  /** The HTML shown in the browser once the callback arrived. Default: a page saying to return to the terminal. */
  page?: string
  /**
   * The `state` of the pending sign-in: a callback that does not carry it (a forged one, sent
   * by another page to the loopback port first) is answered 400 and the listener keeps waiting
   * for the real one. Default: the first callback ends the wait.
   */
  state?: string
}

/** A loopback listener waiting for one authorization response. */
export interface LoopbackListener {
  /** `http://127.0.0.1:<port><path>`: the redirect URI to send in the authorization request. */
  redirectUri: string
  /** The callback URL once the browser came back (hand it to `completeAuthorization`); rejects on timeout or abort. */
  callback: Promise<string>
  /** Stops listening (it stops by itself after the one callback, a timeout or an abort). */
  close(): void
}

const PAGE =
  '<!doctype html><meta charset="utf-8"><title>Signed in</title><p style="font:16px system-ui;margin:3rem">You can close this tab and return to the terminal.</p>'

/**
 * Listens on an ephemeral port of `127.0.0.1` (never `localhost`, which may resolve elsewhere)
 * for one authorization response: the first request to `path` that carries `code` or `error` (and the pending `state`, when given)
 * is answered with a page telling the user to go back to the terminal, and its URL resolves
 * `callback`. Everything else is a 404. Stops after that one callback, a timeout or an abort
 * (RFC 8252 §7.3, §8.3).
 *
 * @example
 * const listener = await listenForCallback()
 * const pending = await client.buildAuthorizationUrl({ redirectUri: listener.redirectUri, scope: 'openid' })
 * console.log(`Open ${pending.url}`)
 * const tokens = await client.completeAuthorization(await listener.callback, pending)
 */
export async function listenForCallback(options: LoopbackOptions = {}): Promise<LoopbackListener> {
  const path = options.path ?? '/callback'
  let settle: { resolve(url: string): void; reject(err: unknown): void } | undefined
  const callback = new Promise<string>((resolve, reject) => (settle = { resolve, reject }))
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    if (url.pathname !== path || !(url.searchParams.has('code') || url.searchParams.has('error'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    if (options.state !== undefined && url.searchParams.get('state') !== options.state) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('this is not the sign-in this program is waiting for')
      return
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(options.page ?? PAGE)
    finish(() => settle?.resolve(url.href))
  })
  const wait: { timer?: ReturnType<typeof setTimeout> } = {}
  const onAbort = () =>
    finish(() =>
      settle?.reject(new NetworkError('aborted', 'waiting for the browser to come back was cancelled', { cause: options.signal?.reason })),
    )
  function finish(then: () => void) {
    clearTimeout(wait.timer)
    options.signal?.removeEventListener('abort', onAbort)
    server.close()
    server.closeAllConnections?.()
    then()
  }
  const port = options.port ?? 0
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve)).catch(
    (err: { code?: string }) => {
      throw err.code === 'EADDRINUSE'
        ? new ConfigError(
            'invalid_config',
            `port ${port} of 127.0.0.1 is in use: close what listens there, or choose another port (0 for any free one)`,
          )
        : err
    },
  )
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`
  const timeout = options.timeout ?? 300_000
  wait.timer = setTimeout(
    () =>
      finish(() =>
        settle?.reject(
          new NetworkError('timeout', `no sign-in came back to ${redirectUri} within ${Math.round(timeout / 1000)} s: start again`),
        ),
      ),
    timeout,
  )
  wait.timer.unref?.()
  if (options.signal?.aborted) onAbort()
  else options.signal?.addEventListener('abort', onAbort, { once: true })
  return {
    redirectUri,
    callback,
    close: () => finish(() => settle?.reject(new NetworkError('aborted', 'the loopback listener was closed'))),
  }
}
