// The CLI's commands. Each takes its positional arguments, the flags and the terminal, writes
// its result to stdout (JSON with --json) and what a person reads to stderr, and resolves the
// exit code. A thrown oauthkit error becomes the exit code of its recovery class (main.ts).
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createOAuthClient, type OAuthClient } from '../client.js'
import { discover, discoverFromResource } from '../discovery/index.js'
import { resolveMetadata } from '../discovery/resolve.js'
import { OAuthKitError, ConfigError, isOAuthKitError, redactUrl } from '../errors.js'
import { urlMatcher } from '../fetch/authorized-fetch.js'
import { registerClient } from '../protocol/endpoints/endpoints.js'
import { fileStore } from '../node/file-store.js'
import { listenForCallback } from '../node/loopback.js'
import type { TokenStore } from '../token/store.js'
import type { AuthorizationServerMetadata, ProtectedResourceMetadata, TokenSet } from '../types.js'
import {
  clientSecret,
  configPath,
  password,
  preset,
  readProfile,
  secretVariable,
  serverOptions,
  str,
  tokenFile,
  UsageError,
  type Flags,
  type Profile,
} from './config.js'
import { openBrowser } from './open.js'
import { qrCode } from './qr.js'

/** Where a command writes, and the environment it reads. */
export interface Io {
  out: { write(text: string): unknown }
  err: { write(text: string): unknown; isTTY?: boolean }
  env: NodeJS.ProcessEnv
  /** Reads standard input (a token given as `-`). */
  stdin(): Promise<string>
  /** Whether a person is at the terminal (stdin and stderr are TTYs): only then does a sign-in start unasked. */
  interactive?: boolean
}

type Command = (args: string[], flags: Flags, io: Io) => Promise<number>

interface Setup {
  name: string
  profile: Profile
  client: OAuthClient
  store: TokenStore
  /** Whether the client has a secret (the default grant is client_credentials then). */
  confidential: boolean
}

/** The profile named by --profile or $OAUTHKIT_PROFILE (else `default`), read from the config file. */
function profileOf(flags: Flags, io: Io): { name: string; profile: Profile } {
  const named = str(flags.profile) ?? io.env.OAUTHKIT_PROFILE
  const name = named ?? 'default'
  return { name, profile: readProfile(configPath(flags, io.env), name, named !== undefined) }
}

/** The profile (flags over the config file), its client and its token cache. */
async function setup(flags: Flags, io: Io): Promise<Setup> {
  const { name, profile } = profileOf(flags, io)
  const vendor = preset(flags, profile)
  const issuer = str(flags.issuer) ?? profile.issuer
  const clientId = str(flags['client-id']) ?? profile.clientId
  if (!clientId) throw new UsageError('no client id: pass --client-id or set clientId in the profile')
  const server = serverOptions(flags, profile)
  if (!issuer && !vendor && !server.endpoints?.token)
    throw new UsageError('no authorization server: pass --issuer, --preset or --endpoint token=URL, or set issuer in the profile')
  const secret = clientSecret(flags, profile, io.env)
  const client = await createOAuthClient({
    ...vendor,
    ...server,
    ...(issuer ? { issuer } : {}),
    clientId,
    ...(secret ? { clientSecret: secret } : {}),
  })
  // The cache belongs to an owner: tokens of another server, client, scope or resource are never found, so never sent.
  const { scope, resource, audience } = scopeOf(flags, profile)
  const owner = JSON.stringify([client.metadata.issuer, clientId, scope, resource, audience])
  return { name, profile, client, store: fileStore(tokenFile(name, owner, io.env)), confidential: Boolean(secret) }
}

function write(io: Io, flags: Flags, json: unknown, human: string) {
  io.out.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : human)
}

/** A token from standard input (`-`); a token on the command line is refused, as secrets are (shell history and `ps` keep it). */
async function tokenArgument(args: string[], io: Io): Promise<string | undefined> {
  if (args[0] === '-') return (await io.stdin()).trim()
  if (args[0] !== undefined)
    throw new UsageError(
      'a token on the command line stays in shell history and `ps`: pass - and give it on standard input (… | oauthkit <command> -)',
    )
  return undefined
}

