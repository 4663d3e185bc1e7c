// What an SPA does, with the browser client: sign-in (PKCE), callback, refresh, authorized call, cross-tab.
import { createBrowserClient } from 'oauthkit/browser'
const app = createBrowserClient({
  issuer: 'https://auth.example.com',
  clientId: 'spa',
  redirectUri: location.origin,
  apiUrls: ['https://api.example.com'],
})
if (app.isCallback()) await app.handleRedirectCallback()
else if (!(await app.isAuthenticated())) await app.login()
console.log(await (await app.fetch('https://api.example.com/me')).json())
