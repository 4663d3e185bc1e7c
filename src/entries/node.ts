// `oauthkit/node`: what only works on Node (and Deno/Bun with node: built-ins).
export { fileStore } from '../node/file-store.js'
