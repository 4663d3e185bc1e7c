/**
 * The ky integration (ky is an optional peer).
 *
 * @module oauthkit/ky
 */
// `oauthkit/ky`: the ky integration, kept out of the main entry so that importing oauthkit
// never loads ky.
export { createAuthorizedKy } from '../fetch/ky.js'
export type { KyAuthOptions } from '../fetch/ky.js'
