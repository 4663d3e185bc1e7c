import { readFile } from 'node:fs/promises'
import { ConfigError } from '../errors.js'

/**
 * A token your platform writes to a file and rotates there (a Kubernetes projected service
 * account token, a cloud's workload identity token): a function that reads it afresh each time
 * it is called, so each token request sends the current one. For `workloadToken` of
 * `createMcpAuth`, or any `TokenSource` (`jwtBearerGrant`'s assertion, `tokenExchangeGrant`'s
 * subject token).
 *
 * @example
 * const mcp = createMcpAuth({ serverUrl: 'https://mcp.example.com/mcp', client: { clientId: 'agent-7' }, workloadToken: tokenFile('/var/run/secrets/tokens/mcp') })
 */
export function tokenFile(path: string): () => Promise<string> {
  if (typeof path !== 'string' || !path) throw new ConfigError('invalid_config', 'tokenFile needs the path of the token file')
  return async () => {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      throw new ConfigError('invalid_config', `the token file ${path} cannot be read (${(err as { code?: string }).code ?? 'error'})`)
    }
    const token = text.trim()
    // A token is one line of visible ASCII (RFC 7523: a JWT); anything else is not what the platform writes.
    if (!/^[\x21-\x7e]+$/.test(token))
      throw new ConfigError('invalid_config', `the token file ${path} does not hold one token (empty, or more than one line)`)
    return token
  }
}
