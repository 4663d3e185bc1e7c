// The fields of a form_post answer (OAuth 2.0 Form Post Response Mode): a chunk of its own,
// loaded by completeAuthorization only when it is handed a Request. No value imports: what it
// needs is handed in, so that the shared module of the Node build stays one file.
import type { ResponseError } from '../../errors.js'

const LIMIT = 64 * 1024

/** The posted form's fields: a POST of `application/x-www-form-urlencoded`, of at most 64 KiB. */
export async function formOf(request: Request, Failure: typeof ResponseError): Promise<URLSearchParams> {
  const type = request.headers.get('content-type') ?? ''
  if (request.method !== 'POST' || !/^application\/x-www-form-urlencoded\b/i.test(type))
    throw new Failure(
      'invalid_response',
      `authorization callback rejected: a form_post answer is a POST of application/x-www-form-urlencoded, not ${request.method} of ${type.slice(0, 60).replace(/[^\x20-\x7e]/g, '?') || 'no content type'}`,
    )
  const text = Number(request.headers.get('content-length')) > LIMIT ? '' : await request.text()
  if (!text || text.length > LIMIT)
    throw new Failure('invalid_response', 'authorization callback rejected: the posted form is empty or over 64 KiB')
  return new URLSearchParams(text)
}
