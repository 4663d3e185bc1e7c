// Machine to machine: a client_credentials session with the authorized fetch (oauthkit/m2m).
import { createClientCredentialsSession } from 'oauthkit/m2m'

const session = await createClientCredentialsSession({
  issuer: 'https://auth.example.com',
  clientId: 'svc',
  clientSecret: process.env.SECRET,
  scope: 'read',
  apiUrls: ['https://api.example.com'],
})
console.log(await (await session.fetch('https://api.example.com/things')).json())
