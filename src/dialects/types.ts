import type { ExpiresInPolicy } from '../wire/token.js'

/** The operations oauthkit sends requests for; a dialect may treat each differently. */
export type Endpoint =
  | 'discovery'
  | 'resource_metadata'
  | 'token'
  | 'revocation'
  | 'introspection'
  | 'userinfo'
  | 'registration'
  | 'device_authorization'

/** A request as the transport is about to send it; a dialect may rewrite any part. */
export interface OutgoingRequest {
  url: URL
  method: string
  headers: Headers
  body?: string | undefined
}

/**
 * Vendor quirks as data plus small pure transforms, applied at the transport seam: after
 * oauth4webapi built a request, before it validates a response, so its strict checks still run.
 */
export interface Dialect {
  /** For messages: which vendor or document the dialect follows. */
  name: string
  /** The unit of `expires_in` and the lifetime ceiling (see docs/tokens.md). */
  expiresIn?: ExpiresInPolicy
  /** Rewrites a request (parameters moved to headers or the query, other names, …). */
  request?(endpoint: Endpoint, request: OutgoingRequest): OutgoingRequest
  /** Rewrites a successful JSON body before it is validated (missing `token_type`, …). */
  responseBody?(endpoint: Endpoint, body: Record<string, unknown>): Record<string, unknown>
}
