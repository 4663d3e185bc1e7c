/**
 * The committed benchmark results (`npm run bench` writes bench/results.json): the keys the
 * benchmark issue asks for are there, and docs/performance.md's tables are the last run's.
 * The bench itself is not run here (it takes minutes and measures time); this guards what it left.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
const results = JSON.parse(readFileSync(resolve(root, 'bench/results.json'), 'utf8'))
const readme = readFileSync(resolve(root, 'docs', 'performance.md'), 'utf8')
const summary = readFileSync(resolve(root, 'README.md'), 'utf8')
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

const SPA = ['oauthkit', 'openid-client', 'oauth4webapi', '@badgateway/oauth2-client', 'oidc-client-ts', '@auth0/auth0-spa-js']
const M2M = ['oauthkit', 'openid-client', 'oauth4webapi', '@badgateway/oauth2-client', 'simple-oauth2']
const COLD = ['oauthkit', 'openid-client', 'oauth4webapi', '@badgateway/oauth2-client', 'simple-oauth2']
const CASES = ['expired', '401', '401-jitter', 'm2m-cold']
const COALESCING = ['oauthkit', '@badgateway/oauth2-client', 'openid-client', 'simple-oauth2']

describe('bench/results.json', () => {
  it('has every key the benchmark issue names', () => {
    for (const name of SPA) expect(results.bundle.spa[name]?.gzipBytes, `bundle.spa.${name}`).toBeGreaterThan(0)
    for (const name of M2M) expect(results.bundle.m2m[name]?.gzipBytes, `bundle.m2m.${name}`).toBeGreaterThan(0)
    for (const name of COLD) {
      expect(results.coldImport[name]?.overBaselineMs, `coldImport.${name}`).toEqual(expect.any(Number))
      expect(results.coldImport[name].runs).toBeGreaterThanOrEqual(15)
    }
    for (const key of ['c50.fetch', 'c50.ky', 'sequential.fetch']) {
      const [mode, name] = key.split('.') as [string, string]
      expect(results.overhead[mode][name]?.ratio, `overhead.${key}.ratio`).toBeGreaterThan(0)
    }
    for (const c of CASES)
      for (const name of COALESCING)
        expect(results.coalescing[c]?.[name]?.tokenCalls, `coalescing.${c}.${name}`).toEqual(expect.any(Number))
    for (const name of COALESCING) {
      expect(results.soak[name]?.failedCalls, `soak.${name}.failedCalls`).toEqual(expect.any(Number))
      expect(results.soak[name]?.tokenCalls, `soak.${name}.tokenCalls`).toBeGreaterThan(0)
    }
  })

  it('has the fleet section: token requests per renewal period for 1, 2, 4 and 8 processes, per store', () => {
    for (const kind of ['oauthkit memory', 'oauthkit file', 'oauthkit redis', '@badgateway/oauth2-client file']) {
      for (const n of [1, 2, 4, 8]) expect(results.fleet[kind]?.[n]?.perExpiry, `fleet.${kind}.${n}`).toEqual(expect.any(Number))
    }
    // A shared store coordinates: 8 processes renew about as often as one.
    for (const kind of ['oauthkit file', 'oauthkit redis']) expect(results.fleet[kind][8].perExpiry).toBeLessThan(2)
  })

  it('shows oauthkit with no failed API call in the fault soak', () => {
    expect(results.soak.oauthkit.failedCalls).toBe(0)
    expect(results.soak.oauthkit.calls).toBeGreaterThan(1000)
  })

  it('shows oauthkit with exactly 1 token call in every coalescing case', () => {
    for (const c of CASES) expect(results.coalescing[c].oauthkit.tokenCalls, c).toBe(1)
  })

  it("is the run the README's three lines of Performance sum up", () => {
    const gzip = (kind: 'spa' | 'm2m', name: string) => kib(results.bundle[kind][name].gzipBytes).replace(' KiB', '')
    expect(summary).toContain(
      `SPA ${gzip('spa', 'oauthkit')} KiB gzip with the plain functions, ${gzip('spa', 'oauthkit (createBrowserClient)')} KiB with \`createBrowserClient\` (oidc-client-ts ${gzip('spa', 'oidc-client-ts')}), M2M ${gzip('m2m', 'oauthkit')} KiB (openid-client ${gzip('m2m', 'openid-client')})`,
    )
    expect(summary).toContain(`loses ${results.soak.oauthkit.failedCalls} of ${results.soak.oauthkit.calls.toLocaleString('en')} calls`)
    for (const c of CASES) expect(results.coalescing[c].oauthkit.tokenCalls, c).toBe(1)
  })

  it('is the run docs/performance.md shows', () => {
    for (const [kind, names] of [
      ['spa', SPA],
      ['m2m', M2M],
    ] as const) {
      for (const name of names) {
        const r = results.bundle[kind][name]
        expect(readme, `${kind} ${name}`).toContain(
          `| ${kind} | ${name} | ${kib(r.minBytes)} | ${kib(r.gzipBytes)} | ${kib(r.brotliBytes)} |`,
        )
      }
    }
    expect(readme).toContain(
      `## Cold import (median of ${results.coldImport.oauthkit.runs}, over \`node -e 0\` = ${results.coldImport.baselineMs} ms)`,
    )
    for (const name of COLD) expect(readme).toContain(`| ${name} | ${results.coldImport[name].overBaselineMs} ms |`)
    expect(readme).toContain(
      `| oauthkit session.fetch | ${results.overhead.sequential.fetch.ratio}× | ${results.overhead.c50.fetch.ratio}× |`,
    )
    const columns = ['401', 'expired', '401-jitter', 'm2m-cold'] // the bench prints its cases in this order
    expect(readme).toContain(`| library | ${columns.join(' | ')} |`)
    for (const name of COALESCING)
      expect(readme).toContain(`| ${name} | ${columns.map((c) => results.coalescing[c][name].tokenCalls).join(' | ')} |`)
    for (const name of COALESCING) {
      const r = results.soak[name]
      expect(readme, `soak ${name}`).toContain(`| ${name} | ${r.calls} | ${r.failedCalls} | ${r.tokenCalls} |`)
    }
    for (const [kind, r] of Object.entries(results.fleet as Record<string, Record<number, { perExpiry: number; failedCalls: number }>>)) {
      expect(readme, `fleet ${kind}`).toContain(
        `| ${kind} | ${[1, 2, 4, 8].map((n) => r[n]!.perExpiry).join(' | ')} | ${r[8]!.failedCalls} |`,
      )
    }
  })
})
