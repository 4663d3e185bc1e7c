import * as o from 'oauth4webapi'
import type { ProvingKey } from '../../dpop/proofs.js'
import { ConfigError, cleanText, redactUrl } from '../../errors.js'
import { hooksOf, type Endpoint } from '../../dialects/types.js'
import type { HttpOptions, TraceEnd, TraceStart } from '../../http/options.js'
import { outgoing, rebuilt, send, type TransportInit } from '../../http/transport.js'
import { measureSkew } from '../../http/skew.js'
import { systemClock } from '../../internal/clock.js'
import { normalizeTokenResponseBody } from '../../wire/token.js'
import type { AuthorizationServerMetadata } from '../../types.js'
import { int, type OAuthContext } from './context.js'
import { rememberAnswer, translateError } from './translate.js'

/** The options oauth4webapi's request functions take, routed through {@link exchange}. */
export type RequestOptions = {
  [o.customFetch]: (url: string, init: TransportInit) => Promise<Response>
  [o.allowInsecureRequests]: true
  signal?: AbortSignal
}

/** One call to one endpoint, as the runner sees it. */
export interface Operation<T> {
  /** Reads as the start of a sentence in messages: "client_credentials grant", "discovery". */
  name: string
  endpoint: Endpoint
  /** The URL, for calls outside the metadata (discovery, a vendor's endpoint)… */
  url?: string
  /** …or the server metadata whose `<endpoint>_endpoint` field gives it. */
  metadata?: AuthorizationServerMetadata
  /**
   * Builds and sends the request: usually an oauth4webapi `…Request` function given
   * `options`; discovery and vendor calls send their own through `send` (the same path).
   */
  request(options: RequestOptions, send: (url: string | URL, init: TransportInit) => Promise<Response>): Promise<Response>
  /** Validates the response (usually an oauth4webapi `process…Response` function) and maps it. */
  process(response: Response): Promise<T>
}

/**
 * The one operation path: endpoint check → request (dialect rewrite → transport → response
 * rewrite) → processing → one error translation. Every endpoint call goes through it.
 */
export async function runOperation<T>(options: HttpOptions, op: Operation<T>, signal?: AbortSignal): Promise<T> {
  const field = `${op.endpoint}_endpoint`
  const url = op.url ?? op.metadata?.[field]
  if (typeof url !== 'string') throw missingEndpoint(op.name, field, op.metadata)
  const where = redactUrl(url)
  const clock = options.clock ?? systemClock
  const started = clock.now()
  const end = traced(options, { operation: op.name, endpoint: op.endpoint, url: where })
  let status: number | undefined
  try {
    const request = requestOptions(options, op.endpoint, signal ?? options.signal)
    const response = await op.request(request, (url, init) =>
      exchange(op.endpoint, url, { ...init, ...(request.signal ? { signal: request.signal } : {}) }, options),
    )
    status = response.status
    const result = await op.process(response)
    end?.({ status, duration: clock.now() - started })
    return result
  } catch (err) {
    const error = await translateError(err, op.name, where)
    end?.({ ...(status === undefined ? {} : { status }), error: error.code, duration: clock.now() - started })
    throw error
  }
}

/** Starts the tracing hook's span, if there is a hook; a hook that throws is ignored. */
function traced(options: HttpOptions, start: TraceStart): ((end: TraceEnd) => void) | undefined {
  let end: ((end: TraceEnd) => void) | void
  try {
    end = options.trace?.(start)
  } catch {
    return undefined
  }
  if (!end) return undefined
  const finish = end
  return (e) => {
    try {
      finish(e)
    } catch {
      // a tracer's failure is not the operation's
    }
  }
}