const discoverCommand: Command = async ([url], flags, io) => {
  if (!url) throw new UsageError('discover needs an issuer or a resource URL: oauthkit discover https://auth.example.com')
  let found: { metadataUrl: string; metadata: AuthorizationServerMetadata; resource?: ProtectedResourceMetadata }
  // Discovery is what this command shows: endpoints given by hand play no part.
  const { endpoints: _byHand, ...http } = serverOptions(flags, profileOf(flags, io).profile)
  try {
    const { url: metadataUrl, metadata } = await discover(url, { ...http, discoveryCache: false })
    found = { metadataUrl, metadata }
  } catch (asIssuer) {
    if (!isOAuthKitError(asIssuer) || asIssuer.recovery !== 'fix-config') throw asIssuer
    // Not an issuer: perhaps a protected resource (RFC 9728), found from its 401 or well-known URL.
    const challenge = await fetch(url).catch(() => undefined)
    // Which failure to report: the resource's, if the URL answered as a protected resource does.
    const viaResource = await discoverFromResource(url, { ...http, ...(challenge ? { challenge } : {}) }).catch((asResource: unknown) => {
      throw challenge?.status === 401 ? asResource : asIssuer
    })
    found = {
      metadataUrl: viaResource.authorizationServer.url,
      metadata: viaResource.authorizationServer.metadata,
      resource: viaResource.resource.metadata,
    }
  }
  const m = found.metadata
  const rows: Array<[string, unknown]> = [
    ['issuer', m.issuer],
    ['metadata', found.metadataUrl],
    ['authorization', m.authorization_endpoint],
    ['token', m.token_endpoint],
    ['device', m.device_authorization_endpoint],
    ['revocation', m.revocation_endpoint],
    ['introspection', m.introspection_endpoint],
    ['userinfo', m.userinfo_endpoint],
    ['registration', m.registration_endpoint],
    ['jwks', m.jwks_uri],
    ['grant types', m.grant_types_supported],
    ['client auth', m.token_endpoint_auth_methods_supported],
    ['PKCE', m.code_challenge_methods_supported],
    ['scopes', m.scopes_supported],
  ]
  const lines = rows.filter(([, v]) => v !== undefined).map(([k, v]) => `${k.padEnd(14)} ${Array.isArray(v) ? v.join(' ') : String(v)}`)
  if (found.resource)
    lines.unshift(
      `${'resource'.padEnd(14)} ${String(found.resource.resource)} (scopes: ${(found.resource.scopes_supported ?? []).join(' ') || 'none named'})`,
    )
  write(
    io,
    flags,
    { metadataUrl: found.metadataUrl, metadata: m, ...(found.resource ? { resource: found.resource } : {}) },
    `${lines.join('\n')}\n`,
  )
  return 0
}

const GRANTS = ['client_credentials', 'password', 'refresh', 'device', 'code']

/**
 * The grant named by --grant or the profile; by default client_credentials with a secret, else
 * code. A sign-in nobody asked for (the default code grant) starts only with a person at the
 * terminal: a script gets an error, never a wait for a browser.
 */
function grantOf(flags: Flags, s: Setup, io: Io): string {
  const asked = str(flags.grant) ?? s.profile.grant
  const grant = asked ?? (s.confidential ? 'client_credentials' : 'code')
  if (!GRANTS.includes(grant)) throw new UsageError(`no grant "${grant}": use ${GRANTS.join(', ')}`)
  if (asked === undefined && grant === 'code' && !io.interactive) {
    throw new UsageError(
      `profile "${s.name}" has no client secret, and no terminal is there to sign in: pass --grant code or --grant device to sign in, or give the profile a secret (clientSecretEnv, clientSecretFile)`,
    )
  }
  return grant
}

function scopeOf(flags: Flags, profile: Profile) {
  const scope = str(flags.scope) ?? profile.scope
  const resource = str(flags.resource) ?? profile.resource
  const audience = str(flags.audience) ?? profile.audience
  return { ...(scope ? { scope } : {}), ...(resource ? { resource } : {}), ...(audience ? { audience } : {}) }
}

async function cached(s: Setup): Promise<TokenSet> {
  const stored = await s.store.load()
  if (!stored) throw new OAuthKitError('sign_in_required', `no tokens cached for profile "${s.name}": get some with oauthkit token first`)
  return stored.tokens
}

async function signIn(grant: string, flags: Flags, s: Setup, io: Io): Promise<TokenSet> {
  const wanted = scopeOf(flags, s.profile)
  if (grant === 'client_credentials') return s.client.clientCredentialsGrant(wanted)
  if (grant === 'refresh') return s.client.refreshGrant(await cached(s))
  if (grant === 'password') {
    const username = str(flags.username) ?? s.profile.username
    if (!username)
      throw new UsageError('the password grant needs --username (the password comes from OAUTHKIT_PASSWORD or --password-file)')
    return s.client.passwordGrant({ username, password: password(flags, io.env), ...wanted })
  }
  if (grant === 'device') {
    const flow = await s.client.startDeviceAuthorization(wanted)
    const url = flow.verificationUriComplete ?? flow.verificationUri
    // The user code on one line, whatever the server put in it (the URL is checked by the device flow).
    io.err.write(`Open ${url} and enter ${flow.userCode.replace(/\s+/g, ' ')}\n${qrCode(url)}Waiting for approval…\n`)
    return flow.wait()
  }
  return codeFlow(flags, s, io, wanted)
}

