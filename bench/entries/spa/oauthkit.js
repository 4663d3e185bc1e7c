// What an SPA does: authorization URL with PKCE, callback, refresh, authorized API call.
import {
  buildAuthorizationUrl,
  completeAuthorization,
  createAuthorizedFetch,
  createPublicContext,
  discover,
  refreshGrant,
  TokenManager,
} from 'oauthkit'

const ctx = createPublicContext((await discover('https://auth.example.com')).metadata, 'spa')
if (location.search.includes('code=')) {
  const pending = JSON.parse(sessionStorage.getItem('pending'))
  const tokens = await completeAuthorization(ctx, location.href, pending)
  const manager = new TokenManager({ refresh: (rt) => refreshGrant(ctx, rt) })
  await manager.setTokens(tokens)
  const api = createAuthorizedFetch({ tokens: manager, apiUrls: ['https://api.example.com'] })
  console.log(await (await api('https://api.example.com/me')).json())
} else {
  const pending = await buildAuthorizationUrl(ctx, { redirectUri: location.origin, scope: 'openid' })
  sessionStorage.setItem('pending', JSON.stringify(pending))
  location.assign(pending.url)
}
