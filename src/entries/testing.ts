/**
 * msw emulators of a standard authorization server and of each documented vendor (msw is an optional peer).
 *
 * @module oauthkit/testing
 */
// `oauthkit/testing`: msw handlers that emulate a standard authorization server and each
// documented vendor, for testing your own code offline. Needs msw (an optional peer).
export { createEmulator, readStandardTokenRequest, EmulatorRejection } from '../testing/emulator.js'
export type { Emulator, EmulatorOptions, EmulatedClient, Grant, TokenRequestParts } from '../testing/emulator.js'
export { bipsyncServer, epishipServer, epismoServer, epturaServer, organizationApiServer } from '../testing/vendors.js'
