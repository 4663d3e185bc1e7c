import * as o from 'oauth4webapi'
import { ResponseError, unloadedChunk } from '../../errors.js'
import type { IdTokenReader } from './context.js'
import type { JwsKit } from './jws.js'
import { runOperation } from './operation.js'
import { retrying } from '../../internal/retrying.js'
import { dropIdToken } from './token.js'

/**
 * How a context that reads ID tokens (createContext, createPublicContext) checks one in a token
 * answer: with the JWT chunk (protocol/run/jws.ts), loaded the first time. When the chunk cannot
 * be loaded, an ID token that was required (a nonce sent) is a `network_error` to retry; one that
 * was not is dropped, with a warning (the tokens are kept: a refresh token may be spent already).
 */
export const readIdToken: IdTokenReader = async (internals, body, name, check) => {
  const chunk = await (check?.nonce === undefined ? jwtChunk() : idTokenChecker())
  if (!chunk) {
    dropIdToken(internals, body, `the ${name} answer's ID token could not be checked (its checker did not load)`)
    return { body }
  }
  // The server's time, as oauth4webapi reads it: this context's clock and the skew its Date headers measured.
  const now = Math.floor(Date.now() / 1000) + (internals.client[o.clockSkew] ?? 0)
  return { body, claims: await chunk.checkIdToken(jwsKit, internals, body.id_token, now, check) }
}

let jwt: (() => Promise<typeof import('./jws.js')>) | undefined

/**
 * The JWT chunk (protocol/run/jws.ts), or undefined when it cannot be loaded (asked for again
 * next time). Its loader is made on first use: a module-level call would stay in bundles that
 * never read an ID token.
 */
function jwtChunk(): Promise<typeof import('./jws.js') | undefined> {
  return (jwt ??= retrying(() => import('./jws.js')))().catch(() => undefined)
}

/** The JWT chunk where an ID token must be checked (a nonce was sent): a `network_error` when it cannot be loaded. */
export async function idTokenChecker(): Promise<typeof import('./jws.js')> {
  const chunk = await jwtChunk()
  if (!chunk) throw unloadedChunk('the ID token checker')
  return chunk
}

/** What the JWT chunk (protocol/run/jws.ts) is handed: it imports no value itself. */
export const jwsKit: JwsKit = {
  runOperation,
  Failure: ResponseError,
  unsuccessful: (response) =>
    new o.OperationProcessingError(`unsuccessful answer (${response.status})`, { cause: response, code: o.RESPONSE_IS_NOT_CONFORM }),
}