/** An operation at one of a context's endpoints, with the context's options. */
export function runAt<T>(
  ctx: OAuthContext,
  op: Omit<Operation<T>, 'url' | 'metadata'>,
  signal?: AbortSignal,
  timeout?: number,
): Promise<T> {
  const { options: given, dpop, client } = int(ctx)
  // A retry's try may take no more than what is left of its call's maxElapsed.
  const options = timeout === undefined ? given : { ...given, timeout }
  const go = (o: typeof op) => runOperation(options, { ...o, metadata: ctx.metadata }, signal)
  // DPoP proofs go to the token endpoint and to userinfo, the authorization server's protected resource.
  return dpop && (op.endpoint === 'token' || op.endpoint === 'userinfo') ? (dpop as ProvingKey).run(op, go, client) : go(op)
}

/** The error for an operation whose endpoint the metadata lacks. */
export function missingEndpoint(name: string, field = 'an endpoint', metadata?: AuthorizationServerMetadata): ConfigError {
  return new ConfigError(
    'missing_endpoint',
    `${name} needs ${field}, which the metadata of ${metadata?.issuer ?? 'the server'} lacks; give it in endpoints`,
  )
}

/** oauth4webapi request options whose every request goes through {@link exchange}. */
function requestOptions(options: HttpOptions, endpoint: Endpoint, signal?: AbortSignal): RequestOptions {
  return {
    [o.customFetch]: (url, init) => exchange(endpoint, url, init, options),
    // The transport enforces the http: policy (loopback allowed, others only by opt-in).
    [o.allowInsecureRequests]: true,
    ...(signal ? { signal } : {}),
  }
}

/**
 * One HTTP exchange of the operation path: the dialect rewrites the request, the transport
 * sends it, and a successful JSON body is rewritten (dialect, then the `expires_in` policy for
 * the token endpoint) before anything validates it, so oauth4webapi's checks still run.
 */
export async function exchange(endpoint: Endpoint, url: string | URL, init: TransportInit, options: HttpOptions): Promise<Response> {
  const hooks = hooksOf(options.dialect)
  const asked = outgoing(url, init, options)
  const request = hooks ? hooks.request(endpoint, asked) : asked
  const response = await send(endpoint, request, init.signal, options)
  const type = response.headers.get('content-type') ?? ''
  const json = /[/+]json\b/i.test(type)
  // Parse and re-serialise only when something rewrites the body.
  if (response.ok && json && !(endpoint === 'token' || hooks)) return response
  const text = hooks ? hooks.error(await response.text()) : await response.text()
  // Times the server states (a JWT's exp, a Retry-After date) are read on its clock.
  const now = (options.clock ?? systemClock).now() + measureSkew(options, response)
  const record = response.ok && (json || endpoint === 'token') ? jsonObject(text) : undefined
  if (!record) {
    // What came back, for the error that follows (with the request's secrets redacted).
    const out = rebuilt(response, text)
    rememberAnswer(out, text, asked, now)
    return out
  }
  const warn = options.onWarning
  if (!json)
    warn?.({
      code: 'token_content_type',
      message: `the token endpoint sent JSON as ${cleanText(type, 60) || 'no content type'}; read as JSON`,
    })
  const headers = new Headers(response.headers)
  headers.set('content-type', 'application/json')
  let body = record
  if (endpoint === 'token' && typeof body.error === 'string' && body.access_token === undefined) {
    // An OAuth error served with a 2xx (GitHub does): read as the error it is (RFC 6749 §5.2 says 400).
    warn?.({ code: 'error_on_success_status', message: `the token endpoint answered ${response.status} with an OAuth error; read as 400` })
    const error = new Response(text, { status: 400, headers })
    rememberAnswer(error, text, asked, now)
    return error
  }
  if (hooks) body = hooks.response(endpoint, body)
  if (endpoint === 'token')
    body = normalizeTokenResponseBody(body, { policy: options.dialect?.expiresIn, url: redactUrl(request.url), now, onWarning: warn })
  return rebuilt(new Response(null, { status: response.status, statusText: response.statusText, headers }), JSON.stringify(body))
}

/** The JSON object a text holds, or undefined (not JSON, or not an object: left for processing to report). */
function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
