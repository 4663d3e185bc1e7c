import * as o from 'oauth4webapi'
import { ConfigError } from '../../errors.js'
import type { AuthorizationServerMetadata } from '../../types.js'
import type { DialectSpec } from '../../dialects/types.js'
import { pickHttpOptions } from '../../http/options.js'
import { contextOf, type AuthMethod, type ContextOptions, type IdTokenReader, type OAuthContext } from './context.js'
import { readIdToken } from './id-token.js'

export type { AuthMethod }

/**
 * Who the client is and how it proves it.
 *
 * @group Contexts
 */
export interface ClientOptions {
  clientId: string
  clientSecret?: string
  /** For `private_key_jwt`: a private CryptoKey, optionally with the `kid` to put in the header. */
  privateKey?: CryptoKey | { key: CryptoKey; kid?: string }
  /** Chosen from the server's `token_endpoint_auth_methods_supported` when not given. */
  tokenEndpointAuthMethod?: AuthMethod
  /**
   * Expected ID token signature algorithm. Default: one of those the server lists in
   * `id_token_signing_alg_values_supported`, else `RS256` (OpenID Connect Core §2) — never
   * `none` unless given here.
   */
  idTokenSignedResponseAlg?: string
}

/**
 * A context for any client: the authentication method is the one given, or chosen from the
 * server's metadata (see {@link chooseAuthMethod}). Every operation is a plain function of it.
 *
 * @example
 * const ctx = createContext(metadata, { clientId, clientSecret }, { timeout: 10_000 })
 * const tokens = await clientCredentialsGrant(ctx, { scope: 'read' })
 *
 * @group Contexts
 */
export function createContext(
  metadata: AuthorizationServerMetadata,
  clientOptions: ClientOptions,
  options: ContextOptions = {},
): OAuthContext {
  options ??= {}
  return secretContext(metadata, clientOptions, options, readIdToken, privateKeyJwt)
}

/**
 * A context for a public client (`token_endpoint_auth_method` `none`: browsers, native apps,
 * CLIs), without the code of the secret- and key-based methods.
 *
 * @example
 * const { metadata } = await discover('https://auth.example.com')
 * const ctx = createPublicContext(metadata, 'my-spa')
 * const pending = await buildAuthorizationUrl(ctx, { redirectUri: location.origin, scope: 'openid' })
 *
 * @group Contexts
 */
export function createPublicContext(metadata: AuthorizationServerMetadata, clientId: string, options: ContextOptions = {}): OAuthContext {
  options ??= {}
  return contextOf(metadata, clientId, 'none', o.None(), undefined, options, readIdToken)
}

/**
 * {@link createContext} with its {@link IdTokenReader} and the private_key_jwt signer injected.
 * Without a signer (the machine-to-machine entry, the MCP client), the signing code stays out of
 * the bundle and a `privateKey` is refused with a ConfigError. With `ignoreIdTokens` (none asked
 * for, one that comes anyway dropped, with a warning), the ID token code stays out too.
 */
export function secretContext(
  metadata: AuthorizationServerMetadata,
  clientOptions: ClientOptions,
  options: ContextOptions,
  idTokens: IdTokenReader,
  signer?: (key: NonNullable<ClientOptions['privateKey']>) => o.ClientAuth,
): OAuthContext {
  if (!clientOptions || typeof clientOptions !== 'object')
    throw new ConfigError('invalid_config', 'createContext needs the client options ({ clientId, … })')
  const flat = pickHttpOptions(options)
  const authMethod = chooseAuthMethod(metadata, clientOptions, flat.dialect)
  let clientAuth: o.ClientAuth
  if (authMethod === 'private_key_jwt') {
    if (!signer)
      throw new ConfigError(
        'unsupported_auth_method',
        "private_key_jwt: use createOAuthClient({ …, privateKey }).session({ grant: 'client_credentials' }) (oauthkit/m2m leaves the signing code out)",
      )
    clientAuth = signer(clientOptions.privateKey as NonNullable<ClientOptions['privateKey']>)
  } else clientAuth = secretAuth(authMethod, clientOptions)
  return contextOf(
    metadata,
    clientOptions.clientId,
    authMethod,
    clientAuth,
    clientOptions.idTokenSignedResponseAlg,
    {
      ...flat,
      ...(options.dpop ? { dpop: options.dpop } : {}),
    },
    idTokens,
  )
}

