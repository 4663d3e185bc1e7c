/** The authorization response parameters of a callback URL: the query, or else the fragment. */
export function callbackParams(url: URL): URLSearchParams {
  const query = url.searchParams
  return query.has('code') || query.has('error') ? query : new URLSearchParams(url.hash.slice(1))
}

const RESPONSE_PARAMETERS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state']

/** Takes the authorization response out of the address bar: the code is single-use and must not stay in history. */
export function cleanAddressBar(url: URL): void {
  const address = new URL(url)
  for (const name of RESPONSE_PARAMETERS) address.searchParams.delete(name)
  history.replaceState(history.state, '', `${address.pathname}${address.search}`)
}
