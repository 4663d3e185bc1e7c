import { ResponseError } from '../errors.js'
import type { AuthorizationServerMetadata, ProtectedResourceMetadata } from '../types.js'

/**
 * Metadata checks as a field table. (zod was used here first: even zod/mini costs 4.4 KiB
 * gzip for a one-field object, a third of the SPA bundle budget, for checks this simple.)
 */
type Kind = 'string' | 'url' | 'strings' | 'urls' | 'boolean'
/** The fields checked, by kind; `required` lists the ones that must be present. Unknown fields are kept. */
type Spec = Partial<Record<Kind | 'required', string[]>>

/**
 * RFC 8414 §2 metadata, the fields oauthkit reads. `issuer` is REQUIRED by the RFC;
 * `token_endpoint` is required here because every grant needs it. `response_types_supported`,
 * REQUIRED by the RFC, is not enforced: real servers omit it and nothing here depends on it.
 */
const AUTHORIZATION_SERVER: Spec = {
  required: ['issuer', 'token_endpoint'],
  string: ['issuer'],
  url: [
    'token_endpoint',
    'authorization_endpoint',
    'jwks_uri',
    'registration_endpoint',
    'revocation_endpoint',
    'introspection_endpoint',
    'userinfo_endpoint',
    'end_session_endpoint',
    'device_authorization_endpoint',
  ],
  strings: [
    'scopes_supported',
    'response_types_supported',
    'response_modes_supported',
    'grant_types_supported',
    'token_endpoint_auth_methods_supported',
    'code_challenge_methods_supported',
  ],
  boolean: ['authorization_response_iss_parameter_supported'],
}

/** RFC 9728 §2: `resource` is REQUIRED. */
const PROTECTED_RESOURCE: Spec = {
  required: ['resource'],
  string: ['resource'],
  urls: ['authorization_servers'],
  strings: ['scopes_supported', 'bearer_methods_supported'],
}

const isUrl = (v: unknown) => typeof v === 'string' && URL.canParse(v)
const CHECKS: Record<Kind, [(v: unknown) => boolean, string]> = {
  string: [(v) => typeof v === 'string', 'a string'],
  url: [isUrl, 'an absolute URL'],
  strings: [(v) => Array.isArray(v) && v.every((s) => typeof s === 'string'), 'an array of strings'],
  urls: [(v) => Array.isArray(v) && v.every(isUrl), 'an array of absolute URLs'],
  boolean: [(v) => typeof v === 'boolean', 'a boolean'],
}

function check(spec: Spec, value: unknown, what: string, source: string): Record<string, unknown> {
  const problems: string[] = []
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push('it is not a JSON object')
  } else {
    const record = value as Record<string, unknown>
    for (const field of spec.required ?? []) if (record[field] === undefined) problems.push(`${field} is required`)
    for (const kind of Object.keys(CHECKS) as Kind[]) {
      const [ok, must] = CHECKS[kind]
      for (const field of spec[kind] ?? []) if (record[field] !== undefined && !ok(record[field])) problems.push(`${field} must be ${must}`)
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
