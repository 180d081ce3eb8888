/**
 * "did you mean ...?" for names a user typed (labels, spec fields): the closest known name within
 * a small edit distance, so a typo gets a hint and a different word does not get a wrong one.
 */

/**
 * Edit distance with adjacent transpositions counted as one edit (optimal string alignment), the
 * commonest typo ("maen" for "mean"); small strings only (names and keys).
 */
export function editDistance (a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i === 0 ? j : j === 0 ? i : 0))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1)
      d[i]![j] = best
    }
  }
  return d[a.length]![b.length]!
}

/**
 * The known name nearest to `typed` (case-insensitive), if it is within `maxDistance` edits (by
 * default 2, or 1 for names of 4 characters or fewer, where 2 edits make almost any word a match).
 */
export function closest (typed: string, known: readonly string[], maxDistance?: number): string | undefined {
  const t = typed.toLowerCase()
  const limit = maxDistance ?? (t.length <= 4 ? 1 : 2)
  let best: { name: string, d: number } | undefined
  for (const name of known) {
    const d = editDistance(name.toLowerCase(), t)
    if (d <= limit && (best == null || d < best.d)) best = { name, d }
  }
  return best?.name
}

/** `did you mean "x"? ` or '' (with the trailing space, to put before the rest of a message). */
export function didYouMean (typed: string, known: readonly string[]): string {
  const near = closest(typed, known)
  return near != null ? `did you mean "${near}"? ` : ''
}
