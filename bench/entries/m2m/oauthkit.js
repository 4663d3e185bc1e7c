import { createOAuthClient } from 'oauthkit'

const client = await createOAuthClient({ issuer: 'https://auth.example.com', clientId: 'svc', clientSecret: process.env.SECRET })
const session = client.session({ grant: 'client_credentials', scope: 'read', apiUrls: ['https://api.example.com'] })
console.log(await (await session.fetch('https://api.example.com/things')).json())
