import * as o from 'oauth4webapi'

const issuer = new URL('https://auth.example.com')
const as = await o.processDiscoveryResponse(issuer, await o.discoveryRequest(issuer, { algorithm: 'oauth2' }))
const client = { client_id: 'spa' }
if (location.search.includes('code=')) {
  const { verifier, state, nonce } = JSON.parse(sessionStorage.getItem('pending'))
  const params = o.validateAuthResponse(as, client, new URL(location.href), state)
  let tokens = await o.processAuthorizationCodeResponse(
    as,
    client,
    await o.authorizationCodeGrantRequest(as, client, o.None(), params, location.origin, verifier),
    { expectedNonce: nonce },
  )
  tokens = await o.processRefreshTokenResponse(as, client, await o.refreshTokenGrantRequest(as, client, o.None(), tokens.refresh_token))
  const res = await o.protectedResourceRequest(tokens.access_token, 'GET', new URL('https://api.example.com/me'))
  console.log(await res.json())
} else {
  const verifier = o.generateRandomCodeVerifier()
  const state = o.generateRandomState()
  const nonce = o.generateRandomNonce()
  sessionStorage.setItem('pending', JSON.stringify({ verifier, state, nonce }))
  const url = new URL(as.authorization_endpoint)
  url.search = new URLSearchParams({
    client_id: 'spa',
    redirect_uri: location.origin,
    response_type: 'code',
    scope: 'openid',
    state,
    nonce,
    code_challenge: await o.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString()
  location.assign(url)
}
