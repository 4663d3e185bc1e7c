// The authorized fetch's redirect follower (Node, Deno, Bun: where fetch's own would carry the
// token to any hop), loaded on the first redirect. It imports no value, so that bundlers put it
// in a chunk of its own that a run without redirects never loads.
import type { Hops } from './authorized-fetch.js'

const MAX_REDIRECTS = 20

/**
 * Follows redirects: the token goes only to allowed URLs; 303 (and 301/302 after POST) become
 * GET; a hop to another origin never carries the body, the cookies or a proxy's credentials —
 * or is not taken at all (`crossOriginRedirects: 'stop'`).
 */
export async function followRedirects(
  first: Response,
  start: string,
  reqInit: RequestInit | undefined,
  req: Request | undefined,
  credentials: (url: string, method: string) => Record<string, string> | Promise<Record<string, string>>,
  hops: Hops,
): Promise<Response> {
  const doFetch = hops.fetch ?? globalThis.fetch
  let response = first
  let current = new URL(start)
  let method = (reqInit?.method ?? req?.method ?? 'GET').toUpperCase()
  let body: BodyInit | null | undefined = reqInit?.body
  for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
    const location = response.status >= 300 && response.status < 400 && response.status !== 304 ? response.headers.get('location') : null
    // No Location, or one that does not parse: the redirect is the answer, as with `redirect: 'manual'`.
    if (location === null || !URL.canParse(location, current)) return response
    const next = new URL(location, current)
    const crossOrigin = next.origin !== current.origin
    if (crossOrigin && hops.stopCrossOrigin) return response
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET'
      body = undefined
    } else if (req && !reqInit?.body && method !== 'GET' && method !== 'HEAD') {
      body = await req.clone().arrayBuffer()
    }
    const headers = new Headers(reqInit?.headers ?? req?.headers)
    if (crossOrigin) {
      // The body was meant for the origin asked; another origin gets none of it.
      body = undefined
      for (const name of ['cookie', 'proxy-authorization', 'content-type', 'content-length']) headers.delete(name)
    }
    if (method === 'GET' || method === 'HEAD') headers.delete('content-type')
    headers.delete('authorization')
    headers.delete('dpop')
    if (hops.isAllowed(next)) for (const [name, value] of Object.entries(await credentials(next.href, method))) headers.set(name, value)
    void response.body?.cancel().catch(() => {})
    response = await doFetch(next, {
      ...reqInit,
      method,
      headers,
      body: method === 'GET' || method === 'HEAD' ? null : (body ?? null),
      redirect: 'manual',
    })
    current = next
  }
  return response
}
