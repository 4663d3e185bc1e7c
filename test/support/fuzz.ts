/**
 * The parsers reachable from outside input, each as a fast-check property: whatever the input,
 * the call resolves with a well-formed value or rejects with an OAuthKitError, within a second,
 * and no rendering of the error holds a canary token. Shared by test/properties.test.ts (10,000
 * seeded inputs each) and `npm run fuzz` (scripts/fuzz.ts, a million in all).
 */
import { inspect } from 'node:util'
import fc from 'fast-check'
import * as oauthkit from '../../src/index.js'
import {
  clientCredentialsGrant,
  createContext,
  createPublicContext,
  discover,
  discoverResource,
  isOAuthKitError,
  memoryStore,
  parseCallback,
  resourceMetadataUrl,
  TokenManager,
  type TokenControl,
  webStorageStore,
  type HttpOptions,
} from '../../src/index.js'
import { parseWwwAuthenticate } from '../../src/internal/www-authenticate.js'
import { readTabMessage } from '../../src/browser/tabs.js'
import { ISSUER, metadata } from './as-mock.js'

export const CANARIES = ['canary-access-AAAA', 'canary-refresh-BBBB', 'canary-code-CCCC', 'canary-secret-DDDD']
const [ACCESS, REFRESH, CODE, SECRET] = CANARIES as [string, string, string, string]

/** Fails unless `promise` settles with a value or an OAuthKitError with no canary in it, within a second. */
export async function settlesTyped(promise: Promise<unknown>, check: (value: unknown) => boolean = () => true): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('hung: no answer within 1 s')), 1000)
  })
  const outcome = await Promise.race([promise, hang]).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )
  clearTimeout(timer)
  if ('value' in outcome) {
    if (!check(outcome.value)) throw new Error(`resolved with a malformed value: ${inspect(outcome.value, { depth: 3 })}`)
    return
  }
  const err = outcome.error
  if (!isOAuthKitError(err)) throw new Error(`rejected with a raw error: ${inspect(err)}`, { cause: err })
  const renderings = [err.message, String(err), JSON.stringify(err), inspect(err, { depth: Infinity })]
  const leaked = CANARIES.filter((c) => renderings.some((r) => r.includes(c)))
  if (leaked.length) throw new Error(`${err.code} error shows ${leaked.join(', ')}: ${err.message}`)
}

/** A fetch at the network boundary that answers with `response` (a fresh one per call). */
const answering =
  (response: () => Response): HttpOptions['fetch'] =>
  async () =>
    response()

const jsonValue = fc.jsonValue({ maxDepth: 2 })
const anyField = fc.oneof(jsonValue, fc.string(), fc.constant(undefined), fc.constant(null), fc.integer(), fc.double())

/** A valid object with each field kept, dropped or replaced, and extra fields added. */
function mutated(valid: Record<string, unknown>) {
  const fields = Object.fromEntries(
    Object.keys(valid).map((k) => [k, fc.oneof({ weight: 3, arbitrary: fc.constant(valid[k]) }, { weight: 1, arbitrary: anyField })]),
  )
  return fc
    .tuple(fc.record(fields), fc.dictionary(fc.string({ maxLength: 12 }), jsonValue, { maxKeys: 3 }))
    .map(([r, extra]) => ({ ...extra, ...r }))
}

const body = (value: unknown) => (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value))
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'text/html',
  'application/problem+json',
  '',
)
const headersOf = (type: string, extra: Record<string, string> = {}) => ({ ...(type ? { 'content-type': type } : {}), ...extra })

const validToken = {
  access_token: ACCESS,
  token_type: 'Bearer',
  expires_in: 3600,
  refresh_token: REFRESH,
  scope: 'read',
  id_token: `eyJ.${CODE}.sig`,
}

