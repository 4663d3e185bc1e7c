import * as z from 'zod/mini'
import { ResponseError } from '../errors.js'
import type { AuthorizationServerMetadata, ProtectedResourceMetadata } from '../types.js'

const url = z.string().check(z.refine((v) => URL.canParse(v), 'must be an absolute URL'))
const strings = z.optional(z.array(z.string()))

/**
 * RFC 8414 §2 metadata, the fields oauthkit reads. `issuer` is REQUIRED by the RFC;
 * `token_endpoint` is required here because every grant needs it (servers that only do
 * implicit flows are out of scope). `response_types_supported`, REQUIRED by the RFC, is not
 * enforced: real servers omit it and nothing here depends on it. Unknown fields are kept.
 */
const authorizationServerSchema = z.looseObject({
  issuer: z.string(),
  authorization_endpoint: z.optional(url),
  token_endpoint: url,
  jwks_uri: z.optional(url),
  registration_endpoint: z.optional(url),
  revocation_endpoint: z.optional(url),
  introspection_endpoint: z.optional(url),
  userinfo_endpoint: z.optional(url),
  end_session_endpoint: z.optional(url),
  device_authorization_endpoint: z.optional(url),
  scopes_supported: strings,
  response_types_supported: strings,
  response_modes_supported: strings,
  grant_types_supported: strings,
  token_endpoint_auth_methods_supported: strings,
  code_challenge_methods_supported: strings,
  authorization_response_iss_parameter_supported: z.optional(z.boolean()),
})

/** RFC 9728 §2: `resource` is REQUIRED. */
const protectedResourceSchema = z.looseObject({
  resource: z.string(),
  authorization_servers: z.optional(z.array(url)),
  scopes_supported: strings,
  bearer_methods_supported: strings,
})

function check<T>(schema: z.ZodMiniType<T>, value: unknown, what: string, source: string): T {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const problems = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(document)'}: ${issue.message}`)
    .join('; ')
  throw new ResponseError('invalid_metadata', `${what} from ${source} is invalid: ${problems}`, {
    url: source,
    cause: result.error,
  })
}

export function parseAuthorizationServerMetadata(value: unknown, source: string): AuthorizationServerMetadata {
  return check(authorizationServerSchema, value, 'authorization server metadata', source) as AuthorizationServerMetadata
}

export function parseProtectedResourceMetadata(value: unknown, source: string): ProtectedResourceMetadata {
  return check(protectedResourceSchema, value, 'protected resource metadata', source) as ProtectedResourceMetadata
}
