import type { BuildResult } from 'esbuild'

/** What a bundle loads up front (see initial.mjs). */
export function initialChunks(result: BuildResult, cwd?: string): { bytes: Buffer; inputs: string[] }
