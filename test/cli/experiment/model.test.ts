import { describe, expect, it } from 'vitest'
import { erlangB, mmck, mmckMeanResponse, modelAt, modelCurve, pooledLossOnArrivals } from '../../../src/cli/experiment/model.js'
import { seededRng } from '../../../src/scheduler/seeded.js'
import { parseExperimentSpec } from '../../../src/cli/experiment/spec.js'
import { estimate, sampleSd, tQuantile975 } from '../../../src/cli/experiment/stats.js'
import { offeredRates } from '../../../src/cli/experiment/workload.js'

/** The models and statistics an experiment is read with, against values worked out by hand or from tables. */

describe('Erlang B', () => {
  it('matches known values', () => {
    expect(erlangB(1, 1)).toBeCloseTo(0.5, 12)
    expect(erlangB(2, 1)).toBeCloseTo(0.2, 12)
    // c = 3, a = 3: (27/6) / (1 + 3 + 9/2 + 27/6) = 4.5 / 13
    expect(erlangB(3, 3)).toBeCloseTo(4.5 / 13, 12)
    expect(erlangB(3, 6)).toBeCloseTo(36 / 61, 12)
    // The classic table value B(10, 5) = 0.018385
    expect(erlangB(10, 5)).toBeCloseTo(0.018385, 6)
    expect(erlangB(5, 0)).toBe(0)
  })
})

describe('the pooled loss system on given arrivals', () => {
  /** A Poisson stream: exponential gaps at `rate` calls per ms. */
  const poisson = (rate: number, count: number, seed: number): number[] => {
    const rng = seededRng(seed)
    const out: number[] = []
    let t = 0
    for (let i = 0; i < count; i++) { t += -Math.log(1 - rng()) / rate; out.push(t) }
    return out
  }

  it('on a long Poisson stream is Erlang B', () => {
    // 24 slots, 16.5 Erlangs (82.5 calls/s, 200 ms): B = 1.88 %.
    const arrivals = poisson(0.0825, 400_000, 7)
    const b = pooledLossOnArrivals(arrivals, 24, 200, { rng: seededRng(8), replications: 2 })
    expect(b / erlangB(24, 16.5)).toBeGreaterThan(0.93)
    expect(b / erlangB(24, 16.5)).toBeLessThan(1.07)
  })

  it('follows the arrivals it is given, not the nominal rate', () => {
    // 30 calls at once on 24 idle slots: 6 lost, whatever the service times.
    const burst = Array<number>(30).fill(1000)
    expect(pooledLossOnArrivals(burst, 24, 200, { rng: seededRng(1), replications: 10 })).toBeCloseTo(6 / 30, 12)
    // Arrivals before countFromMs fill slots but are not counted: 24 warm-up calls, then 6 counted, all lost.
    const warm = [...Array<number>(24).fill(0), ...Array<number>(6).fill(1)]
    expect(pooledLossOnArrivals(warm, 24, 1e9, { rng: seededRng(1), countFromMs: 1, replications: 3 })).toBe(1)
    // A stream 4 % above the rate blocks more than Erlang B at the nominal rate.
    const hot = pooledLossOnArrivals(poisson(0.0825 * 1.04, 200_000, 3), 24, 200, { rng: seededRng(4), replications: 2 })
    expect(hot).toBeGreaterThan(erlangB(24, 16.5) * 1.1)
  })
})

describe('M/M/c/K', () => {
  it('is Erlang B without a queue, for any size', () => {
    for (const [c, a] of [[1, 0.5], [3, 2.5], [24, 16.5], [1000, 1200]] as const) {
      expect(mmck(c, c, a).blocking).toBeCloseTo(erlangB(c, a), 10)
    }
  })

  it('matches the closed forms with a queue', () => {
    // M/M/1/K: P_K = (1 - ρ) ρ^K / (1 - ρ^(K+1)); at ρ = 1, 1 / (K + 1)
    expect(mmck(1, 3, 0.5).blocking).toBeCloseTo(0.5 * 0.125 / (1 - 0.0625), 12)
    expect(mmck(1, 4, 1).blocking).toBeCloseTo(1 / 5, 12)
    // M/M/2/4 at a = 2: terms 1, 2, 2, 2, 2
    expect(mmck(2, 4, 2).blocking).toBeCloseTo(2 / 9, 12)
    // Mean in system of M/M/1/3 at ρ = 0.5: (0·8 + 1·4 + 2·2 + 3·1) / 15; response by Little = 11/7 E[S]
    expect(mmck(1, 3, 0.5).meanInSystem).toBeCloseTo(11 / 15, 12)
    expect(mmckMeanResponse(1, 3, 0.5, 100)).toBeCloseTo(1100 / 7, 9)
    // No queue: an accepted call waits for nothing.
    expect(mmckMeanResponse(4, 4, 3, 180)).toBeCloseTo(180, 9)
    expect(() => mmck(3, 2, 1)).toThrow(RangeError)
  })

  it('stays finite at thousands of servers far past saturation', () => {
    const r = mmck(2000, 4000, 10_000)
    expect(r.blocking).toBeGreaterThan(0.7)
    expect(r.blocking).toBeLessThan(1)
    expect(Number.isFinite(r.meanInSystem)).toBe(true)
  })
})

