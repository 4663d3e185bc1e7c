// The CLI's configuration: named profiles in a JSON file, secrets from the environment or a
// file (never from the command line, which shell history and `ps` keep), vendor presets.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { ConfigError } from '../errors.js'
import { closest } from '../internal/closest.js'
import { defineDialect } from '../dialects/apply.js'
import { ENDPOINT_FIELDS } from '../discovery/resolve.js'
import { bipsyncPreset, epishipPreset, epismoPreset, epturaPreset, organizationApiPreset } from '../dialects/presets.js'
import type { Dialect, DialectSpec, Endpoints, VendorPreset } from '../dialects/types.js'

/** One profile: where the server is, who the client is, and where its secret comes from. */
export interface Profile {
  issuer?: string
  clientId?: string
  /** The environment variable holding the client secret. Default `OAUTHKIT_CLIENT_SECRET`. */
  clientSecretEnv?: string
  /** A file holding the client secret (its first line). */
  clientSecretFile?: string
  scope?: string
  resource?: string
  audience?: string
  /** The API base URLs `call` may send the token to (besides `resource`); `--api-url` adds more. */
  apiUrls?: string[]
  /** A vendor preset by name, and its options (`{ "client": "acme" }` for Bipsync). */
  preset?: string
  presetOptions?: Record<string, string>
  /** The grant `token` and `call` use when no grant is named: `client_credentials` (default with a secret) or `code`/`device` (default without). */
  grant?: string
  username?: string
  /** Plain `http:` to hosts other than loopback — only on a network you trust (a container network, a lab). */
  allowInsecureHttp?: boolean
  /** Endpoints given by hand (`{ "token": "https://…/oauth/token" }`): with `token`, no discovery; else they override what discovery found. */
  endpoints?: Endpoints
  /** A dialect (docs/dialects.md): a path to its JSON (relative to the config file), or the spec itself. */
  dialect?: string | DialectSpec
}

/** The fields a profile may have: a misspelt one is an error that names the field probably meant, never ignored. */
const PROFILE_FIELDS = [
  'issuer',
  'clientId',
  'clientSecretEnv',
  'clientSecretFile',
  'scope',
  'resource',
  'audience',
  'apiUrls',
  'preset',
  'presetOptions',
  'grant',
  'username',
  'allowInsecureHttp',
  'endpoints',
  'dialect',
] as const satisfies ReadonlyArray<keyof Profile>

/** The endpoints that may be given by hand (`--endpoint NAME=URL`, a profile's `endpoints`): the ones a client takes. */
export const ENDPOINT_NAMES = Object.keys(ENDPOINT_FIELDS) as Array<keyof Endpoints>

/** The values the command line may give; the profile fills what they leave out. */
export type Flags = Record<string, string | boolean | string[] | undefined>

const PRESETS: Record<string, (options: Record<string, string>) => VendorPreset> = {
  bipsync: (o) => bipsyncPreset(o.issuer ? { issuer: o.issuer } : { client: need(o, 'client', 'bipsync') }),
  epiship: (o) => epishipPreset({ baseUrl: need(o, 'baseUrl', 'epiship') }),
  epismo: (o) => epismoPreset({ issuer: need(o, 'issuer', 'epismo') }),
  eptura: (o) =>
    epturaPreset({ site: need(o, 'site', 'eptura'), redirectUri: need(o, 'redirectUri', 'eptura'), scope: need(o, 'scope', 'eptura') }),
  'organization-api': (o) =>
    organizationApiPreset({
      server: need(o, 'server', 'organization-api'),
      ...(o.credentials === 'query' ? { credentials: 'query' as const } : {}),
    }),
}

export const PRESET_NAMES = Object.keys(PRESETS)

function need(options: Record<string, string>, key: string, preset: string): string {
  const value = options[key]
  if (!value) throw new ConfigError('invalid_config', `the ${preset} preset needs ${key} (--preset ${preset}:${key}=…)`)
  return value
}

