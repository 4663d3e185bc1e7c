/** The authorization response parameters of a callback URL: the query, or else the fragment. */
export function callbackParams(url: URL): URLSearchParams {
  const query = url.searchParams
  return query.has('code') || query.has('error') ? query : new URLSearchParams(url.hash.slice(1))
}

const RESPONSE_PARAMETERS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state']

/**
 * The address without the authorization response: its parameters leave the query or the
 * fragment they came in (with `extra`, a dialect's own fields), and everything else stays —
 * the application's own hash route included, or `hash` (saved at login) when the callback
 * brought none.
 */
export function withoutResponse(url: URL, extra: string[] = [], hash = ''): string {
  const address = new URL(url)
  const names = [...RESPONSE_PARAMETERS, ...extra]
  if (address.searchParams.has('code') || address.searchParams.has('error')) {
    for (const name of names) address.searchParams.delete(name)
  } else if (address.hash.length > 1) {
    const fragment = new URLSearchParams(address.hash.slice(1))
    if (names.some((name) => fragment.has(name))) {
      for (const name of names) fragment.delete(name)
      address.hash = fragment.toString()
    }
  }
  return `${address.pathname}${address.search}${address.hash || hash}`
}
