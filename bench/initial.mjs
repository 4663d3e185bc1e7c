// What a bundle loads before any of its code runs: the entry's chunk and every chunk it imports
// statically. Code behind a dynamic import() (pushed authorization requests, say) sits in chunks
// loaded only when used, as every bundler splits it. Used by `npm run bench` and test/size.test.ts.
import { resolve } from 'node:path'

/**
 * The initial bytes of an esbuild result built with `splitting: true`, `metafile: true` and
 * `write: false`, and the source files they hold. `cwd` is the build's absWorkingDir.
 */
export function initialChunks(result, cwd = process.cwd()) {
  const outputs = result.metafile.outputs
  // esbuild names an entryPoint for each chunk of a dynamic import() too: the build's entry is the one nothing imports.
  const imported = new Set(Object.values(outputs).flatMap((output) => output.imports.map((i) => i.path)))
  const entry = Object.keys(outputs).find((key) => outputs[key].entryPoint && !imported.has(key))
  const seen = new Set()
  for (const stack = [entry]; stack.length;) {
    const key = stack.pop()
    if (seen.has(key)) continue
    seen.add(key)
    for (const imported of outputs[key].imports) if (imported.kind === 'import-statement' && !imported.external) stack.push(imported.path)
  }
  const files = new Map(result.outputFiles.map((file) => [file.path, file.contents]))
  const chunks = [...seen].map((key) => files.get(resolve(cwd, key)))
  const bytes = Buffer.concat(chunks)
  const inputs = [...seen].flatMap((key) => Object.keys(outputs[key].inputs))
  return { bytes, inputs }
}
