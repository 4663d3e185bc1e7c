/**
 * Looking for secrets in errors, in every rendering and every encoding: the leak scan of
 * test/leaks.test.ts, and of every error a test awaits with `failure()` (support/msw.ts),
 * against what the requests of that test carried.
 */
import { inspect } from 'node:util'

/** The renderings of an error a log or a report may show, the cause chain included. */
export function renderings(err: unknown): string[] {
  return [String((err as Error)?.message), String(err), JSON.stringify(err) ?? '', inspect(err, { depth: Infinity })]
}

/** A secret as a server may echo it: raw, percent-encoded (either case), form-encoded, base64, base64url. */
export function encodings(secret: string): string[] {
  const base64 = Buffer.from(secret).toString('base64').replace(/=+$/, '')
  const percent = encodeURIComponent(secret)
  return [
    ...new Set([
      secret,
      percent,
      percent.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
      new URLSearchParams({ s: secret }).toString().slice(2),
      base64,
      Buffer.from(secret).toString('base64url'),
    ]),
  ]
}

/** Which of `secrets` (8 characters or more), in any encoding, any rendering of `err` holds. */
export function leaksIn(err: unknown, secrets: string[]): string[] {
  const texts = renderings(err)
  return [...new Set(secrets)]
    .filter((s) => s.length >= 8)
    .flatMap((secret) =>
      encodings(secret)
        .filter((variant) => texts.some((text) => text.includes(variant)))
        .map((variant) => `${secret} (as ${variant})`),
    )
}

/** Parameters whose values are secrets (RFC 6749, 7009, 7523, 7636, 7662, 8628, 8693). */
const SECRET_PARAMETERS = [
  'client_secret',
  'refresh_token',
  'code',
  'code_verifier',
  'password',
  'assertion',
  'client_assertion',
  'subject_token',
  'actor_token',
  'device_code',
  'token',
  'access_token',
]

/** The secrets a request carried: its credentials (Bearer, DPoP, Basic's secret part) and the secret parameters of its body. */
export async function carriedBy(request: Request): Promise<string[]> {
  const found: string[] = []
  const [scheme = '', value = ''] = (request.headers.get('authorization') ?? '').split(' ')
  if (/^basic$/i.test(scheme)) {
    const secret = Buffer.from(value, 'base64').toString().split(':').slice(1).join(':')
    found.push(
      secret,
      ...(() => {
        try {
          return [decodeURIComponent(secret)]
        } catch {
          return []
        }
      })(),
    )
  } else if (value) found.push(value)
  const text = await request
    .clone()
    .text()
    .catch(() => '')
  let body: Record<string, unknown> = {}
  try {
    body = text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : Object.fromEntries(new URLSearchParams(text))
  } catch {
    // neither JSON nor a form
  }
  for (const name of SECRET_PARAMETERS) if (typeof body[name] === 'string') found.push(body[name] as string)
  return found
}
