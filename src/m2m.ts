import type { HttpOptions } from './http/options.js'
import { resolveClient, type MetadataSource } from './discovery/resolve.js'
import { secretContext, type ClientOptions } from './protocol/run/client-auth.js'
import { ignoreIdTokens } from './protocol/run/token.js'
import { createSession, type Session, type SessionOptions } from './session.js'

/**
 * Options of {@link createClientCredentialsSession}: the client, the server, the session and the {@link HttpOptions}, flat.
 *
 * @group Start here
 */
export interface ClientCredentialsSessionOptions
  extends Omit<ClientOptions, 'privateKey'>, HttpOptions, MetadataSource, Omit<SessionOptions, 'grant' | 'tokens' | 'coordinator'> {}

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
  const ctx = await resolveClient('createClientCredentialsSession', options, (metadata, context) =>
    secretContext(metadata, options, context, ignoreIdTokens),
  )
  // The session reads its own fields of the flat options (scope, apiUrls, store, …); the rest described the client and the server.
  return createSession(ctx, { ...options, grant: 'client_credentials' })
}
