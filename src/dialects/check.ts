import { ConfigError } from '../errors.js'
import { closest } from '../internal/closest.js'

/** What each field of a dialect may be: a kind, the allowed values, or the fields of a group. */
type Rule =
  'string' | 'url' | 'boolean' | 'positive' | 'record' | 'strings' | 'function' | readonly string[] | { readonly [key: string]: Rule }

/** The data a dialect declares (DialectSpec), as checked at run time: JSON-loaded specs included. */
const SPEC: { readonly [key: string]: Rule } = {
  name: 'string',
  token: {
    placement: ['form', 'json', 'query', 'header'],
    names: 'record',
    headers: 'record',
    credentials: ['basic', 'parameters', 'query'],
    addParameters: 'record',
  },
  expiresIn: { unit: ['seconds', 'milliseconds'], maxLifetimeSeconds: 'positive' },
  defaultTokenType: 'string',
  authorizationRequest: { parameters: ['standard', 'exact'] },
  authorizationResponse: { mode: ['query', 'fragment'], extraFields: 'strings', stateEchoed: 'boolean' },
  errors: 'record',
  revocation: { header: 'string' },
  discovery: { ancestorIssuer: 'url' },
  request: 'function',
  responseBody: 'function',
}

const KINDS: Record<string, [(value: unknown) => boolean, string]> = {
  string: [(v) => typeof v === 'string' && v !== '', 'a non-empty string'],
  url: [(v) => typeof v === 'string' && URL.canParse(v) && !/[?#]/.test(v), 'an absolute URL without a query or fragment'],
  boolean: [(v) => typeof v === 'boolean', 'true or false'],
  positive: [(v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a positive number'],
  record: [(v) => isObject(v) && Object.values(v).every((x) => typeof x === 'string'), 'an object of strings'],
  strings: [(v) => Array.isArray(v) && v.every((x) => typeof x === 'string'), 'an array of strings'],
  function: [(v) => typeof v === 'function', 'a function'],
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * Checks a dialect's data field by field — an unknown key (with the known key it was likely
 * meant to be), a value of the wrong kind, a value not among those allowed — and throws
 * `invalid_config` naming the field (`token.placement`) and what it may be.
 */
export function checkDialectSpec(spec: unknown): void {
  checkGroup(spec, SPEC, '')
}

function checkGroup(value: unknown, rules: { readonly [key: string]: Rule }, path: string): void {
  if (!isObject(value)) throw wrong(path || 'a dialect', 'an object')
  for (const [key, field] of Object.entries(value)) {
    const rule = rules[key]
    const where = path ? `${path}.${key}` : key
    if (rule === undefined) {
      const near = closest(key, Object.keys(rules))
      throw new ConfigError(
        'invalid_config',
        `dialect: ${where} is not a dialect field${near ? ` (did you mean ${path ? `${path}.` : ''}${near}?)` : ''}; the fields${path ? ` of ${path}` : ''} are ${Object.keys(rules).join(', ')}`,
      )
    }
    if (field === undefined) continue
    if (Array.isArray(rule)) {
      if (!rule.includes(field as string)) throw wrong(where, `one of ${rule.map((r) => `'${r}'`).join(', ')}, not ${shown(field)}`)
    } else if (typeof rule === 'string') {
      const [ok, what] = KINDS[rule]!
      if (!ok(field)) throw wrong(where, `${what}, not ${shown(field)}`)
    } else checkGroup(field, rule as { readonly [key: string]: Rule }, where)
  }
}

const wrong = (where: string, what: string) => new ConfigError('invalid_config', `dialect: ${where} must be ${what}`)
const shown = (value: unknown) =>
  typeof value === 'string' ? `'${value.slice(0, 40)}'` : (JSON.stringify(value)?.slice(0, 40) ?? String(value))
