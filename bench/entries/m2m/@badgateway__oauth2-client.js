import { OAuth2Client, OAuth2Fetch } from '@badgateway/oauth2-client'

const client = new OAuth2Client({
  server: 'https://auth.example.com',
  clientId: 'svc',
  clientSecret: process.env.SECRET,
  discoveryEndpoint: '/.well-known/oauth-authorization-server',
})
const wrapper = new OAuth2Fetch({ client, getNewToken: () => client.clientCredentials({ scope: ['read'] }) })
console.log(await (await wrapper.fetch('https://api.example.com/things')).json())
