/**
 * Serves examples/spa against the local authorization server and API, all on 127.0.0.1:
 * `npm run spa` prints the address to open. The browser tests use `startSpa()`.
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { SPA, startLocalServers, type LocalServers } from '../test/support/authorization-server.js'

const root = fileURLToPath(new URL('..', import.meta.url))

export interface RunningSpa {
  url: string
  servers: LocalServers
  stop(): Promise<void>
}

async function bundle(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [`${root}examples/spa/${entry}`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    alias: { 'oauthkit/browser': `${root}src/entries/browser.ts` },
    // As the package's `browser` condition gives bundlers: Node-only code left out.
    define: { __OAUTHKIT_BROWSER__: 'true' },
    logLevel: 'silent',
  })
  return out.outputFiles[0]!.text
}

/** The page, its service worker (/sw.js, with its own callback page), and the servers; `lockTimeout` shortens the cross-tab lock's. */
export async function startSpa(
  options: { accessTokenTtl?: number; lockTimeout?: number; requirePar?: boolean; dpop?: boolean } = {},
): Promise<RunningSpa> {
  const [js, sw] = await Promise.all([bundle('app.ts'), bundle('service-worker.ts')])
  const html = readFileSync(`${root}examples/spa/index.html`, 'utf8')
  let config = '{}'
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
    else if (path === '/sw.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(sw)
    else if (path === '/sw-callback')
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>signed in</title><link rel="icon" href="data:,">')
    else if (path === '/config.json') res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(config)
    else if (path === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html)
    else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const servers = await startLocalServers({
    spaOrigin: url,
    ...(options.accessTokenTtl ? { accessTokenTtl: options.accessTokenTtl } : {}),
    ...(options.requirePar ? { requirePar: true } : {}),
  })
  config = JSON.stringify({
    issuer: servers.issuer,
    clientId: SPA.clientId,
    api: servers.api,
    ...(options.lockTimeout ? { lockTimeout: options.lockTimeout } : {}),
    ...(options.dpop ? { dpop: true } : {}),
  })
  return {
    url,
    servers,
    async stop() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await servers.stop()
    },
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const spa = await startSpa()
  console.log(`SPA on ${spa.url} — sign in with any login and password (the development login form accepts any); Ctrl-C to stop`)
  process.once('SIGINT', () => void spa.stop().then(() => process.exit(0)))
}
