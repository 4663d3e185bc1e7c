import { ConfigError } from './errors.js'
import { pickHttpOptions, type HttpOptions } from './http/options.js'
import { resolveMetadata, type MetadataSource } from './discovery/resolve.js'
import { secretContext, type ClientOptions } from './protocol/run/client-auth.js'
import { createSession, type Session, type SessionOptions } from './session.js'

/**
 * Options of {@link createClientCredentialsSession}: the client, the server, the session and the {@link HttpOptions}, flat.
 *
 * @group Start here
 */
export interface ClientCredentialsSessionOptions
  extends Omit<ClientOptions, 'privateKey'>, HttpOptions, MetadataSource, Omit<SessionOptions, 'grant' | 'tokens'> {}

/**
 * Machine to machine in one call (`oauthkit/m2m`): resolves the server, then returns a session
 * that obtains its tokens with the client_credentials grant, caches them, renews them ahead of
 * expiry with one token request for any number of concurrent callers, and sends them only to
 * `apiUrls`. Pulls in no authorization code, device, password, introspection, userinfo or
 * registration code, nor the private_key_jwt signer (for that, use `createOAuthClient({ …, privateKey })`
 * and its `session()`). `signal` cancels the discovery only.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 *
 * @example
 * import { createClientCredentialsSession } from 'oauthkit/m2m'
 * const session = await createClientCredentialsSession({ issuer, clientId, clientSecret, scope: 'read', apiUrls: ['https://api.example.com'] })
 * const res = await session.fetch('https://api.example.com/things')
 *
 * @group Start here
 */
export async function createClientCredentialsSession(options: ClientCredentialsSessionOptions): Promise<Session> {
  if (!options || typeof options !== 'object')
    throw new ConfigError('invalid_config', 'createClientCredentialsSession needs an options object')
  const { signal, ...http } = pickHttpOptions(options)
  const metadata = await resolveMetadata(options, { ...http, ...(signal ? { signal } : {}) })
  const session: Record<string, unknown> = { grant: 'client_credentials' }
  for (const key of SESSION_FIELDS) if (options[key] !== undefined) session[key] = options[key]
  return createSession(secretContext(metadata, options, http), session as SessionOptions)
}

/** The session's own fields; the rest of the options describe the client and the server. */
const SESSION_FIELDS = [
  'scope',
  'resource',
  'audience',
  'extraParams',
  'apiUrls',
  'store',
  'lock',
  'lockName',
  'skew',
  'backgroundRefresh',
  'refreshExpiryNotice',
  'retry',
] as const
// Every session option is passed on: a field added to SessionOptions and not listed above fails to compile here.
type Unlisted = Exclude<keyof Omit<SessionOptions, 'grant' | 'tokens'>, (typeof SESSION_FIELDS)[number]>
const everyField: [Unlisted] extends [never] ? true : Unlisted = true
void everyField
