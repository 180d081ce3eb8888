import { describe, expect, it } from 'vitest'
import { bucketOf, emptyHistogram, fromSparse, mergeInto, quantile, record, toSparse, upperBoundMs, BUCKETS } from '../../src/observe/histogram.js'

describe('latency histograms', () => {
  it('read percentiles within 10 % of the truth', () => {
    const h = emptyHistogram()
    const samples = Array.from({ length: 1000 }, (_, i) => 1 + i) // 1..1000 ms
    for (const s of samples) record(h, s)
    for (const [q, truth] of [[0.5, 500], [0.99, 990], [0.01, 10]] as const) {
      const v = quantile(h, q)!
      expect(Math.abs(v - truth) / truth).toBeLessThan(0.1)
    }
    expect(quantile(emptyHistogram(), 0.5)).toBeUndefined()
  })

  it('merge by adding counts, also through the sparse wire form', () => {
    const a = emptyHistogram()
    const b = emptyHistogram()
    for (let i = 0; i < 100; i++) record(a, 10)
    for (let i = 0; i < 100; i++) record(b, 1000)
    const merged = emptyHistogram()
    mergeInto(merged, fromSparse(toSparse(a)))
    mergeInto(merged, fromSparse(toSparse(b)))
    expect(quantile(merged, 0.25)! / 10).toBeCloseTo(1, 0)
    expect(quantile(merged, 0.75)! / 1000).toBeCloseTo(1, 0)
  })

  it('keep every latency in range and ignore bad wire buckets', () => {
    expect(bucketOf(0)).toBe(0)
    expect(bucketOf(-5)).toBe(0)
    expect(bucketOf(Number.NaN)).toBe(0)
    expect(bucketOf(1e12)).toBe(BUCKETS - 1)
    expect(upperBoundMs(bucketOf(123))).toBeGreaterThanOrEqual(123)
    const h = fromSparse([[-1, 5], [BUCKETS, 5], [3, Number.NaN], [2.5, 1], [4, 2]])
    expect(h.reduce((s, c) => s + c, 0)).toBe(2)
  })
})
