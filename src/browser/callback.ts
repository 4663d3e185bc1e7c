/** The authorization response parameters of a callback URL: the query, or else the fragment. */
export function callbackParams(url: URL): URLSearchParams {
  const query = url.searchParams
  return query.has('code') || query.has('error') ? query : new URLSearchParams(url.hash.slice(1))
}
