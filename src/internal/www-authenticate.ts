/** One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1). Parameter names lower-cased. */
export interface Challenge {
  scheme: string
  params: Record<string, string>
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*(?=\s*(,|$))/

/**
 * Parses a `WWW-Authenticate` header into its challenges. Lenient where servers are sloppy
 * (extra commas and spaces), never throws: what cannot be parsed ends the list.
 */
export function parseWwwAuthenticate(header: string | null | undefined): Challenge[] {
  const out: Challenge[] = []
  let rest = (header ?? '').trim()
  let current: Challenge | undefined
  while (rest.length) {
    rest = rest.replace(/^[\s,]+/, '')
    if (!rest.length) break
    const name = TOKEN.exec(rest)?.[0]
    if (!name) break
    const after = rest.slice(name.length)
    const param = /^\s*=\s*/.exec(after)
    if (param && current) {
      let value: string
      let tail = after.slice(param[0].length)
      if (tail.startsWith('"')) {
        let i = 1
        value = ''
        while (i < tail.length && tail[i] !== '"') {
          if (tail[i] === '\\' && i + 1 < tail.length) i++
          value += tail[i]
          i++
        }
        tail = tail.slice(i + 1)
      } else {
        value = TOKEN.exec(tail)?.[0] ?? ''
        tail = tail.slice(value.length)
      }
      current.params[name.toLowerCase()] = value
      rest = tail
      continue
    }
    // a new challenge: scheme, optionally followed by a token68
    current = { scheme: name, params: {} }
    out.push(current)
    rest = after.replace(/^\s+/, '')
    const t68 = TOKEN68.exec(rest)
    if (t68 && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\s*=(?!=)/.test(rest)) {
      current.params['token68'] = t68[0]
      rest = rest.slice(t68[0].length)
    }
  }
  return out
}

/** The first Bearer challenge, or undefined. */
export function bearerChallenge(header: string | null | undefined): Challenge | undefined {
  return parseWwwAuthenticate(header).find((c) => c.scheme.toLowerCase() === 'bearer')
}
