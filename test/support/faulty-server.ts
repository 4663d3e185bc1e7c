/**
 * A token endpoint having a bad minute, and an API that checks its tokens, on 127.0.0.1 with
 * an ephemeral port: the fault soak of `npm test` and of `npm run bench` (#14). A share of the
 * token requests fail at random — 500, 503, 429 with `Retry-After: 1`, an answer stalled 3 s, a
 * reset connection — and access tokens live 2–3 s. Faults are drawn from a seeded generator,
 * so a run can be repeated.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'

export const SOAK_CLIENT = { clientId: 'soak-client', clientSecret: 'soak-secret-0123456789' }

export interface FaultyServer {
  issuer: string
  tokenEndpoint: string
  api: string
  /** Token requests by outcome: ok, or the fault served. */
  tokenRequests: Record<string, number>
  apiCalls: { ok: number; unauthorized: number }
  stop(): Promise<void>
}

/** A small seeded generator (mulberry32): the same seed, the same faults. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const FAULTS = ['500', '503', '429', 'stall', 'reset'] as const

export async function startFaultyServer(
  options: { faultRate?: number; seed?: number; client?: { clientId: string; clientSecret: string } } = {},
): Promise<FaultyServer> {
  const client = options.client ?? SOAK_CLIENT
  const random = seeded(options.seed ?? 20261130)
  const faultRate = options.faultRate ?? 0.2
  const tokens = new Map<string, number>()
  const tokenRequests: Record<string, number> = {}
  const apiCalls = { ok: 0, unauthorized: 0 }
  const server = createServer((req, res) => void handle(req, res))
  const sockets = new Set<import('node:net').Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  async function handle(req: IncomingMessage, res: ServerResponse) {
    let body = ''
    for await (const chunk of req) body += chunk
    const path = new URL(req.url ?? '/', base).pathname
    if (path === '/token' && req.method === 'POST') return token(req, res, new URLSearchParams(body))
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
    const expiresAt = bearer ? tokens.get(bearer) : undefined
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      apiCalls.unauthorized++
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end()
      return
    }
    apiCalls.ok++
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
  }

  async function token(req: IncomingMessage, res: ServerResponse, params: URLSearchParams) {
    const basic = Buffer.from(/^Basic (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '', 'base64').toString()
    const [id, secret] = basic ? basic.split(':').map(decodeURIComponent) : [params.get('client_id'), params.get('client_secret')]
    const authenticated = id === client.clientId && secret === client.clientSecret
    const fault = random() < faultRate ? FAULTS[Math.floor(random() * FAULTS.length)]! : undefined
    tokenRequests[fault ?? 'ok'] = (tokenRequests[fault ?? 'ok'] ?? 0) + 1
    if (fault === 'reset') return void req.socket.destroy()
    if (fault === '500' || fault === '503')
      return void res
        .writeHead(Number(fault), { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: fault === '503' ? 'temporarily_unavailable' : 'server_error' }))
    if (fault === '429')
      return void res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"slow_down"}')
    if (fault === 'stall') await new Promise((resolve) => setTimeout(resolve, 3000))
    if (!authenticated || params.get('grant_type') !== 'client_credentials')
      return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}')
    const value = randomBytes(12).toString('base64url')
    const lifetime = 2 + random()
    tokens.set(value, Date.now() + lifetime * 1000)
    res
      .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify({ access_token: value, token_type: 'Bearer', expires_in: lifetime }))
  }

  return {
    issuer: base,
    tokenEndpoint: `${base}/token`,
    api: `${base}/api`,
    tokenRequests,
    apiCalls,
    async stop() {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
