import * as o from 'oauth4webapi'
import { ConfigError } from '../errors.js'
import type { AuthorizationServerMetadata } from '../types.js'
import type { Dialect } from '../dialects/types.js'
import { compileDialect } from '../dialects/apply.js'
import { contextOf, type ContextOptions, type OAuthContext } from './context.js'

/**
 * How the client authenticates at the token, revocation and introspection endpoints.
 *
 * - `client_secret_basic`: RFC 6749 §2.3.1 — id and secret form-urlencoded, then Basic.
 * - `client_secret_basic_unencoded`: Basic over the raw `id:secret`, which many real servers
 *   expect instead (they break on the encoded form as others break without it).
 * - `client_secret_post`: id and secret in the form body.
 * - `private_key_jwt`: a signed client assertion (RFC 7523 §2.2, OpenID Connect Core §9).
 * - `none`: a public client; sends `client_id` only (and relies on PKCE).
 */
export type AuthMethod =
  | 'client_secret_basic'
  | 'client_secret_basic_unencoded'
  | 'client_secret_post'
  | 'private_key_jwt'
  | 'none'

export interface ClientOptions {
  clientId: string
  clientSecret?: string
  /** For `private_key_jwt`: a private CryptoKey, optionally with the `kid` to put in the header. */
  privateKey?: CryptoKey | { key: CryptoKey; kid?: string }
  /** Chosen from the server's `token_endpoint_auth_methods_supported` when not given. */
  tokenEndpointAuthMethod?: AuthMethod
  /** Expected ID token signature algorithm. Default `RS256` (OpenID Connect Core §2). */
  idTokenSignedResponseAlg?: string
}

/**
 * A context for any client: the authentication method is the one given, or chosen from the
 * server's metadata (see {@link chooseAuthMethod}).
 */
export function createContext(
  metadata: AuthorizationServerMetadata,
  clientOptions: ClientOptions,
  options: ContextOptions = {},
): OAuthContext {
  if (typeof clientOptions?.clientId !== 'string' || clientOptions.clientId === '') {
    throw new ConfigError('invalid_config', 'clientId is required: pass the client identifier the authorization server issued')
  }
  const dialect = options.http?.dialect
  const http = dialect ? { ...options.http, dialect: compileDialect(dialect) } : options.http
  const authMethod = chooseAuthMethod(metadata, clientOptions, dialect)
  return contextOf(metadata, clientOptions.clientId, authMethod, clientAuthFor(authMethod, clientOptions), clientOptions.idTokenSignedResponseAlg, { ...options, ...(http ? { http } : {}) })
}

/**
 * The explicit choice when given; otherwise `private_key_jwt` with a key, `none` without a
 * secret, what the dialect's credential placement implies, and with a secret the first of
 * `client_secret_basic`, `client_secret_post` that the server lists (RFC 8414 §2: an absent
 * list means `client_secret_basic`).
 */
export function chooseAuthMethod(metadata: AuthorizationServerMetadata, client: ClientOptions, dialect?: Dialect): AuthMethod {
  const explicit = client.tokenEndpointAuthMethod
  if (explicit) {
    if (explicit.startsWith('client_secret') && !client.clientSecret) {
      throw new ConfigError('invalid_config', `tokenEndpointAuthMethod ${explicit} needs clientSecret`)
    }
    if (explicit === 'private_key_jwt' && !client.privateKey) {
      throw new ConfigError('invalid_config', 'tokenEndpointAuthMethod private_key_jwt needs privateKey')
    }
    if (!METHODS.includes(explicit)) {
      throw new ConfigError('unsupported_auth_method', `tokenEndpointAuthMethod ${JSON.stringify(explicit)} is not one of ${METHODS.join(', ')}`)
    }
    return explicit
  }
  if (client.privateKey) return 'private_key_jwt'
  if (!client.clientSecret) return 'none'
  // A dialect that moves the credentials gets them as parameters, then places them.
  const placement = dialect?.token?.credentials
  if (placement === 'basic') return 'client_secret_basic'
  if (placement === 'parameters' || placement === 'query') return 'client_secret_post'
  const supported = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic']
  if (supported.includes('client_secret_basic')) return 'client_secret_basic'
  if (supported.includes('client_secret_post')) return 'client_secret_post'
  throw new ConfigError(
    'unsupported_auth_method',
    `the server supports none of the secret-based client authentication methods (it lists ${supported.join(', ') || 'nothing'}); pass tokenEndpointAuthMethod, or a privateKey for private_key_jwt`,
  )
}

const METHODS: AuthMethod[] = [
  'client_secret_basic',
  'client_secret_basic_unencoded',
  'client_secret_post',
  'private_key_jwt',
  'none',
]

function clientAuthFor(method: AuthMethod, client: ClientOptions): o.ClientAuth {
  switch (method) {
    case 'client_secret_basic':
      return o.ClientSecretBasic(client.clientSecret as string)
    case 'client_secret_basic_unencoded': {
      const credentials = base64(`${client.clientId}:${client.clientSecret as string}`)
      return (_as, _client, _body, headers) => {
        headers.set('authorization', `Basic ${credentials}`)
      }
    }
    case 'client_secret_post':
      return o.ClientSecretPost(client.clientSecret as string)
    case 'private_key_jwt': {
      const key = client.privateKey as CryptoKey | { key: CryptoKey; kid?: string }
      return o.PrivateKeyJwt('key' in key && !(key instanceof CryptoKey) ? key : { key: key as CryptoKey })
    }
    case 'none':
      return o.None()
  }
}

function base64(text: string): string {
  let binary = ''
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary)
}