const wwwAuthenticate = fc.oneof(
  fc.string(),
  fc
    .tuple(
      fc.constantFrom('Bearer', 'Basic', 'DPoP', 'Negotiate', ''),
      fc.dictionary(fc.constantFrom('error', 'error_description', 'scope', 'realm', 'resource_metadata', 'x'), fc.string(), { maxKeys: 4 }),
    )
    .map(
      ([scheme, params]) =>
        `${scheme} ${Object.entries(params)
          .map(([k, v]) => `${k}="${v.replace(/"/g, '\\"')}"`)
          .join(', ')}`,
    ),
)

const retryAfter = fc.oneof(
  fc.nat().map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
  fc.string(),
)

/** The parsers, by name. */
export const PARSERS = {
  'authorization server metadata': fc.asyncProperty(
    fc.oneof(mutated(metadata() as Record<string, unknown>), jsonValue),
    contentType,
    (doc, type) =>
      settlesTyped(
        discover(ISSUER, {
          discoveryCache: false,
          fetch: answering(() => new Response(body(doc), { status: 200, headers: headersOf(type) })),
        }),
        (found) => typeof (found as { metadata?: { token_endpoint?: unknown } }).metadata?.token_endpoint === 'string',
      ),
  ),
  'protected resource metadata': fc.asyncProperty(
    fc.oneof(mutated({ resource: 'https://api.example.com', authorization_servers: [ISSUER], scopes_supported: ['read'] }), jsonValue),
    contentType,
    (doc, type) =>
      settlesTyped(
        discoverResource('https://api.example.com', {
          discoveryCache: false,
          fetch: answering(() => new Response(body(doc), { status: 200, headers: headersOf(type) })),
        }),
      ),
  ),
  'token responses': fc.asyncProperty(
    fc.oneof({ weight: 4, arbitrary: mutated(validToken) }, { weight: 1, arbitrary: jsonValue }),
    contentType,
    (doc, type) => {
      const ctx = createContext(
        metadata(),
        { clientId: 'app', clientSecret: SECRET },
        { retry: false, fetch: answering(() => new Response(body(doc), { status: 200, headers: headersOf(type) })) },
      )
      return settlesTyped(clientCredentialsGrant(ctx), (tokens) => typeof (tokens as { accessToken?: unknown }).accessToken === 'string')
    },
  ),
  'error bodies': fc.asyncProperty(
    fc.integer({ min: 400, max: 599 }),
    // The server echoes the client secret the request carried: it must be redacted.
    fc.oneof(
      mutated({ error: 'invalid_grant', error_description: `refused ${SECRET}`, error_uri: 'https://as.example.com/e' }),
      jsonValue,
      fc.string().map((t) => `${t} ${SECRET}`),
    ),
    contentType,
    fc.option(wwwAuthenticate),
    fc.option(retryAfter),
    (status, doc, type, challenge, after) => {
      const headers = headersOf(type, {
        ...(challenge === null ? {} : { 'www-authenticate': challenge }),
        ...(after === null ? {} : { 'retry-after': after }),
      })
      const ctx = createContext(
        metadata(),
        { clientId: 'app', clientSecret: SECRET },
        { retry: false, fetch: answering(() => new Response(body(doc), { status, headers })) },
      )
      return settlesTyped(clientCredentialsGrant(ctx))
    },
  ),
  'callback URLs': fc.asyncProperty(
    fc.dictionary(
      fc.constantFrom('code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state', 'x'),
      fc.oneof(fc.string(), fc.constant(CODE)),
      { maxKeys: 6 },
    ),
    fc.constantFrom('?', '#', '?#', ''),
    fc.string({ maxLength: 20 }),
    async (params, where, noise) => {
      const ctx = createPublicContext(metadata(ISSUER, { authorization_response_iss_parameter_supported: true }), 'app')
      const query = new URLSearchParams(params as Record<string, string>).toString()
      const url = `https://app.example/cb${where.startsWith('?') ? `?${query}` : ''}${where.endsWith('#') ? `#${query}` : ''}${noise}`
      await settlesTyped(Promise.resolve().then(() => parseCallback(ctx, url, 'expected-state')))
    },
  ),
  'WWW-Authenticate headers': fc.asyncProperty(wwwAuthenticate, async (header) => {
    const challenges = parseWwwAuthenticate(header)
    if (!Array.isArray(challenges) || challenges.some((c) => typeof c.scheme !== 'string' || typeof c.params !== 'object'))
      throw new Error('malformed challenges')
    const url = resourceMetadataUrl(header)
    if (url !== undefined && typeof url !== 'string') throw new Error('malformed resource_metadata')
  }),
  'Location headers': fc.asyncProperty(
    fc.oneof(
      fc.string(),
      fc.webUrl({ withQueryParameters: true, withFragments: true }).map((u) => {
        const url = new URL(u)
        url.searchParams.set('code', CODE)
        return url.href
      }),
    ),
    fc.constantFrom(301, 302, 303, 307, 308),
    async (location, status) => {
      const ctx = createContext(
        metadata(),
        { clientId: 'app', clientSecret: SECRET },
        { retry: false, fetch: answering(() => new Response(null, { status, headers: { location } })) },
      )
      await settlesTyped(clientCredentialsGrant(ctx).then(() => Promise.reject(new Error('a redirect was followed'))))
    },
  ),
  'stored token JSON': fc.asyncProperty(
    fc.oneof(
      fc.string(),
      jsonValue.map((v) => JSON.stringify(v)),
      mutated({
        version: 1,
        tokens: { accessToken: ACCESS, tokenType: 'bearer', expiresAt: Date.now() + 600_000, refreshToken: REFRESH, extra: {} },
      }).map((v) => JSON.stringify(v)),
    ),
    async (raw) => {
      const storage = { getItem: () => raw, setItem: () => {}, removeItem: () => {} } as unknown as Storage
      const manager = new TokenManager({
        store: webStorageStore(storage, 'k'),
        refresh: async () => ({ accessToken: 'fresh', tokenType: 'bearer', extra: {} }),
      })
      await settlesTyped(manager.getAccessToken(), (token) => typeof token === 'string')
    },
  ),
  'cross-tab messages': fc.asyncProperty(
    fc.oneof(
      fc.anything(),
      mutated({ type: 'tokens', tokens: { accessToken: ACCESS, tokenType: 'bearer', extra: {} } }),
      fc.constant({ type: 'logout' }),
    ),
    async (data) => {
      const message = readTabMessage(data)
      if (message?.type === 'tokens') {
        let control: TokenControl | undefined
        const manager = new TokenManager({ store: memoryStore(), coordinator: (c) => (control = c) })
        await control!.adopt(message.tokens)
        await settlesTyped(manager.getAccessToken(), (token) => typeof token === 'string')
      }
    },
  ),
}

