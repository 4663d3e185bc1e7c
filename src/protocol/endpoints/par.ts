// Pushed authorization requests (RFC 9126), loaded only when a request is pushed
// (buildAuthorizationUrl's `par`, or a server that requires it). It imports no value, so that
// bundlers put it in a chunk of its own that an app which never pushes never loads; what it
// needs is handed in.
import type * as o from 'oauth4webapi'
import type { ContextInternals } from '../run/context.js'
import type { Operation } from '../run/operation.js'

type PushOperation = Omit<Operation<string>, 'url' | 'metadata'>

/**
 * POSTs the authorization request's parameters to `pushed_authorization_request_endpoint` with
 * the client's authentication (§2.1) through `run` (the operation path), and returns where to
 * send the browser: the authorization endpoint with only `client_id` and the `request_uri` the
 * server answered (§2.2, §4). An unsuccessful answer becomes `Failure` (oauth4webapi's
 * OperationProcessingError), which the error translation reads with the server's OAuth error;
 * one without a `request_uri` is `invalid_response`.
 */
export async function push(
  clientId: string,
  internals: ContextInternals,
  authorizationUrl: URL,
  run: (op: PushOperation) => Promise<string>,
  Failure: typeof o.OperationProcessingError,
  notConform: string,
): Promise<string> {
  const { as, client, clientAuth } = internals
  const requestUri = await run({
    name: 'pushed authorization request',
    endpoint: 'pushed_authorization_request',
    async request(_options, send) {
      const body = new URLSearchParams(authorizationUrl.searchParams)
      const headers = new Headers({ accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' })
      await clientAuth(as, client, body, headers)
      return send(as.pushed_authorization_request_endpoint!, { method: 'POST', headers: Object.fromEntries(headers), body })
    },
    async process(response) {
      if (!response.ok) throw new Failure(`unsuccessful answer (${response.status})`, { cause: response, code: notConform })
      const answer = (await response.json()) as { request_uri?: unknown }
      if (typeof answer?.request_uri !== 'string' || answer.request_uri === '')
        throw new Error('the server answered without a request_uri (RFC 9126 §2.2)')
      return answer.request_uri
    },
  })
  const url = new URL(authorizationUrl.href)
  url.search = ''
  url.searchParams.set('client_id', clientId)
  url.searchParams.set('request_uri', requestUri)
  return url.href
}
