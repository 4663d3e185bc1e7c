import { ClientCredentials } from 'simple-oauth2'

const client = new ClientCredentials({ client: { id: 'svc', secret: process.env.SECRET }, auth: { tokenHost: 'https://auth.example.com' } })
const token = await client.getToken({ scope: 'read' })
console.log(
  await (await fetch('https://api.example.com/things', { headers: { authorization: `Bearer ${token.token.access_token}` } })).json(),
)