/** The config file: --config, else $OAUTHKIT_CONFIG, else $XDG_CONFIG_HOME/oauthkit/config.json. */
export function configPath(flags: Flags, env: NodeJS.ProcessEnv): string {
  if (typeof flags.config === 'string') return expandHome(flags.config)
  if (env.OAUTHKIT_CONFIG) return expandHome(env.OAUTHKIT_CONFIG)
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'oauthkit', 'config.json')
}

/**
 * Where a profile's tokens are cached: $OAUTHKIT_CACHE_DIR, else $XDG_CACHE_HOME/oauthkit, one
 * 0600 file per profile and owner — the issuer, the client, the scope, the resource and the
 * audience (`owner`, a stamp of them): a command with another client or issuer finds no
 * tokens rather than another owner's, and leaves them where they are.
 */
export function tokenFile(profile: string, owner: string, env: NodeJS.ProcessEnv): string {
  const dir = env.OAUTHKIT_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'oauthkit')
  const stamp = createHash('sha256').update(owner).digest('hex').slice(0, 16)
  return join(dir, `${profile.replace(/[^\w.-]/g, '_')}.${stamp}.tokens.json`)
}

/** Reads the named profile (missing file: no profiles; a named profile that is not there: an error). */
export function readProfile(path: string, name: string, named: boolean): Profile {
  const parsed = readJson<{ profiles?: Record<string, Profile> }>(path, 'the config file', !named)
  if (!parsed) return {}
  const profile = parsed.profiles?.[name]
  if (!profile && named)
    throw new ConfigError(
      'invalid_config',
      `no profile "${name}" in ${path} (profiles: ${Object.keys(parsed.profiles ?? {}).join(', ') || 'none'})`,
    )
  for (const field of Object.keys(profile ?? {}))
    if (!(PROFILE_FIELDS as readonly string[]).includes(field))
      throw unknownWord(`profile "${name}" in ${path} has no field`, field, PROFILE_FIELDS)
  // A dialect's JSON named by the profile is found beside the config file.
  if (typeof profile?.dialect === 'string') return { ...profile, dialect: resolve(dirname(path), expandHome(profile.dialect)) }
  return profile ?? {}
}

/** `what "word"`, the known word it was probably meant to be, and the known words. */
function unknownWord(what: string, word: string, known: readonly string[]): ConfigError {
  const near = closest(word, [...known])
  return new ConfigError('invalid_config', `${what} "${word}"${near ? ` (did you mean ${near}?)` : ''}: use ${known.join(', ')}`)
}

/**
 * What the flags and the profile say about reaching the server, beyond where it is: plain
 * `http:` on a trusted network (--allow-insecure-http), endpoints by hand (--endpoint NAME=URL,
 * repeated; they win over the profile's), and a dialect (--dialect FILE, a JSON spec checked
 * as `defineDialect` checks it).
 */
export function serverOptions(flags: Flags, profile: Profile): { allowInsecureHttp?: true; endpoints?: Endpoints; dialect?: Dialect } {
  const endpoints: Endpoints = {}
  for (const [key, value] of Object.entries(profile.endpoints ?? {})) {
    if (!(ENDPOINT_NAMES as readonly string[]).includes(key)) throw unknownWord("the profile's endpoints have no", key, ENDPOINT_NAMES)
    endpoints[key as keyof Endpoints] = String(value)
  }
  for (const pair of (flags.endpoint as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=')
    if (eq < 1) throw new UsageError(`--endpoint takes NAME=URL (--endpoint token=https://auth.example.com/oauth/token), not "${pair}"`)
    const key = pair.slice(0, eq)
    if (!(ENDPOINT_NAMES as readonly string[]).includes(key))
      throw new UsageError(unknownWord('--endpoint: no endpoint', key, ENDPOINT_NAMES).message)
    endpoints[key as keyof Endpoints] = pair.slice(eq + 1)
  }
  const dialect = str(flags.dialect) ?? profile.dialect
  return {
    ...(flags['allow-insecure-http'] === true || profile.allowInsecureHttp === true ? { allowInsecureHttp: true as const } : {}),
    ...(Object.keys(endpoints).length ? { endpoints } : {}),
    ...(dialect === undefined ? {} : { dialect: typeof dialect === 'string' ? dialectFile(expandHome(dialect)) : defineDialect(dialect) }),
  }
}

/** A dialect from a JSON file, checked as `defineDialect` checks a spec; a mistake names the file and the field. */
function dialectFile(path: string): Dialect {
  const spec = readJson<DialectSpec>(path, 'the dialect file')!
  try {
    return defineDialect(spec)
  } catch (err) {
    throw new ConfigError('invalid_config', `the dialect file ${path}: ${(err as Error).message}`, { cause: err })
  }
}

/** A JSON file the command line reads (`what` names it in messages); a missing one is undefined when `missingOk`. */
function readJson<T>(path: string, what: string, missingOk = false): T | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && missingOk) return undefined
    throw new ConfigError('invalid_config', `${what} ${path} cannot be read (${code ?? 'error'})`, { cause: err })
  }
  try {
    return JSON.parse(text) as T
  } catch (err) {
    throw new ConfigError('invalid_config', `${what} ${path} is not JSON: ${(err as Error).message}`, { cause: err })
  }
}

