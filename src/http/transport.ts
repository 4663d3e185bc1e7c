import { NetworkError, ResponseError, cleanText, isOAuthKitError, redactUrl, type ErrorCode } from '../errors.js'
import { assertSecureUrl } from '../internal/url.js'
import type { Endpoint, OutgoingRequest } from '../dialects/types.js'
import type { HttpOptions } from './options.js'

export const DEFAULT_TIMEOUT_MS = 30_000
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024

/** What oauth4webapi hands its `customFetch`. */
export interface TransportInit {
  method: string
  headers: Record<string, string>
  body?: unknown
  redirect?: string
  signal?: AbortSignal
}

/** How messages name an endpoint: "the token endpoint", "the discovery document", … */
function endpointName(endpoint: Endpoint): string {
  return endpoint === 'discovery'
    ? 'discovery document'
    : endpoint === 'resource_metadata'
      ? 'resource metadata'
      : `${endpoint.replace('_', ' ')} endpoint`
}

/** Headers a request's protocol sets (credentials, proofs, the body's type and the answer's): configured headers never replace them. */
const PROTOCOL_HEADERS = new Set(['authorization', 'dpop', 'content-type', 'accept'])

/** The request as oauth4webapi (or an operation) hands it over, before any rewrite. */
export function outgoing(url: string | URL, init: TransportInit, options: Pick<HttpOptions, 'headers'>): OutgoingRequest {
  const headers = new Headers(init.headers)
  // The configured headers win over defaults (oauth4webapi's User-Agent), never over what the protocol set.
  for (const [key, value] of Object.entries(options.headers ?? {})) {
    if (!PROTOCOL_HEADERS.has(key.toLowerCase()) || !headers.has(key)) headers.set(key, value)
  }
  return { url: new URL(url), method: init.method, headers, body: bodyText(init.body) }
}

/**
 * Sends one request to an OAuth endpoint, with the safety every such request needs, and
 * nothing else (what a request or a response means is the operation path's business):
 *
 * - `https:` only (loopback and an explicit opt-in excepted);
 * - redirects are never followed: fetch re-sends a POST body — client secret, refresh token —
 *   to the new location on 307/308, so a 3xx is an error that names where it pointed;
 * - a timeout on the whole exchange, combined with the caller's AbortSignal;
 * - the body read up to a size ceiling.
 *
 * Returns a fresh Response whose body is the bytes read.
 */
export async function send(
  endpoint: Endpoint,
  request: OutgoingRequest,
  signal: AbortSignal | undefined,
  options: HttpOptions = {},
): Promise<Response> {
  const the = `the ${endpointName(endpoint)} ${redactUrl(request.url)}`
  assertSecureUrl(request.url, options.allowInsecureHttp, `the ${endpointName(endpoint)}`)
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS
  const timeoutSignal = AbortSignal.timeout(timeout)
  const where = redactUrl(request.url)
  const fail = (err: unknown): never => {
    const why = errorText(err)
    const [code, message, cause]: [ErrorCode, string, unknown] = signal?.aborted
      ? ['aborted', `request to ${the} aborted by the caller`, signal.reason]
      : timeoutSignal.aborted
        ? ['timeout', `${the} did not answer within ${timeout} ms (the timeout option)`, err]
        : // A name the resolver does not know (ENOTFOUND) is a typo to fix, not a bad moment to wait out.
          [why === 'ENOTFOUND' ? 'unknown_host' : 'network_error', `could not reach ${the}: ${why}`, err]
    throw new NetworkError(code, message, { cause, url: where })
  }

  let response: Response
  try {
    // Cancelled already: nothing is sent.
    if (signal?.aborted) throw signal.reason
    response = await (options.fetch ?? globalThis.fetch)(request.url.href, {
      method: request.method,
      headers: request.headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
      redirect: 'manual',
      signal: signal ? AbortSignal.any([signal, timeoutSignal]) : timeoutSignal,
    })
  } catch (err) {
    // A fetch that refused the request itself (a network policy's) said why: its error stands.
    if (isOAuthKitError(err) && !signal?.aborted) throw err
    return fail(err)
  }
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) throw refused(response, request.url, the)

  let bytes: Uint8Array<ArrayBuffer>
  try {
    bytes = await readCapped(response, options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, where, the)
  } catch (err) {
    if (err instanceof ResponseError) throw err
    return fail(err)
  }
  return rebuilt(response, bytes)
}

/** A response with the same status and headers and a new body (null for the null-body statuses). */
export function rebuilt(response: Response, body: BodyInit | null): Response {
  const headers = new Headers(response.headers)
  headers.delete('content-encoding')
  headers.delete('content-length')
  const nullBody = response.status === 204 || response.status === 205 || response.status === 304
  return new Response(nullBody ? null : body, { status: response.status, statusText: response.statusText, headers })
}

function refused(response: Response, url: URL, the: string): NetworkError {
  const location = response.headers.get('location')
  void response.body?.cancel().catch(() => {})
  let target = ''
  try {
    if (location) target = ` to ${redactUrl(new URL(location, url))}`
  } catch {
    target = ' (to an invalid Location)'
  }
  return new NetworkError(
    'redirect_refused',
    `${the} redirected${target}; configure the final URL (redirects are not followed: they would re-send credentials)`,
    {
      status: response.status,
      url: redactUrl(url),
      response,
    },
  )
}

function bodyText(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string') return body
  if (body instanceof URLSearchParams) return body.toString()
  throw new TypeError('oauthkit transport only sends string or form bodies')
}

/** The platform's reason, for a message: its code (`ECONNREFUSED`), else its cleaned message (URLs without their query). */
function errorText(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } })?.cause
  if (typeof cause?.code === 'string') return cleanText(cause.code, 60)
  return cleanText(err instanceof Error ? err.message : err)
}

async function readCapped(response: Response, max: number, where: string, the: string): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(response.headers.get('content-length'))
  const tooLarge = () =>
    new ResponseError('response_too_large', `${the} sent over ${max} bytes (the maxResponseBytes option)`, {
      status: response.status,
      url: where,
    })
  if (Number.isFinite(declared) && declared > max) {
    void response.body?.cancel().catch(() => {})
    throw tooLarge()
  }
  if (!response.body) return new Uint8Array(0)
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > max) {
      void reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
