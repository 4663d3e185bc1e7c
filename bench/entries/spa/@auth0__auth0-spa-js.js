import { createAuth0Client } from '@auth0/auth0-spa-js'

const auth0 = await createAuth0Client({
  domain: 'auth.example.com',
  clientId: 'spa',
  useRefreshTokens: true,
  authorizationParams: { redirect_uri: location.origin },
})
if (location.search.includes('code=')) {
  await auth0.handleRedirectCallback()
  const token = await auth0.getTokenSilently() // refreshes when needed
  console.log(await (await fetch('https://api.example.com/me', { headers: { authorization: `Bearer ${token}` } })).json())
} else {
  await auth0.loginWithRedirect()
}