/** The environment variable named as holding the client secret (--client-secret-env, else the profile's), if any. */
export function secretVariable(flags: Flags, profile: Profile): string | undefined {
  return str(flags['client-secret-env']) ?? profile.clientSecretEnv
}

/**
 * The client secret: from the file or environment variable the flags or profile name, else
 * $OAUTHKIT_CLIENT_SECRET. A variable that is named but unset is an error, never a silent
 * switch to a public client (which would start a browser sign-in in a script).
 */
export function clientSecret(flags: Flags, profile: Profile, env: NodeJS.ProcessEnv): string | undefined {
  const file = str(flags['client-secret-file']) ?? profile.clientSecretFile
  if (file) return readSecretFile(file, 'client secret')
  const named = secretVariable(flags, profile)
  if (named && !env[named])
    throw new ConfigError(
      'invalid_config',
      `the client secret's variable ${named} is not set (named by ${str(flags['client-secret-env']) ? '--client-secret-env' : 'the profile'}): export it, or use clientSecretFile`,
    )
  return env[named ?? 'OAUTHKIT_CLIENT_SECRET'] || undefined
}

/** The password of the password grant: --password-file, else $OAUTHKIT_PASSWORD. */
export function password(flags: Flags, env: NodeJS.ProcessEnv): string {
  const file = str(flags['password-file'])
  const value = file ? readSecretFile(file, 'password') : env.OAUTHKIT_PASSWORD
  if (!value) throw new ConfigError('invalid_config', 'the password grant needs a password: set OAUTHKIT_PASSWORD or pass --password-file')
  return value
}

/** A path from the config file or the command line, `~/` read as the home folder. */
export function expandHome(path: string): string {
  return path.replace(/^~(?=[/\\]|$)/, homedir())
}

function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(expandHome(path), 'utf8').split(/\r?\n/)[0]!.trim()
  } catch (err) {
    throw new ConfigError('invalid_config', `the ${what} file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: err,
    })
  }
}

/** A preset from `--preset name:key=value,key=value` or the profile. */
export function preset(flags: Flags, profile: Profile): VendorPreset | undefined {
  const given = str(flags.preset)
  const [name, rest] = given ? [given.split(':')[0]!, given.slice(given.indexOf(':') + 1)] : [profile.preset, undefined]
  if (!name) return undefined
  const make = PRESETS[name]
  if (!make) throw new ConfigError('invalid_config', `no preset "${name}" (presets: ${PRESET_NAMES.join(', ')})`)
  const options: Record<string, string> = { ...profile.presetOptions }
  if (given && given.includes(':')) {
    for (const pair of (rest ?? '').split(',')) {
      const eq = pair.indexOf('=')
      if (eq > 0) options[pair.slice(0, eq)] = pair.slice(eq + 1)
    }
  }
  return make(options)
}

export function str(value: string | boolean | string[] | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** A command line that does not say what to do: exit code 2. */
export class UsageError extends ConfigError {
  constructor(message: string) {
    super('invalid_config', message)
  }
}
