import { describe, expect, it } from 'vitest'
import { createRandom } from '../../src/scheduler/random.js'
import { sharedRules, run } from './contract.js'
import { cand, here, req, tally } from './fixtures.js'
import { mulberry32, seeds } from './rng.js'

describe('random (ForwardScheduler)', () => {
  sharedRules(() => createRandom())

  const three = [cand('A', 0), cand('B', 4, 4), cand('C', 2)]

  it('forwards even from an idle node, listing every candidate once: the chosen first, then fallbacks', () => {
    const d = run(createRandom(), req(), here(0), three, mulberry32(7))
    expect(d.action).toBe('forward')
    if (d.action === 'forward') expect([...d.peers].sort()).toEqual(['A', 'B', 'C'])
  })

  it('chooses uniformly, ignoring loads', () => {
    const counts = tally(seeds(3000).map(s => run(createRandom(), req(), here(0), three, mulberry32(s))))
    for (const id of ['A', 'B', 'C']) {
      expect(counts.get(id) ?? 0).toBeGreaterThan(850)
      expect(counts.get(id) ?? 0).toBeLessThan(1150)
    }
  })

  it('varies the fallback order too, so refusals do not all retry the same peer', () => {
    const seconds = new Set(seeds(100).map(s => {
      const d = run(createRandom(), req(), here(0), three, mulberry32(s))
      return d.action === 'forward' ? d.peers[1] : undefined
    }))
    expect(seconds.size).toBe(3)
  })

  it('keeps handing off until maxHops, then runs here', () => {
    const policy = createRandom({ maxHops: 2 })
    expect(run(policy, req({ hops: 1, path: ['X'] }), here(0), three).action).toBe('forward')
    expect(run(policy, req({ hops: 2, path: ['X', 'Y'] }), here(0), three).action).toBe('local')
    expect(createRandom({ maxHops: 0 }).maxHops).toBe(0)
    expect(run(createRandom({ maxHops: 0 }), req(), here(0), three).action).toBe('local')
  })

  it('shows the original label', () => {
    expect(createRandom().label).toBe('ForwardScheduler(1)')
    expect(createRandom({ maxHops: 3 }).label).toBe('ForwardScheduler(3)')
    expect(() => createRandom({ maxHops: 9 })).toThrow('random: maxHops must be an integer from 0 to 8 (got 9)')
    expect(() => createRandom({ maxHops: 1.5 })).toThrow(/maxHops must be an integer/)
  })
})
