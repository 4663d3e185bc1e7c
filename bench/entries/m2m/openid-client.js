import * as client from 'openid-client'

const config = await client.discovery(new URL('https://auth.example.com'), 'svc', process.env.SECRET)
const tokens = await client.clientCredentialsGrant(config, { scope: 'read' })
const res = await client.fetchProtectedResource(config, tokens.access_token, new URL('https://api.example.com/things'), 'GET')
console.log(await res.json())
