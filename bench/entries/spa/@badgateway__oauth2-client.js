import { OAuth2Client, OAuth2Fetch, generateCodeVerifier } from '@badgateway/oauth2-client'

const client = new OAuth2Client({
  server: 'https://auth.example.com',
  clientId: 'spa',
  discoveryEndpoint: '/.well-known/oauth-authorization-server',
})
if (location.search.includes('code=')) {
  const { verifier, state } = JSON.parse(sessionStorage.getItem('pending'))
  const token = await client.authorizationCode.getTokenFromCodeRedirect(location.href, {
    redirectUri: location.origin,
    state,
    codeVerifier: verifier,
  })
  const wrapper = new OAuth2Fetch({ client, getNewToken: () => null, getStoredToken: () => token, storeToken: () => {} })
  await client.refreshToken(token) // refresh
  console.log(await (await wrapper.fetch('https://api.example.com/me')).json())
} else {
  const verifier = await generateCodeVerifier()
  const state = crypto.randomUUID()
  sessionStorage.setItem('pending', JSON.stringify({ verifier, state }))
  location.assign(
    await client.authorizationCode.getAuthorizeUri({ redirectUri: location.origin, state, codeVerifier: verifier, scope: ['openid'] }),
  )
}