/** The private_key_jwt signer (RFC 7523 §2.2): handed to {@link secretContext} by the clients that sign. */
export function privateKeyJwt(key: NonNullable<ClientOptions['privateKey']>): o.ClientAuth {
  return o.PrivateKeyJwt('key' in key && !(key instanceof CryptoKey) ? key : { key: key as CryptoKey })
}

/**
 * The explicit choice when given; otherwise `private_key_jwt` with a key, `none` without a
 * secret, what the dialect's credential placement implies, and with a secret the first of
 * `client_secret_basic`, `client_secret_post` that the server lists (RFC 8414 §2: an absent
 * list means `client_secret_basic`).
 *
 * @example
 * chooseAuthMethod(metadata, { clientId, clientSecret }) // 'client_secret_basic' unless the server lists only post
 *
 * @group Contexts
 */
export function chooseAuthMethod(
  metadata: AuthorizationServerMetadata,
  client: ClientOptions,
  dialect?: Pick<DialectSpec, 'token'>,
): AuthMethod {
  if (typeof client !== 'object' || client === null)
    throw new ConfigError('invalid_config', 'chooseAuthMethod needs the client options ({ clientId, clientSecret | privateKey })')
  const explicit = client.tokenEndpointAuthMethod
  if (explicit) {
    if (explicit.startsWith('client_secret') && !client.clientSecret) {
      throw new ConfigError('invalid_config', `tokenEndpointAuthMethod ${explicit} needs clientSecret`)
    }
    if (explicit === 'private_key_jwt' && !client.privateKey) {
      throw new ConfigError('invalid_config', 'tokenEndpointAuthMethod private_key_jwt needs privateKey')
    }
    if (!METHODS.includes(explicit)) {
      throw new ConfigError(
        'unsupported_auth_method',
        `tokenEndpointAuthMethod ${JSON.stringify(explicit)} is not one of ${METHODS.join(', ')}`,
      )
    }
    return explicit
  }
  if (client.privateKey) return 'private_key_jwt'
  if (!client.clientSecret) return 'none'
  // A dialect that moves the credentials gets them as parameters, then places them.
  const placement = dialect?.token?.credentials
  if (placement === 'basic') return 'client_secret_basic'
  if (placement === 'parameters' || placement === 'query') return 'client_secret_post'
  const listed = metadata?.token_endpoint_auth_methods_supported
  const supported = Array.isArray(listed) ? listed : ['client_secret_basic']
  if (supported.includes('client_secret_basic')) return 'client_secret_basic'
  if (supported.includes('client_secret_post')) return 'client_secret_post'
  throw new ConfigError(
    'unsupported_auth_method',
    `the server supports none of the secret-based client authentication methods (it lists ${supported.join(', ') || 'nothing'}); pass tokenEndpointAuthMethod, or a privateKey for private_key_jwt`,
  )
}

const METHODS: AuthMethod[] = ['client_secret_basic', 'client_secret_basic_unencoded', 'client_secret_post', 'private_key_jwt', 'none']

function secretAuth(method: Exclude<AuthMethod, 'private_key_jwt'>, client: ClientOptions): o.ClientAuth {
  switch (method) {
    case 'client_secret_basic':
    case 'client_secret_basic_unencoded': {
      const encode = method === 'client_secret_basic' ? formEncode : (value: string) => value
      const credentials = base64(`${encode(client.clientId)}:${encode(client.clientSecret as string)}`)
      return (_as, _client, _body, headers) => {
        headers.set('authorization', `Basic ${credentials}`)
      }
    }
    case 'client_secret_post':
      return o.ClientSecretPost(client.clientSecret as string)
    case 'none':
      return o.None()
  }
}

/**
 * RFC 6749 §2.3.1 and Appendix B: each of id and secret form-encoded, escaping what the
 * encoding needs and nothing more — RFC 3986's unreserved `-._~` go as they are (a decoding
 * server reads the same bytes either way; one that never decodes still reads a UUID client id),
 * a space as `+`.
 */
function formEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
}

function base64(text: string): string {
  let binary = ''
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary)
}
