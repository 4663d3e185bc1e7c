// What `oauthkit --help` and `oauthkit <command> --help` print.
import { ENDPOINT_NAMES, PRESET_NAMES } from './config.js'

export const HELP = `oauthkit — OAuth 2.0 / OpenID Connect from the command line

Usage: oauthkit <command> [arguments] [options]

Commands:
  discover <url>        the authorization server's metadata, from an issuer or a protected resource (RFC 8414, OIDC, RFC 9728)
  token                 gets a token: --grant client_credentials | password | refresh | device | code
  call <url>            calls an API with the profile's token, renewed as needed
  inspect -             decodes a JWT read from standard input (no signature check)
  revoke [-]            revokes a token (default: the cached refresh token, then clears the cache; - reads one from stdin)
  introspect [-]        asks the server about a token (default: the cached access token; - reads one from stdin)
  register              registers a client (RFC 7591): --redirect-uri, --name, --auth-method, --grant-types

Where the client comes from (flags win over the profile):
  -p, --profile NAME          a profile of the config file ($OAUTHKIT_PROFILE; default "default")
      --config PATH           the config file ($OAUTHKIT_CONFIG; default ~/.config/oauthkit/config.json)
      --issuer URL            the authorization server
      --client-id ID
      --client-secret-env VAR the environment variable with the secret (default OAUTHKIT_CLIENT_SECRET)
      --client-secret-file F  a file with the secret (never pass a secret itself: shell history keeps it)
      --preset NAME[:k=v,…]   a vendor preset: ${PRESET_NAMES.join(', ')}
      --scope S, --resource URL, --audience A
      --endpoint NAME=URL     an endpoint by hand (repeat; names: ${ENDPOINT_NAMES.join(', ')}); with token, no discovery
      --dialect FILE          a dialect's JSON (docs/dialects.md): a server's quirks, checked field by field
      --allow-insecure-http   plain http: to hosts other than loopback — only on a network you trust

Options:
  -g, --grant G          token/call: the grant (default client_credentials with a secret, else code — at a terminal only)
      --api-url URL      call: an API base URL the token may go to (besides the profile's resource and apiUrls)
      --username U       the password grant's user; its password from $OAUTHKIT_PASSWORD or --password-file
      --no-browser       code: print the URL, do not open a browser ($BROWSER chooses the browser)
      --no-cache         token: do not cache the tokens
  -X, --method M, -d, --data BODY|@file, -H, --header "Name: value"   call: the request
      --token-type-hint access_token|refresh_token
      --json             the result as JSON on stdout (messages stay on stderr)
  -h, --help             this help; oauthkit <command> --help for one command

Tokens are cached per profile and owner (issuer, client, scope, resource, audience) in
~/.cache/oauthkit/<profile>.<owner>.tokens.json (mode 0600; $OAUTHKIT_CACHE_DIR moves it).
Tokens and secrets never go on the command line: secrets from the environment or a file,
tokens from standard input (-).

Exit codes: 0 done · 1 unexpected failure · 2 usage · 3 fix the configuration (a host name that
does not resolve too) · 4 sign in again · 5 try again later · 6 more scope needed · 7 the API
answered with an error status · 130 cancelled

Config file:
  { "profiles": { "default": { "issuer": "https://auth.example.com", "clientId": "cli",
      "clientSecretEnv": "EXAMPLE_SECRET", "scope": "read" } } }
  Profile fields: issuer, clientId, clientSecretEnv, clientSecretFile, scope, resource, audience,
  apiUrls, preset, presetOptions, grant, username, allowInsecureHttp, endpoints ({ "token": URL, … }),
  dialect (a JSON file's path, relative to the config file, or the spec itself)
`

const COMMAND_HELP: Record<string, string> = {
  discover:
    'oauthkit discover <issuer or resource URL> [--json]\n  Tries the URL as an issuer (RFC 8414, then OpenID Connect); failing that, as a protected resource (its 401, then RFC 9728 well-known URLs).\n',
  token:
    'oauthkit token [--grant client_credentials|password|refresh|device|code] [--scope S] [--resource URL] [--audience A] [--json] [--no-cache] [--no-browser]\n  Prints the access token on stdout (all of the token set with --json) and caches it for the profile.\n  device: prints the URL, the code and a QR code; code: a loopback redirect on 127.0.0.1 and the browser.\n',
  call: 'oauthkit call <url> [-X METHOD] [-d BODY|@file] [-H "Name: value"]… [--api-url URL]… [--json]\n  Sends the request with the profile\'s cached token (client_credentials profiles get one), renewed as needed.\n  The URL must be under the profile\'s resource or apiUrls, or an --api-url: the token goes there only (anything else is refused, exit 3).\n  Exit code 7 when the API answers with an error status.\n',
  inspect: 'oauthkit inspect - [--json]\n  Decodes the header and payload of the JWT on standard input; the signature is not checked.\n',
  revoke:
    'oauthkit revoke [-] [--token-type-hint …]\n  Without -: revokes the cached refresh token (else the access token) and clears the cache. With -: the token on standard input.\n',
  introspect:
    'oauthkit introspect [-] [--json]\n  Without -: the cached access token; with -: the token on standard input. Exit code 4 when the server says it is not active.\n',
  register:
    "oauthkit register --issuer URL [--redirect-uri URI]… [--name NAME] [--auth-method none|client_secret_basic|…] [--grant-types a,b] [--json]\n  Dynamic client registration (RFC 7591) at the server's registration endpoint.\n",
}

export function helpOf(command: string): string | undefined {
  return COMMAND_HELP[command]
}
