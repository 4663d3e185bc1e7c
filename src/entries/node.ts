/**
 * What only works on Node: the file store and its lock, the loopback redirect listener, a token read from a file.
 *
 * @module oauthkit/node
 */
// `oauthkit/node`: what only works on Node (and Deno/Bun with node: built-ins).
export { fileStore, fileKeyValueStore } from '../node/file-store.js'
export { fileLock } from '../node/file-lock.js'
export type { FileLockOptions } from '../node/file-lock.js'
export { listenForCallback } from '../node/loopback.js'
export type { LoopbackListener, LoopbackOptions } from '../node/loopback.js'
export { tokenFile } from '../node/token-file.js'
