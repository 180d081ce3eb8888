import { describe, expect, it } from 'vitest'
import { createPowerOfD } from '../../src/scheduler/power-of-d.js'
import { sharedRules, run } from './contract.js'
import { cand, here, req, tally } from './fixtures.js'
import { mulberry32, seeds } from './rng.js'

describe('power-of-d', () => {
  sharedRules(() => createPowerOfD())

  it('samples d distinct candidates: with d equal to their number, the least loaded always wins', () => {
    for (const s of seeds(200)) {
      const d = run(createPowerOfD({ d: 2 }), req(), here(4, 4), [cand('A', 0), cand('B', 4, 2)], mulberry32(s))
      expect(d).toMatchObject({ action: 'forward', peers: ['A', 'B'] })
    }
  })

  it('runs here when this node is the least loaded of the sample', () => {
    for (const s of seeds(100)) {
      expect(run(createPowerOfD(), req(), here(1), [cand('A', 2), cand('B', 3), cand('C', 4)], mulberry32(s)).action).toBe('local')
    }
  })

  it('compares load per slot, not raw counts', () => {
    // A: 2 of 8 slots (0.25); B: 1 of 2 (0.5); here: 3 of 4 (0.75).
    const d = run(createPowerOfD({ d: 2 }), req(), here(3), [cand('A', 2, 0, 8), cand('B', 1, 0, 2)])
    expect(d).toMatchObject({ action: 'forward', peers: ['A', 'B'] })
  })

  it('breaks ties at random, this node included', () => {
    const outcomes = tally(seeds(200).map(s => run(createPowerOfD({ d: 1 }), req(), here(2), [cand('A', 2)], mulberry32(s))))
    expect(outcomes.get('local')).toBeGreaterThan(50)
    expect(outcomes.get('A')).toBeGreaterThan(50)
    const peers = tally(seeds(200).map(s => run(createPowerOfD({ d: 2 }), req(), here(4, 4), [cand('A', 1), cand('B', 1)], mulberry32(s))))
    expect(peers.get('A')).toBeGreaterThan(50)
    expect(peers.get('B')).toBeGreaterThan(50)
  })

  it('lists as fallbacks only sampled peers less loaded than here, least first', () => {
    const d = run(createPowerOfD({ d: 4 }), req(), here(3), [cand('A', 4, 1), cand('B', 2), cand('C', 0), cand('D', 1)])
    expect(d).toMatchObject({ action: 'forward', peers: ['C', 'D', 'B'] })
  })

  it('sends clearly more calls to the least loaded peer over 2,000 seeded decisions', () => {
    const view = [cand('L', 0), cand('M1', 2), cand('M2', 2), cand('M3', 2), cand('M4', 2)]
    const counts = tally(seeds(2000).map(s => run(createPowerOfD(), req(), here(3), view, mulberry32(s))))
    const least = counts.get('L') ?? 0
    // L is sampled in 2 of 5 draws (40%); each other peer wins about 15%.
    expect(least).toBeGreaterThan(700)
    for (const id of ['M1', 'M2', 'M3', 'M4']) expect(least).toBeGreaterThan(2 * (counts.get(id) ?? 0))
    expect(counts.get('local') ?? 0).toBe(0)
  })

  it('labels itself and checks d', () => {
    expect(createPowerOfD().label).toBe('PowerOfD(d=2, maxHops=1)')
    expect(createPowerOfD({ d: 3 }).parameters).toEqual({ d: 3, maxHops: 1 })
    expect(() => createPowerOfD({ d: 0 })).toThrow('power-of-d: d must be an integer from 1 to 16 (got 0)')
  })
})
