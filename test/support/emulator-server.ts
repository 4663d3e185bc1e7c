/**
 * An emulator from `oauthkit/testing` served on 127.0.0.1 with an ephemeral port, for code that
 * runs in another process or runtime (where msw cannot reach): each request is answered by the
 * emulator's handlers. A GET to the authorization endpoint plays the first user at once and
 * redirects back (no login page), and `files` are served as they are.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getResponse } from 'msw'
import type { Emulator } from '../../src/entries/testing.js'

export interface EmulatorServer {
  base: string
  emulator: Emulator
  stop(): Promise<void>
}

export async function serveEmulator(
  create: (base: string) => Emulator,
  files: Record<string, { type: string; body: string }> = {},
): Promise<EmulatorServer> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const emulator = create(base)
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', base)
      const file = files[url.pathname]
      if (file) return void res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body)
      if (req.method === 'GET' && `${url.origin}${url.pathname}` === emulator.metadata.authorization_endpoint) {
        return void res.writeHead(302, { location: await emulator.approve(url.href) }).end()
      }
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const headers = new Headers()
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value)
      const body = chunks.length ? Buffer.concat(chunks) : undefined
      const answer = await getResponse(
        emulator.handlers,
        new Request(url, { method: req.method ?? 'GET', headers, ...(body ? { body } : {}) }),
      )
      if (!answer) return void res.writeHead(404).end()
      res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(Buffer.from(await answer.arrayBuffer()))
    })().catch((err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)))
  })
  return {
    base,
    emulator,
    async stop() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
