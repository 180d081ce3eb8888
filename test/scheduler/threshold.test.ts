import { describe, expect, it } from 'vitest'
import { afterProbe, decide, waitBeforeDeciding } from '../../src/scheduler/rules.js'
import { createThreshold } from '../../src/scheduler/threshold.js'
import type { Policy, ProbeResult } from '../../src/scheduler/types.js'
import { sharedRules, run } from './contract.js'
import { cand, chosen, here, probe, req, tally } from './fixtures.js'
import { mulberry32, seeds } from './rng.js'

const five = ['A', 'B', 'C', 'D', 'E'].map(id => cand(id, 0))
const after = (policy: Policy, probed: ProbeResult[], running = 4, queued = 0, seed = 1) =>
  afterProbe(policy, req(), here(running, queued), probed, mulberry32(seed))

describe('threshold (PowerOfNScheduler, LL(F,T))', () => {
  sharedRules(() => createThreshold(), () => createThreshold({ loss: true }))

  it('runs here below T without probing, probes at T', () => {
    const policy = createThreshold({ F: 1, T: 2 })
    expect(decide(policy, req(), here(1), five, mulberry32(1)).action).toBe('local')
    expect(decide(policy, req(), here(1, 1), five, mulberry32(1)).action).toBe('probe')
  })

  it('by default probes only once every slot is busy', () => {
    expect(decide(createThreshold(), req(), here(3), five, mulberry32(1)).action).toBe('local')
    expect(decide(createThreshold(), req(), here(4), five, mulberry32(1)).action).toBe('probe')
  })

  it('probes F distinct peers (the original sampled with replacement)', () => {
    for (const s of seeds(300)) {
      const d = decide(createThreshold({ F: 3, T: 0 }), req(), here(0), five, mulberry32(s))
      expect(d.action).toBe('probe')
      if (d.action === 'probe') {
        expect(d.peers).toHaveLength(3)
        expect(new Set(d.peers).size).toBe(3)
      }
    }
    const all = decide(createThreshold({ F: 8, T: 0 }), req(), here(0), five.slice(0, 2), mulberry32(3))
    expect(all.action === 'probe' ? [...all.peers].sort() : []).toEqual(['A', 'B'])
  })

  it('reads a failed probe as unavailable, never as idle', () => {
    const policy = createThreshold({ T: 2 })
    expect(after(policy, [probe('A'), probe('B', 4, 1)]).action).toBe('local')
    expect(after(policy, [probe('A'), probe('B', 1)])).toMatchObject({ action: 'forward', peers: ['B'] })
    expect(after(createThreshold({ T: 2, loss: true }), [probe('A')]).action).toBe('reject')
  })

  it('forwards only to a peer less loaded than here (running + queued)', () => {
    const policy = createThreshold({ F: 3, T: 2 })
    // Here 3 running + 1 queued = 4. A equals it, B is above, C is below.
    expect(after(policy, [probe('A', 2, 2), probe('B', 4, 1), probe('C', 3)], 3, 1)).toMatchObject({ action: 'forward', peers: ['C'] })
    expect(after(policy, [probe('A', 2, 2), probe('B', 4, 1)], 3, 1).action).toBe('local')
  })

  it('chooses at random among the lower ones, the others as fallbacks by load', () => {
    const policy = createThreshold({ F: 3, T: 2 })
    const probed = [probe('A', 3), probe('B', 1), probe('C', 2)]
    const firsts = tally(seeds(300).map(s => after(policy, probed, 4, 0, s)))
    for (const id of ['A', 'B', 'C']) expect(firsts.get(id)).toBeGreaterThan(60)
    for (const s of seeds(20)) {
      const d = after(policy, probed, 4, 0, s)
      const rest = d.action === 'forward' ? d.peers.slice(1) : []
      expect(rest).toEqual(['B', 'C', 'A'].filter(id => id !== chosen(d)))
    }
  })

  it('in loss mode rejects when no probed peer is lower and no slot is free; queues otherwise', () => {
    const probed = [probe('A', 4, 2)]
    expect(after(createThreshold({ T: 2, loss: true }), probed, 4).action).toBe('reject')
    expect(after(createThreshold({ T: 2, loss: true }), probed, 3).action).toBe('local')
    expect(after(createThreshold({ T: 2, loss: false }), probed, 4).action).toBe('local')
    // Below T but full (T above capacity): loss mode still rejects rather than queue.
    expect(run(createThreshold({ T: 9, loss: true }), req(), here(4), five).action).toBe('reject')
  })

  it('shows the original labels, PowerOfNSchedulerTau included', () => {
    expect(createThreshold({ F: 1, T: 2, loss: true, maxHops: 1 }).label).toBe('PowerOfNScheduler(1, 2, true, 1)')
    expect(createThreshold().label).toBe('PowerOfNScheduler(1, capacity, false, 1)')
    const tau = createThreshold({ F: 1, T: 2, loss: true, maxHops: 1, tauMs: 100 })
    expect(tau.label).toBe('PowerOfNSchedulerTau(1, 2, true, 1, 100ms)')
    expect(tau.parameters).toEqual({ F: 1, T: 2, loss: true, maxHops: 1, tauMs: 100 })
    expect(tau.name).toBe('threshold')
  })

  it('with tau, asks the node to wait only once the threshold is reached, as the original did', () => {
    const tau = createThreshold({ T: 2, tauMs: 250 })
    expect(tau.waitBeforeDecideMs?.(req(), here(1))).toBe(0)
    expect(tau.waitBeforeDecideMs?.(req(), here(1, 1))).toBe(250)
    expect(tau.waitBeforeDecideMs?.(req(), here(4, 2))).toBe(250)
    // T following capacity: the wait starts once every slot is busy.
    const byCapacity = createThreshold({ tauMs: 100 })
    expect(byCapacity.waitBeforeDecideMs?.(req(), here(3))).toBe(0)
    expect(byCapacity.waitBeforeDecideMs?.(req(), here(4))).toBe(100)
    // Only through the rules: a call a shared rule decides never waits.
    expect(waitBeforeDeciding(tau, req(), here(4), five)).toBe(250)
    expect(waitBeforeDeciding(tau, req({ hops: 1 }), here(4), five)).toBe(0)
    expect(waitBeforeDeciding(tau, req(), here(4), [])).toBe(0)
    expect(waitBeforeDeciding(createThreshold({ T: 2 }), req(), here(4), five)).toBe(0)
    expect(createThreshold({ T: 2 }).waitBeforeDecideMs).toBeUndefined()
  })

  it('decides the same with tau once the wait is over: the waiting is the node\'s', () => {
    const plain = createThreshold({ T: 2 })
    const tau = createThreshold({ T: 2, tauMs: 250 })
    for (const s of seeds(30)) {
      expect(decide(tau, req(), here(3), five, mulberry32(s))).toEqual(decide(plain, req(), here(3), five, mulberry32(s)))
    }
  })

  it('checks F and T', () => {
    expect(() => createThreshold({ F: 0 })).toThrow('threshold: F must be an integer from 1 to 16 (got 0)')
    expect(() => createThreshold({ T: -1 })).toThrow(/T must be an integer from 0 to 1024/)
    expect(() => createThreshold({ tauMs: 61_000 })).toThrow(/tauMs must be a duration/)
  })
})
