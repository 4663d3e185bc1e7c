/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]!
}

/**
 * The known word closest to `word` (letter case aside), when it is close enough to be a slip —
 * a third of its length, at least 1: "did you mean" for the CLI's commands and options and a
 * dialect's fields.
 */
export function closest(word: string, known: string[]): string | undefined {
  let best: [string, number] | undefined
  for (const candidate of known) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase())
    if (!best || d < best[1]) best = [candidate, d]
  }
  return best && best[1] <= Math.max(1, Math.floor(word.length / 3)) ? best[0] : undefined
}
