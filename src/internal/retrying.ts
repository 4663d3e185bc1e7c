/**
 * `load`, run once and its promise shared by every caller; forgotten when it fails, so that the
 * next call tries again (a chunk of code a deploy replaced, a DPoP key whose discovery was down).
 */
export function retrying<T>(load: () => Promise<T>): () => Promise<T> {
  let held: Promise<T> | undefined
  return () =>
    (held ??= load().catch((err: unknown) => {
      held = undefined
      throw err
    }))
}
