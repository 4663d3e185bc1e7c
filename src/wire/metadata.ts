import { ResponseError } from '../errors.js'
import type { AuthorizationServerMetadata, ProtectedResourceMetadata } from '../types.js'

/**
 * Metadata checks as a field table. (zod was used here first: even zod/mini costs 4.4 KiB
 * gzip for a one-field object, a third of the SPA bundle budget, for checks this simple.)
 */
type Kind = 'string' | 'url' | 'strings' | 'urls' | 'boolean'
type Spec = Record<string, readonly [Kind, 'required' | 'optional']>

/**
 * RFC 8414 §2 metadata, the fields oauthkit reads. `issuer` is REQUIRED by the RFC;
 * `token_endpoint` is required here because every grant needs it. `response_types_supported`,
 * REQUIRED by the RFC, is not enforced: real servers omit it and nothing here depends on it.
 * Unknown fields are kept.
 */
const AUTHORIZATION_SERVER: Spec = {
  issuer: ['string', 'required'],
  token_endpoint: ['url', 'required'],
  authorization_endpoint: ['url', 'optional'],
  jwks_uri: ['url', 'optional'],
  registration_endpoint: ['url', 'optional'],
  revocation_endpoint: ['url', 'optional'],
  introspection_endpoint: ['url', 'optional'],
  userinfo_endpoint: ['url', 'optional'],
  end_session_endpoint: ['url', 'optional'],
  device_authorization_endpoint: ['url', 'optional'],
  scopes_supported: ['strings', 'optional'],
  response_types_supported: ['strings', 'optional'],
  response_modes_supported: ['strings', 'optional'],
  grant_types_supported: ['strings', 'optional'],
  token_endpoint_auth_methods_supported: ['strings', 'optional'],
  code_challenge_methods_supported: ['strings', 'optional'],
  authorization_response_iss_parameter_supported: ['boolean', 'optional'],
}

/** RFC 9728 §2: `resource` is REQUIRED. */
const PROTECTED_RESOURCE: Spec = {
  resource: ['string', 'required'],
  authorization_servers: ['urls', 'optional'],
  scopes_supported: ['strings', 'optional'],
  bearer_methods_supported: ['strings', 'optional'],
}

const isUrl = (v: unknown) => typeof v === 'string' && URL.canParse(v)
const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string')
const CHECKS: Record<Kind, [(v: unknown) => boolean, string]> = {
  string: [(v) => typeof v === 'string', 'must be a string'],
  url: [isUrl, 'must be an absolute URL'],
  strings: [isStrings, 'must be an array of strings'],
  urls: [(v) => Array.isArray(v) && v.every(isUrl), 'must be an array of absolute URLs'],
  boolean: [(v) => typeof v === 'boolean', 'must be a boolean'],
}

function check(spec: Spec, value: unknown, what: string, source: string): Record<string, unknown> {
  const problems: string[] = []
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push('(document): must be a JSON object')
  } else {
    for (const [field, [kind, presence]] of Object.entries(spec)) {
      const v = (value as Record<string, unknown>)[field]
      if (v === undefined) {
        if (presence === 'required') problems.push(`${field}: is required`)
      } else if (!CHECKS[kind][0](v)) {
        problems.push(`${field}: ${CHECKS[kind][1]}`)
      }
    }
  }
  if (problems.length) {
    throw new ResponseError('invalid_metadata', `${what} from ${source} is invalid: ${problems.slice(0, 5).join('; ')}`, { url: source })
  }
  return value as Record<string, unknown>
}

export function parseAuthorizationServerMetadata(value: unknown, source: string): AuthorizationServerMetadata {
  return check(AUTHORIZATION_SERVER, value, 'authorization server metadata', source) as AuthorizationServerMetadata
}

export function parseProtectedResourceMetadata(value: unknown, source: string): ProtectedResourceMetadata {
  return check(PROTECTED_RESOURCE, value, 'protected resource metadata', source) as ProtectedResourceMetadata
}
