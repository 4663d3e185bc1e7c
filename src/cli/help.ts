// What `oauthkit --help` and `oauthkit <command> --help` print.
import { PRESET_NAMES } from './config.js'

export const HELP = `oauthkit — OAuth 2.0 / OpenID Connect from the command line

Usage: oauthkit <command> [arguments] [options]

Commands:
  discover <url>        the authorization server's metadata, from an issuer or a protected resource (RFC 8414, OIDC, RFC 9728)
  token                 gets a token: --grant client_credentials | password | refresh | device | code
  call <url>            calls an API with the profile's token, renewed as needed
  inspect <jwt|->       decodes a JWT (no signature check)
  revoke [token|-]      revokes a token (default: the cached refresh token, then clears the cache)
  introspect [token|-]  asks the server about a token (default: the cached access token)
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

Options:
  -g, --grant G          token/call: the grant (default client_credentials with a secret, else code)
      --username U       the password grant's user; its password from $OAUTHKIT_PASSWORD or --password-file
      --no-browser       code: print the URL, do not open a browser ($BROWSER chooses the browser)
      --no-cache         token: do not cache the tokens
  -X, --method M, -d, --data BODY|@file, -H, --header "Name: value"   call: the request
      --token-type-hint access_token|refresh_token
      --json             the result as JSON on stdout (messages stay on stderr)
  -h, --help             this help; oauthkit <command> --help for one command

Tokens are cached per profile in ~/.cache/oauthkit/<profile>.tokens.json (mode 0600;
$OAUTHKIT_CACHE_DIR moves it).

Exit codes: 0 done · 1 unexpected failure · 2 usage · 3 fix the configuration · 4 sign in again ·
5 try again later · 6 more scope needed · 7 the API answered with an error status · 130 cancelled

Config file:
  { "profiles": { "default": { "issuer": "https://auth.example.com", "clientId": "cli",
      "clientSecretEnv": "EXAMPLE_SECRET", "scope": "read" } } }
`

const COMMAND_HELP: Record<string, string> = {
  discover: 'oauthkit discover <issuer or resource URL> [--json]\n  Tries the URL as an issuer (RFC 8414, then OpenID Connect); failing that, as a protected resource (its 401, then RFC 9728 well-known URLs).\n',
  token: 'oauthkit token [--grant client_credentials|password|refresh|device|code] [--scope S] [--resource URL] [--audience A] [--json] [--no-cache] [--no-browser]\n  Prints the access token on stdout (all of the token set with --json) and caches it for the profile.\n  device: prints the URL, the code and a QR code; code: a loopback redirect on 127.0.0.1 and the browser.\n',
  call: 'oauthkit call <url> [-X METHOD] [-d BODY|@file] [-H "Name: value"]… [--json]\n  Sends the request with the profile\'s cached token (client_credentials profiles get one), renewed as needed; the token goes to that origin only.\n  Exit code 7 when the API answers with an error status.\n',
  inspect: 'oauthkit inspect <jwt|-> [--json]\n  Decodes the header and payload; the signature is not checked.\n',
  revoke: 'oauthkit revoke [token|-] [--token-type-hint …]\n  Without a token: revokes the cached refresh token (else the access token) and clears the cache.\n',
  introspect: 'oauthkit introspect [token|-] [--json]\n  Without a token: the cached access token. Exit code 4 when the server says it is not active.\n',
  register: 'oauthkit register --issuer URL [--redirect-uri URI]… [--name NAME] [--auth-method none|client_secret_basic|…] [--grant-types a,b] [--json]\n  Dynamic client registration (RFC 7591) at the server\'s registration endpoint.\n',
}

export function helpOf(command: string): string | undefined {
  return COMMAND_HELP[command]
}
