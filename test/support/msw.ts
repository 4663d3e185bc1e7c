import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { carriedBy, leaksIn } from './secrets.js'

/** The requests the strict msw server of this test file saw in the current test: `failure()` scans each error for what they carried. */
let seen: Request[] = []

/**
 * A strict msw server: an unhandled request fails the test even when the code under test
 * swallows the resulting network error, and every request is recorded so a test can assert
 * that an expected request came (and how many times).
 */
export function useStrictMsw() {
  const server = setupServer()
  const unhandled: string[] = []
  const requests: Request[] = []
  seen = requests
  server.events.on('request:start', ({ request }) => {
    requests.push(request.clone())
  })
  beforeAll(() =>
    server.listen({
      onUnhandledRequest(request) {
        unhandled.push(`${request.method} ${request.url}`)
        throw new Error(`unhandled request: ${request.method} ${request.url}`)
      },
    }),
  )
  afterEach(() => {
    server.resetHandlers()
    const leaked = unhandled.splice(0)
    requests.splice(0)
    expect(leaked, 'requests with no handler').toEqual([])
  })
  afterAll(() => server.close())
  return {
    server,
    /** Requests seen so far in this test (clones: bodies readable). */
    requests,
    count: (pathname: string, method?: string) =>
      requests.filter((r) => new URL(r.url).pathname === pathname && (!method || r.method === method)).length,
  }
}

/** Reads a form body. */
export async function form(request: Request): Promise<URLSearchParams> {
  return new URLSearchParams(await request.text())
}

/** A fake clock: time moves only when told; sleeping advances it. */
export function fakeClock(start = Date.UTC(2026, 0, 1)) {
  let now = start
  const sleeps: number[] = []
  return {
    now: () => now,
    advance(ms: number) {
      now += ms
    },
    sleeps,
    async sleep(ms: number, signal?: AbortSignal) {
      if (signal?.aborted) throw signal.reason
      sleeps.push(ms)
      now += ms
      await Promise.resolve()
      if (signal?.aborted) throw signal.reason
    },
  }
}

/**
 * Awaits a rejection and checks that it is an oauthkit error carrying none of the secrets the
 * test's requests carried (in any rendering, in any encoding: support/secrets.ts); fails the
 * test otherwise.
 */
export async function failure(promise: Promise<unknown>): Promise<import('../../src/index.js').OAuthKitError> {
  const { isOAuthKitError } = await import('../../src/index.js')
  const err = await promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: unknown) => e,
  )
  expect(isOAuthKitError(err), String(err)).toBe(true)
  const secrets = (await Promise.all(seen.map(carriedBy))).flat()
  expect(leaksIn(err, secrets), `secrets in ${String(err)}`).toEqual([])
  return err as import('../../src/index.js').OAuthKitError
}

/**
 * An `onWarning` for clients under test that records each warning's code; after each test,
 * the codes must be those the test expected (none unless it said otherwise with `expect`).
 */
export function useWarnings() {
  const seen: string[] = []
  let expected: string[] = []
  afterEach(() => {
    const codes = seen.splice(0)
    const wanted = expected
    expected = []
    expect(codes, 'onWarning codes').toEqual(wanted)
  })
  return {
    onWarning: (warning: { code: string }) => void seen.push(warning.code),
    /** Declares the warning codes this test expects, in order. */
    expect: (...codes: string[]) => void (expected = codes),
  }
}
