/**
 * A service between a user and a downstream API: it trades the user's access token it was
 * called with for one meant for the downstream API (RFC 8693 token exchange), in a session that
 * exchanges again whenever the downstream token nears expiry. Then the same with a JWT bearer
 * assertion (RFC 7523) instead of a user's token.
 *
 *   npm run example token-exchange    # offline, against the local authorization server and API
 *   OAUTH_ISSUER=… OAUTH_CLIENT_ID=… OAUTH_CLIENT_SECRET=… API_URL=… SUBJECT_TOKEN=… ASSERTION=… \
 *   npx tsx --tsconfig examples/tsconfig.json examples/token-exchange.ts
 */
import { createOAuthClient, TOKEN_TYPES } from 'oauthkit'

const { OAUTH_ISSUER = '', OAUTH_CLIENT_ID = '', OAUTH_CLIENT_SECRET = '', API_URL = '', SUBJECT_TOKEN = '', ASSERTION = '' } = process.env
const client = await createOAuthClient({ issuer: OAUTH_ISSUER, clientId: OAUTH_CLIENT_ID, clientSecret: OAUTH_CLIENT_SECRET })

// The user's token, as the request to this service carried it (a function: the current one).
const incomingToken = () => SUBJECT_TOKEN
const downstream = client.session({
  grant: 'token_exchange',
  exchange: { subjectToken: incomingToken, requestedTokenType: TOKEN_TYPES.accessToken },
  scope: 'openid',
  apiUrls: [API_URL],
})
const me = (await (await downstream.fetch(`${API_URL}/me`)).json()) as { sub: string; scope: string }
console.log(`token exchange: called the API as ${me.sub} with scope ${me.scope}`)

// A service account's signed assertion (made by your identity provider's SDK, or your own signer).
const federated = client.session({ grant: 'jwt_bearer', assertion: () => ASSERTION, scope: 'openid', apiUrls: [API_URL] })
const who = (await (await federated.fetch(`${API_URL}/me`)).json()) as { sub: string }
console.log(`JWT bearer: called the API as ${who.sub}`)