/** Authorization code + PKCE with a loopback redirect (RFC 8252): opens the browser unless --no-browser. */
async function codeFlow(flags: Flags, s: Setup, io: Io, wanted: { scope?: string; resource?: string }): Promise<TokenSet> {
  // The state is chosen first, so that the listener ignores a callback that does not carry it (a forged one).
  const state = randomBytes(32).toString('base64url')
  const listener = await listenForCallback({ state })
  try {
    const pending = await s.client.buildAuthorizationUrl({ redirectUri: listener.redirectUri, state, ...wanted })
    io.err.write(`Open ${pending.url}\n`)
    // Checked URL, one argument, no shell, no secret in the opener's environment (cli/open.ts).
    if (!flags['no-browser'])
      openBrowser(pending.url, io.env, [secretVariable(flags, s.profile)], () =>
        io.err.write('(could not open a browser: open the URL above yourself)\n'),
      )
    return await s.client.completeAuthorization(await listener.callback, pending)
  } finally {
    listener.close()
  }
}

const tokenCommand: Command = async (_args, flags, io) => {
  const s = await setup(flags, io)
  const grant = grantOf(flags, s, io)
  const tokens = await signIn(grant, flags, s, io)
  if (!flags['no-cache']) {
    const stored = await s.store.load()
    await s.store.save(tokens, stored?.version)
  }
  const left = tokens.expiresAt ? `${Math.round((tokens.expiresAt - Date.now()) / 1000)} s` : 'unknown'
  io.err.write(
    `${grant}: ${tokens.tokenType} token, expires in ${left}, scope ${tokens.scope ?? '(none)'}${tokens.refreshToken ? ', with a refresh token' : ''}${flags['no-cache'] ? '' : `; cached for profile "${s.name}"`}\n`,
  )
  write(io, flags, tokens, `${tokens.accessToken}\n`)
  return 0
}