/** A fetch that answers every request 200 with an empty JSON object: nothing leaves the process. */
const offline: typeof fetch = async () => new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } })

/** Plausible and implausible arguments: strings, URLs, objects with option-like fields, anything. */
const argument = fc.oneof(
  fc.anything(),
  fc.webUrl(),
  fc.record(
    {
      clientId: fc.oneof(fc.string(), fc.anything()),
      issuer: fc.oneof(fc.webUrl(), fc.anything()),
      redirectUri: fc.oneof(fc.webUrl(), fc.string()),
      apiUrls: fc.oneof(fc.array(fc.webUrl()), fc.anything()),
      scope: fc.string(),
      state: fc.string(),
      codeVerifier: fc.string(),
      fetch: fc.constant(offline),
      metadata: fc.oneof(fc.constant(metadata()), fc.anything()),
    },
    { requiredKeys: [] },
  ),
)

const VALUE_EXPORTS = Object.entries(oauthkit).filter(
  ([name, value]) =>
    typeof value === 'function' && !['OAuthKitError', 'ConfigError', 'NetworkError', 'ResponseError', 'OAuthServerError'].includes(name),
)

/** Calls a public function (or constructor) and whatever function it returns, with the arguments given. */
async function callPublic(name: string, fn: (...args: unknown[]) => unknown, args: unknown[]): Promise<void> {
  let result: unknown
  try {
    result = /^[A-Z]/.test(name) ? new (fn as unknown as new (...a: unknown[]) => unknown)(...args) : fn(...args)
  } catch (err) {
    if (!isOAuthKitError(err)) throw new Error(`${name} threw a raw error: ${inspect(err)}`, { cause: err })
    return
  }
  if (result instanceof Promise)
    await settlesTyped(
      result.then((value) =>
        typeof value === 'object' && value !== null && 'close' in value && typeof value.close === 'function' ? value.close() : value,
      ),
    )
  else if (typeof result === 'function' && name === 'createAuthorizedFetch')
    await settlesTyped(Promise.resolve().then(() => (result as (...a: unknown[]) => unknown)(...args)))
}

/** Every public function of the main entry, called with arbitrary arguments (a real context first, half the time). */
export const PUBLIC_FUNCTIONS = fc.asyncProperty(
  fc.constantFrom(...VALUE_EXPORTS.map(([name]) => name)),
  fc.boolean(),
  fc.array(argument, { maxLength: 3 }),
  async (name, withContext, rest) => {
    const fn = (oauthkit as unknown as Record<string, (...args: unknown[]) => unknown>)[name]!
    const ctx = createContext(metadata(), { clientId: 'app', clientSecret: SECRET }, { fetch: offline, timeout: 200, retry: false })
    await callPublic(name, fn, withContext ? [ctx, ...rest] : rest)
  },
)
