import * as o from 'oauth4webapi'

const issuer = new URL('https://auth.example.com')
const as = await o.processDiscoveryResponse(issuer, await o.discoveryRequest(issuer, { algorithm: 'oauth2' }))
const client = { client_id: 'svc' }
const auth = o.ClientSecretBasic(process.env.SECRET)
const tokens = await o.processClientCredentialsResponse(
  as,
  client,
  await o.clientCredentialsGrantRequest(as, client, auth, { scope: 'read' }),
)
const res = await o.protectedResourceRequest(tokens.access_token, 'GET', new URL('https://api.example.com/things'))
console.log(await res.json())
