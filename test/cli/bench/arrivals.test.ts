import { describe, expect, it } from 'vitest'
import { expectedCount, poissonSchedule } from '../../../src/cli/bench/arrivals.js'

describe('poissonSchedule', () => {
  it('has rate x duration arrivals within 4 sd, for many seeds', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const n = poissonSchedule({ rates: [40], durationMs: 2000, seed, payloads: 1 }).length
      const { mean, sd } = expectedCount([40], 2000)
      expect(Math.abs(n - mean)).toBeLessThanOrEqual(4 * sd)
    }
    // Over many arrivals the mean gap is 1/rate to within a few percent.
    const long = poissonSchedule({ rates: [1000], durationMs: 60_000, seed: 9, payloads: 1 })
    expect(long.length / 60).toBeGreaterThan(970)
    expect(long.length / 60).toBeLessThan(1030)
  })

  it('is exponential: the gaps have a coefficient of variation near 1', () => {
    const list = poissonSchedule({ rates: [200], durationMs: 50_000, seed: 4, payloads: 1 })
    const gaps = list.slice(1).map((a, i) => a.atMs - list[i]!.atMs)
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length)
    expect(mean).toBeCloseTo(5, 0)
    expect(sd / mean).toBeGreaterThan(0.95)
    expect(sd / mean).toBeLessThan(1.05)
  })

  it('gives the same schedule for the same seed, and another for another seed', () => {
    const init = { rates: [30, 10], durationMs: 3000, seed: 42, payloads: 3 }
    expect(poissonSchedule(init)).toEqual(poissonSchedule({ ...init }))
    expect(poissonSchedule({ ...init, seed: 43 })).not.toEqual(poissonSchedule(init))
  })

  it('merges the targets in time order, each within the duration and at its own rate', () => {
    const list = poissonSchedule({ rates: [100, 10, 1], durationMs: 10_000, seed: 1, payloads: 1 })
    expect(list.every((a, i) => i === 0 || a.atMs >= list[i - 1]!.atMs)).toBe(true)
    expect(list.every(a => a.atMs >= 0 && a.atMs < 10_000)).toBe(true)
    const per = [0, 1, 2].map(t => list.filter(a => a.target === t).length)
    ;[1000, 100, 10].forEach((mean, t) => { expect(Math.abs(per[t]! - mean)).toBeLessThanOrEqual(4 * Math.sqrt(mean)) })
  })

  it("keeps a target's arrivals when another target is added or its rate changes", () => {
    const one = poissonSchedule({ rates: [20], durationMs: 2000, seed: 5, payloads: 1 })
    const two = poissonSchedule({ rates: [20, 50], durationMs: 2000, seed: 5, payloads: 1 })
    expect(two.filter(a => a.target === 0).map(a => a.atMs)).toEqual(one.map(a => a.atMs))
  })

  it('chooses payloads with the seed, every one of them, roughly evenly', () => {
    const list = poissonSchedule({ rates: [500], durationMs: 4000, seed: 8, payloads: 4 })
    const counts = [0, 1, 2, 3].map(p => list.filter(a => a.payload === p).length)
    for (const c of counts) expect(c).toBeGreaterThan(list.length / 4 * 0.85)
    expect(poissonSchedule({ rates: [500], durationMs: 4000, seed: 8, payloads: 1 }).every(a => a.payload === 0)).toBe(true)
  })
})
