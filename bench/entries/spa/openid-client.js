import * as client from 'openid-client'

const config = await client.discovery(new URL('https://auth.example.com'), 'spa')
if (location.search.includes('code=')) {
  const { verifier, state, nonce } = JSON.parse(sessionStorage.getItem('pending'))
  let tokens = await client.authorizationCodeGrant(config, new URL(location.href), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  })
  tokens = await client.refreshTokenGrant(config, tokens.refresh_token)
  const res = await client.fetchProtectedResource(config, tokens.access_token, new URL('https://api.example.com/me'), 'GET')
  console.log(await res.json())
} else {
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  sessionStorage.setItem('pending', JSON.stringify({ verifier, state, nonce }))
  location.assign(
    client.buildAuthorizationUrl(config, {
      redirect_uri: location.origin,
      scope: 'openid',
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }),
  )
}
