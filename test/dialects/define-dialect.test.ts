/**
 * defineDialect checks a dialect's data when it is declared (#27 item 4): from TypeScript,
 * JavaScript or JSON alike, an unknown key, a value of the wrong kind or not among those
 * allowed is `invalid_config`, naming the field and what it may be.
 */
import { describe, expect, it } from 'vitest'
import { defineDialect, type DialectSpec } from '../../src/index.js'

const refused = (spec: unknown) => {
  try {
    defineDialect(spec as DialectSpec)
  } catch (err) {
    return err as { code: string; message: string }
  }
  throw new Error('expected defineDialect to refuse it')
}

describe('defineDialect', () => {
  it('takes every field of a dialect with allowed values (a JSON-loaded one too)', () => {
    const json = JSON.parse(
      JSON.stringify({
        name: 'Acme',
        token: {
          placement: 'json',
          names: { client_id: 'clientId' },
          headers: { 'x-api': '1' },
          credentials: 'parameters',
          addParameters: { a: 'b' },
        },
        expiresIn: { unit: 'milliseconds', maxLifetimeSeconds: 86_400 },
        defaultTokenType: 'Bearer',
        authorizationRequest: { parameters: 'exact' },
        authorizationResponse: { mode: 'fragment', extraFields: ['appCode'], stateEchoed: false },
        errors: { refresh_token_not_found: 'invalid_grant' },
        revocation: { header: 'x-token' },
      }),
    ) as DialectSpec
    expect(defineDialect(json).name).toBe('Acme')
    expect(defineDialect({ name: 'Hooks', request: (_e, r) => r, responseBody: (_e, b) => b }).name).toBe('Hooks')
  })

  const cases: Array<[string, unknown, RegExp]> = [
    ["expiresIn.unit 'ms'", { name: 'A', expiresIn: { unit: 'ms' } }, /expiresIn\.unit must be one of 'seconds', 'milliseconds', not 'ms'/],
    [
      "token.placement 'headers'",
      { name: 'A', token: { placement: 'headers' } },
      /token\.placement must be one of 'form', 'json', 'query', 'header', not 'headers'/,
    ],
    [
      "token.credentials 'body'",
      { name: 'A', token: { credentials: 'body' } },
      /token\.credentials must be one of 'basic', 'parameters', 'query'/,
    ],
    [
      'a misspelt key: extraParams under token',
      { name: 'A', token: { extraParams: { a: 'b' } } },
      /token\.extraParams is not a dialect field; the fields of token are placement, names/,
    ],
    [
      'a misspelt top-level key: expiresin',
      { name: 'A', expiresin: { unit: 'seconds' } },
      /expiresin is not a dialect field \(did you mean expiresIn\?\)/,
    ],
    ['a key one letter off: token.placment', { name: 'A', token: { placment: 'json' } }, /did you mean token\.placement\?/],
    [
      'maxLifetimeSeconds not a positive number',
      { name: 'A', expiresIn: { maxLifetimeSeconds: '3600' } },
      /expiresIn\.maxLifetimeSeconds must be a positive number/,
    ],
    ['names not an object of strings', { name: 'A', token: { names: { client_id: 42 } } }, /token\.names must be an object of strings/],
    [
      'extraFields not an array',
      { name: 'A', authorizationResponse: { extraFields: 'appCode' } },
      /authorizationResponse\.extraFields must be an array of strings/,
    ],
    ['stateEchoed a string', { name: 'A', authorizationResponse: { stateEchoed: 'no' } }, /stateEchoed must be true or false/],
    ['a group that is not an object', { name: 'A', token: 'json' }, /dialect: token must be an object/],
    ['request not a function', { name: 'A', request: 'rewrite' }, /request must be a function/],
  ]
  for (const [name, spec, message] of cases) {
    it(`refuses ${name}: invalid_config naming the field`, () => {
      const err = refused(spec)
      expect(err.code).toBe('invalid_config')
      expect(err.message).toMatch(message)
    })
  }
})