const callCommand: Command = async ([url], flags, io) => {
  if (!url) throw new UsageError('call needs a URL: oauthkit call https://api.example.com/things')
  const s = await setup(flags, io)
  const target = new URL(url)
  // The token goes to the profile's API URLs only (its resource, apiUrls, --api-url): a call elsewhere is refused.
  const apiUrls = [
    s.profile.resource,
    ...(s.profile.apiUrls ?? []),
    str(flags.resource),
    ...((flags['api-url'] as string[] | undefined) ?? []),
  ].filter((u): u is string => typeof u === 'string' && u !== '')
  if (!apiUrls.length || !urlMatcher(apiUrls)(target)) {
    throw new ConfigError(
      'invalid_config',
      `${redactUrl(target)} is not under the API URLs of profile "${s.name}" (${apiUrls.map((u) => redactUrl(u)).join(', ') || 'none'}): the token is sent there only; add its base URL with --api-url or the profile's apiUrls`,
    )
  }
  // client_credentials renews itself; any other grant's tokens come from the cache (oauthkit token).
  const grant = str(flags.grant) ?? s.profile.grant ?? (s.confidential ? 'client_credentials' : undefined)
  const session = s.client.session({
    store: s.store,
    apiUrls,
    ...(grant === 'client_credentials' ? { grant: 'client_credentials' as const, ...scopeOf(flags, s.profile) } : {}),
  })
  const headers = new Headers()
  for (const header of (flags.header as string[] | undefined) ?? []) {
    const colon = header.indexOf(':')
    if (colon < 1) throw new UsageError(`a header is "Name: value", not "${header}"`)
    headers.append(header.slice(0, colon).trim(), header.slice(colon + 1).trim())
  }
  const data = str(flags.data)
  const body = data?.startsWith('@') ? readFileSync(data.slice(1)) : data
  const res = await session.fetch(target, { method: str(flags.method) ?? (body ? 'POST' : 'GET'), headers, ...(body ? { body } : {}) })
  const text = await res.text()
  io.err.write(`${res.status} ${res.statusText}\n`)
  write(
    io,
    flags,
    { status: res.status, headers: Object.fromEntries(res.headers), body: parsed(text) },
    text.endsWith('\n') || !text ? text : `${text}\n`,
  )
  return res.ok ? 0 : 7
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

const inspectCommand: Command = async (args, flags, io) => {
  const jwt = await tokenArgument(args, io)
  if (!jwt) throw new UsageError('inspect needs - and the JWT on standard input: … | oauthkit inspect -')
  const parts = jwt.split('.')
  const decode = (part: string | undefined) => {
    try {
      return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
    } catch {
      return undefined
    }
  }
  const header = decode(parts[0])
  const payload = decode(parts[1])
  if (parts.length !== 3 || !header || !payload)
    throw new ConfigError(
      'invalid_config',
      'not a JWT: expected three base64url parts, the first two JSON (an opaque token cannot be inspected; try oauthkit introspect)',
    )
  const times = ['exp', 'iat', 'nbf']
    .filter((k) => typeof payload[k] === 'number')
    .map(
      (k) =>
        `${k.padEnd(4)} ${new Date((payload[k] as number) * 1000).toISOString()}${k === 'exp' ? ` (${(payload.exp as number) * 1000 > Date.now() ? 'in' : 'expired'} ${Math.abs(Math.round((payload.exp as number) - Date.now() / 1000))} s${(payload.exp as number) * 1000 > Date.now() ? '' : ' ago'})` : ''}`,
    )
  io.err.write('decoded, not verified: the signature is not checked\n')
  write(
    io,
    flags,
    { header, payload },
    `${JSON.stringify(header, null, 2)}\n${JSON.stringify(payload, null, 2)}\n${times.join('\n')}${times.length ? '\n' : ''}`,
  )
  return 0
}

const revokeCommand: Command = async (args, flags, io) => {
  const s = await setup(flags, io)
  const given = await tokenArgument(args, io)
  const held = given ? undefined : await cached(s)
  const token = given ?? held?.refreshToken ?? held?.accessToken
  const hint = str(flags['token-type-hint']) ?? (held ? (held.refreshToken ? 'refresh_token' : 'access_token') : undefined)
  await s.client.revokeToken(token!, hint ? { tokenTypeHint: hint as 'refresh_token' | 'access_token' } : {})
  if (held) await s.store.clear()
  io.err.write(`revoked${held ? ` the cached ${hint?.replace('_', ' ')}; the cache of profile "${s.name}" is cleared` : ''}\n`)
  write(io, flags, { revoked: true }, '')
  return 0
}

const introspectCommand: Command = async (args, flags, io) => {
  const s = await setup(flags, io)
  const token = (await tokenArgument(args, io)) ?? (await cached(s)).accessToken
  const result = await s.client.introspectToken(
    token,
    str(flags['token-type-hint']) ? { tokenTypeHint: str(flags['token-type-hint']) as 'access_token' } : {},
  )
  const human = Object.entries(result)
    .map(([k, v]) => `${k.padEnd(10)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('\n')
  write(io, flags, result, `${human}\n`)
  return result.active ? 0 : 4
}

const registerCommand: Command = async (_args, flags, io) => {
  const { profile } = profileOf(flags, io)
  const issuer = str(flags.issuer) ?? profile.issuer
  if (!issuer) throw new UsageError('register needs --issuer (or a profile with an issuer)')
  const redirectUris = (flags['redirect-uri'] as string[] | undefined) ?? []
  const { endpoints, ...http } = serverOptions(flags, profile)
  // --endpoint registration=URL (or the profile's) wins over the discovered one.
  const metadata = await resolveMetadata({ issuer, ...(endpoints ? { endpoints } : {}), ...http })
  const registered = await registerClient(
    metadata,
    {
      ...(redirectUris.length ? { redirect_uris: redirectUris } : {}),
      ...(str(flags.name) ? { client_name: str(flags.name) } : {}),
      ...(str(flags['auth-method']) ? { token_endpoint_auth_method: str(flags['auth-method']) } : {}),
      ...(str(flags['grant-types']) ? { grant_types: str(flags['grant-types'])!.split(',') } : {}),
    },
    http,
  )
  const secret = registered.client_secret
    ? `\nclient_secret ${String(registered.client_secret)}  (shown once: keep it in a file or the environment)`
    : ''
  write(io, flags, registered, `client_id     ${registered.client_id}${secret}\n`)
  return 0
}

export const COMMANDS: Record<string, Command> = {
  discover: discoverCommand,
  token: tokenCommand,
  call: callCommand,
  inspect: inspectCommand,
  revoke: revokeCommand,
  introspect: introspectCommand,
  register: registerCommand,
}