describe('the models of a spec', () => {
  const spec = async (nodes: string) => await parseExperimentSpec(`
nodes: ${nodes}
tasks: [{ name: t, service: exp:100ms }]
rho: [0.5, 1]
policies: [local]
duration: 1s
`, 'm.yml')

  it('gives each node alone Erlang B and the pooled mesh one Erlang B of every slot', async () => {
    const s = await spec('[{ count: 2, slots: 1 }]')
    const m = modelAt(s, offeredRates(s, 0.5), 0.5)
    expect(offeredRates(s, 0.5)).toEqual([5, 5])
    expect(m.localBlocking).toBeCloseTo(erlangB(1, 0.5), 12)
    expect(m.pooledBlocking).toBeCloseTo(erlangB(2, 1), 12)
    expect(m.localMeanMs).toBeCloseTo(100, 9)
    // A curve from near 0 to past the largest ρ, through the measured ones.
    const curve = modelCurve(s)
    expect(curve[0]!.rho).toBeGreaterThan(0)
    expect(curve.at(-1)!.rho).toBeCloseTo(1.1, 9)
    expect(curve.some(p => p.rho === 0.5) && curve.some(p => p.rho === 1)).toBe(true)
  })

  it('weights nodes by their load, and a fast node by its speed', async () => {
    const s = await spec('[{ count: 1, slots: 2, weight: 2 }, { count: 1, slots: 2, speed: 2 }]')
    // Node 0: 2·0.5 of 2 slots at 100 ms = 20/s (2 Erlangs); node 1: 0.5 of 2 slots at 50 ms = 20/s (1 Erlang).
    expect(offeredRates(s, 0.5)).toEqual([20, 20])
    const m = modelAt(s, [20, 20], 0.5)
    expect(m.localBlocking).toBeCloseTo((erlangB(2, 2) + erlangB(2, 1)) / 2, 12)
    // Pooled: 4 servers at mean speed 1.5, 40/s of 100 ms work = 4/1.5 Erlangs.
    expect(m.pooledBlocking).toBeCloseTo(erlangB(4, 4 / 1.5), 12)
  })
})

describe('95 % intervals over repetitions', () => {
  it('uses Student t: the table, then the expansion', () => {
    expect(tQuantile975(1)).toBe(12.706)
    expect(tQuantile975(10)).toBe(2.228)
    expect(tQuantile975(30)).toBe(2.042)
    for (const [df, t] of [[40, 2.0211], [60, 2.0003], [120, 1.9799], [1000, 1.9623]] as const) expect(tQuantile975(df)).toBeCloseTo(t, 3)
    expect(() => tQuantile975(0)).toThrow(RangeError)
  })

  it('gives mean ± t·s/√n, and no interval at all from one repetition', () => {
    expect(sampleSd([1, 2, 3])).toBeCloseTo(1, 12)
    const e = estimate([1, 2, 3])
    expect(e).toMatchObject({ n: 3, mean: 2 })
    expect(e.half).toBeCloseTo(4.303 / Math.sqrt(3), 12)
    expect(e.low).toBeCloseTo(2 - 4.303 / Math.sqrt(3), 12)
    expect(estimate([0.25])).toEqual({ n: 1, mean: 0.25, half: null, low: null, high: null })
    // A repetition that measured nothing (no successful call: NaN) is left out, not averaged in.
    expect(estimate([0.1, NaN, 0.3])).toMatchObject({ n: 2, mean: 0.2 })
  })
})
