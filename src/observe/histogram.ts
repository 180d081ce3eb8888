/**
 * Latency histograms with fixed logarithmic buckets, so those of different nodes and seconds merge
 * by adding counts: bucket i holds latencies in (0.1 ms × 1.2^(i-1), 0.1 ms × 1.2^i] (i < 90, up to
 * about 19 minutes). A percentile read from one is its bucket's geometric middle: within 10 % of
 * the truth, plenty for a dashboard (the bench command keeps exact latencies).
 */
export const BUCKETS = 90
const BASE_MS = 0.1
const FACTOR = 1.2

export type Histogram = number[]

export const emptyHistogram = (): Histogram => new Array<number>(BUCKETS).fill(0)

export function bucketOf (ms: number): number {
  if (!(ms > BASE_MS)) return 0
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / BASE_MS) / Math.log(FACTOR)))
}

export const upperBoundMs = (bucket: number): number => BASE_MS * FACTOR ** bucket
const middleMs = (bucket: number): number => bucket === 0 ? BASE_MS : BASE_MS * FACTOR ** (bucket - 0.5)

export function record (h: Histogram, ms: number): void {
  h[bucketOf(ms)]!++
}

export function mergeInto (into: Histogram, from: readonly number[]): void {
  for (let i = 0; i < BUCKETS; i++) into[i]! += from[i] ?? 0
}

/** The q-quantile (0..1) in ms, or undefined for an empty histogram. */
export function quantile (h: readonly number[], q: number): number | undefined {
  const total = h.reduce((s, c) => s + c, 0)
  if (total === 0) return undefined
  const rank = Math.max(1, Math.ceil(q * total))
  let seen = 0
  for (let i = 0; i < BUCKETS; i++) {
    seen += h[i] ?? 0
    if (seen >= rank) return middleMs(i)
  }
  return middleMs(BUCKETS - 1)
}

/** Sparse form for the wire: [bucket, count] pairs of the non-empty buckets. */
export const toSparse = (h: readonly number[]): Array<[number, number]> =>
  h.flatMap((c, i) => c > 0 ? [[i, c] as [number, number]] : [])

export function fromSparse (pairs: ReadonlyArray<readonly [number, number]>): Histogram {
  const h = emptyHistogram()
  for (const [i, c] of pairs) if (Number.isInteger(i) && i >= 0 && i < BUCKETS && Number.isFinite(c) && c > 0) h[i]! += c
  return h
}
