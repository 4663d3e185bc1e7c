import * as o from 'oauth4webapi'
import { ResponseError, unloadedChunk } from '../../errors.js'
import type { IdTokenReader } from './context.js'
import type { JwsKit } from './jws.js'
import { runOperation } from './operation.js'
import { dropIdToken } from './token.js'

/**
 * How a context that reads ID tokens (createContext, createPublicContext) checks one in a token
 * answer: with the JWT chunk (protocol/run/jws.ts), loaded the first time. When the chunk cannot
 * be loaded, an ID token that was required (a nonce sent) is a `network_error` to retry; one that
 * was not is dropped, with a warning (the tokens are kept: a refresh token may be spent already).
 */
export const readIdToken: IdTokenReader = async (internals, body, name, check) => {
  const chunk = await jwtChunk()
  if (!chunk) {
    if (check?.nonce !== undefined) throw unloadedChunk('the ID token checker')
    dropIdToken(internals, body, `the ${name} answer's ID token could not be checked (its checker did not load)`)
    return { body }
  }
  // The server's time, as oauth4webapi reads it: this context's clock and the skew its Date headers measured.
  const now = Math.floor(Date.now() / 1000) + (internals.client[o.clockSkew] ?? 0)
  return { body, claims: await chunk.checkIdToken(jwsKit, internals, body.id_token, now, check) }
}

let loading: Promise<typeof import('./jws.js')> | undefined

/** The JWT chunk (protocol/run/jws.ts), or undefined when it cannot be loaded (asked for again next time). */
export async function jwtChunk(): Promise<typeof import('./jws.js') | undefined> {
  try {
    return await (loading ??= import('./jws.js'))
  } catch {
    loading = undefined
    return undefined
  }
}

/** What the JWT chunk (protocol/run/jws.ts) is handed: it imports no value itself. */
export const jwsKit: JwsKit = {
  runOperation,
  Failure: ResponseError,
  unsuccessful: (response) =>
    new o.OperationProcessingError(`unsuccessful answer (${response.status})`, { cause: response, code: o.RESPONSE_IS_NOT_CONFORM }),
}
