import { NetworkError, ResponseError, redactUrl, type ErrorCode } from '../errors.js'
import { assertSecureUrl } from '../internal/url.js'
import type { Dialect, Endpoint, OutgoingRequest } from '../dialects/types.js'
import { normalizeTokenResponseBody } from '../wire/token.js'

/** How oauthkit talks HTTP. Every field is optional. */
export interface HttpOptions {
  /** The fetch to use; defaults to `globalThis.fetch`, looked up at call time. */
  fetch?: typeof fetch
  /** Milliseconds before a request (headers and body) is abandoned. Default 30 000. */
  timeout?: number
  /** Allow plain `http:` to hosts other than loopback. Default false. */
  allowInsecureHttp?: boolean
  /** The largest response body read, in bytes. Default 1 MiB. */
  maxResponseBytes?: number
  /** Headers added to every request to an OAuth endpoint (a User-Agent, say). */
  headers?: Record<string, string>
  dialect?: Dialect
  /** Told about anything oauthkit corrected on its own (an `expires_in` unit it had to guess). Never a secret in it. */
  onWarning?: (warning: { code: string; message: string }) => void
}

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
function nameOf(endpoint: Endpoint): string {
  return endpoint === 'discovery' ? 'discovery document' : endpoint === 'resource_metadata' ? 'resource metadata' : `${endpoint.replace('_', ' ')} endpoint`
}

/**
 * Sends one request to an OAuth endpoint, with the safety every such request needs:
 *
 * - `https:` only (loopback and an explicit opt-in excepted);
 * - redirects are never followed: fetch re-sends a POST body — client secret, refresh token —
 *   to the new location on 307/308, so a 3xx is an error that names where it pointed;
 * - a timeout on the whole exchange, combined with the caller's AbortSignal;
 * - the body read up to a size ceiling;
 * - the dialect's request and response transforms, and the `expires_in` policy for token
 *   responses, applied before oauth4webapi sees the response.
 *
 * Returns a fresh Response whose body is the (possibly rewritten) text.
 */
export async function send(
  endpoint: Endpoint,
  url: string | URL,
  init: TransportInit,
  http: HttpOptions = {},
): Promise<Response> {
  const name = nameOf(endpoint)
  const target = new URL(url)
  assertSecureUrl(target, http.allowInsecureHttp, `the ${name}`)

  const headers = new Headers(init.headers)
  for (const [key, value] of Object.entries(http.headers ?? {})) {
    if (!headers.has(key)) headers.set(key, value)
  }
  let request: OutgoingRequest = {
    url: target,
    method: init.method,
    headers,
    body: bodyText(init.body),
  }
  if (http.dialect?.request) {
    request = http.dialect.request(endpoint, request)
    assertSecureUrl(request.url, http.allowInsecureHttp, `the ${name}`)
  }

  const timeout = http.timeout ?? DEFAULT_TIMEOUT_MS
  const timeoutSignal = AbortSignal.timeout(timeout)
  const signal = init.signal ? AbortSignal.any([init.signal, timeoutSignal]) : timeoutSignal
  const where = redactUrl(request.url)
  const the = `the ${name} ${where}`
  const fail = (err: unknown): never => {
    const [code, message, cause]: [ErrorCode, string, unknown] = init.signal?.aborted
      ? ['aborted', `request to ${the} aborted by the caller`, init.signal.reason]
      : timeoutSignal.aborted
        ? ['timeout', `${the} did not answer within ${timeout} ms (the timeout option)`, err]
        : ['network_error', `could not reach ${the}: ${errorText(err)}`, err]
    throw new NetworkError(code, message, { cause, url: where })
  }

  const doFetch = http.fetch ?? globalThis.fetch
  let response: Response
  try {
    response = await doFetch(request.url.href, {
      method: request.method,
      headers: request.headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
      redirect: 'manual',
      signal,
    })
  } catch (err) {
    return fail(err)
  }

  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    const location = response.headers.get('location')
    void response.body?.cancel().catch(() => {})
    throw new NetworkError(
      'redirect_refused',
      `${the} redirected${location ? ` to ${redactUrl(new URL(location, request.url))}` : ''}; configure the final URL (redirects are not followed: they would re-send credentials)`,
      { status: response.status, url: where, response },
    )
  }

  let bytes: Uint8Array<ArrayBuffer>
  try {
    bytes = await readCapped(response, http.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, where, the)
  } catch (err) {
    if (err instanceof ResponseError) throw err
    return fail(err)
  }

  let body: BodyInit | null = bytes
  const type = response.headers.get('content-type') ?? ''
  // Parse and re-serialise only when something rewrites the body: the token endpoint's
  // `expires_in` policy, or a dialect. Other bodies pass through as read.
  const rewrites = endpoint === 'token' || http.dialect?.responseBody !== undefined
  if (rewrites && response.ok && /[/+]json\b/i.test(type) && bytes.byteLength > 0) {
    let json: unknown
    try {
      json = JSON.parse(new TextDecoder().decode(bytes))
    } catch {
      json = undefined // left for the protocol layer to report as invalid JSON
    }
    if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
      let record = json as Record<string, unknown>
      if (http.dialect?.responseBody) record = http.dialect.responseBody(endpoint, record)
      if (endpoint === 'token') record = normalizeTokenResponseBody(record, http.dialect?.expiresIn, where, http.onWarning)
      body = JSON.stringify(record)
    }
  }

  const outHeaders = new Headers(response.headers)
  outHeaders.delete('content-encoding')
  outHeaders.delete('content-length')
  const nullBody = response.status === 204 || response.status === 205 || response.status === 304
  return new Response(nullBody ? null : body, {
    status: response.status,
    statusText: response.statusText,
    headers: outHeaders,
  })
}

function bodyText(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string') return body
  if (body instanceof URLSearchParams) return body.toString()
  throw new TypeError('oauthkit transport only sends string or form bodies')
}

function errorText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause
  if (cause?.code) return cause.code
  return err instanceof Error ? err.message : String(err)
}

async function readCapped(response: Response, max: number, where: string, the: string): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(response.headers.get('content-length'))
  const tooLarge = () =>
    new ResponseError('response_too_large', `${the} sent over ${max} bytes (the maxResponseBytes option)`, { status: response.status, url: where })
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
