/**
 * Vendor presets, the dialect toolkit, and the vendors' own operations.
 *
 * @module oauthkit/dialects
 */
// `oauthkit/dialects`: vendor presets, the dialect toolkit, and the vendors' own operations.
export { atlassianMcpPreset, bipsyncPreset, epishipPreset, epismoPreset, epturaPreset, organizationApiPreset } from '../dialects/presets.js'
export { defineDialect, composeDialects } from '../dialects/apply.js'
export type { Dialect, DialectSpec, VendorPreset, Placement, CredentialsPlacement, Endpoints } from '../dialects/types.js'
export { requestEpturaCode } from '../vendors/eptura.js'
export type { EpturaCodeRequest } from '../vendors/eptura.js'
export { personalAccessTokens } from '../vendors/epiship.js'
export type { PersonalAccessToken, PersonalAccessTokensOptions } from '../vendors/epiship.js'
