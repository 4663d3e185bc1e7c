import { UserManager } from 'oidc-client-ts'

const manager = new UserManager({ authority: 'https://auth.example.com', client_id: 'spa', redirect_uri: location.origin, scope: 'openid' })
if (location.search.includes('code=')) {
  await manager.signinRedirectCallback()
  const user = await manager.signinSilent() // refresh (uses the refresh token when there is one)
  console.log(await (await fetch('https://api.example.com/me', { headers: { authorization: `Bearer ${user.access_token}` } })).json())
} else {
  await manager.signinRedirect()
}
