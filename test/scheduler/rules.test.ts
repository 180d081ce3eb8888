import { describe, expect, it } from 'vitest'
import { createLocal } from '../../src/scheduler/local.js'
import { afterProbe, decide, isLossMode, waitBeforeDeciding } from '../../src/scheduler/rules.js'
import { createThreshold } from '../../src/scheduler/threshold.js'
import type { Decision, Policy } from '../../src/scheduler/types.js'
import { cand, chosen, here, probe, req } from './fixtures.js'
import { mulberry32, seeds } from './rng.js'

/** A policy that answers whatever it is told to, and records what it was given. */
function scripted (answer: Decision, params: Policy['parameters'] = {}, maxHops = 1): Policy & { seen: string[][] } {
  const seen: string[][] = []
  return {
    name: 'scripted',
    label: 'Scripted()',
    maxHops,
    parameters: params,
    seen,
    decide: (_req, _local, candidates) => { seen.push(candidates.map(c => c.peerId)); return answer },
    afterProbe: (_req, _local, probed) => { seen.push(probed.map(p => p.peerId)); return answer }
  }
}

const forwardA: Decision = { action: 'forward', peers: ['A'], reason: 'test' }
const two = [cand('A', 0), cand('B', 0)]

describe('shared scheduling rules', () => {
  it('applies bypass before everything, loss mode included', () => {
    const policy = scripted(forwardA, { loss: true })
    expect(decide(policy, req({ bypass: true, hops: 5, forceForward: true }), here(4, 4), two, mulberry32(1)).action).toBe('local')
    expect(policy.seen).toEqual([])
  })

  it('stops at the hop limit without asking the policy; loss mode rejects there when full', () => {
    const policy = scripted(forwardA, {}, 2)
    expect(decide(policy, req({ hops: 2 }), here(0), two, mulberry32(1)).reason).toMatch(/hop limit/)
    expect(decide(policy, req({ hops: 3, forceForward: true }), here(0), two, mulberry32(1)).action).toBe('local')
    expect(policy.seen).toEqual([])
    expect(decide(policy, req({ hops: 1 }), here(0), two, mulberry32(1)).action).toBe('forward')
    expect(decide(scripted(forwardA, { loss: true }), req({ hops: 1 }), here(4), two, mulberry32(1)).action).toBe('reject')
  })

  it('drops candidates on the path and duplicates before the policy sees them', () => {
    const policy = scripted(forwardA)
    decide(policy, req({ path: ['origin', 'B'] }), here(0), [cand('A', 0), cand('B', 0), cand('A', 3), cand('C', 1)], mulberry32(1))
    expect(policy.seen).toEqual([['A', 'C']])
  })

  it('runs here with no candidate left, or rejects in loss mode when full', () => {
    const policy = scripted(forwardA)
    expect(decide(policy, req({ path: ['A', 'B'] }), here(4, 4), two, mulberry32(1)).action).toBe('local')
    expect(decide(policy, req(), here(0), [], mulberry32(1)).action).toBe('local')
    expect(policy.seen).toEqual([])
    expect(decide(scripted(forwardA, { loss: true }), req(), here(4), [], mulberry32(1)).action).toBe('reject')
  })

  it('forces a forward to a uniformly random candidate, with every other one as a fallback', () => {
    const policy = createLocal()
    const three = [...two, cand('C', 4, 4)]
    const counts = new Map<string, number>()
    for (const s of seeds(900)) {
      const d = decide(policy, req({ forceForward: true }), here(0), three, mulberry32(s))
      expect(d.action === 'forward' ? [...d.peers].sort() : []).toEqual(['A', 'B', 'C'])
      counts.set(chosen(d) as string, (counts.get(chosen(d) as string) ?? 0) + 1)
    }
    for (const id of ['A', 'B', 'C']) expect(counts.get(id)).toBeGreaterThan(240)
    expect(decide(policy, req({ forceForward: true, path: ['A'] }), here(0), two, mulberry32(1))).toMatchObject({ peers: ['B'] })
  })

  it('refuses a policy naming a peer it was not given, or forwarding to nobody', () => {
    expect(() => decide(scripted({ action: 'forward', peers: ['GHOST'], reason: '' }), req(), here(4), two, mulberry32(1)))
      .toThrow(/named peer GHOST, which is not a candidate/)
    expect(() => decide(scripted(forwardA), req({ path: ['A'] }), here(4), two, mulberry32(1))).toThrow(/not a candidate/)
    expect(() => decide(scripted({ action: 'probe', peers: [], reason: '' }), req(), here(4), two, mulberry32(1))).toThrow(/no peer/)
    const dup = decide(scripted({ action: 'forward', peers: ['A', 'B', 'A'], reason: '' }), req(), here(4), two, mulberry32(1))
    expect(dup).toMatchObject({ peers: ['A', 'B'] })
  })

  it('after a probe, drops peers on the path and forwards only to probed ones', () => {
    const policy = scripted(forwardA)
    expect(afterProbe(policy, req(), here(4), [probe('A', 0), probe('B', 0)], mulberry32(1)).action).toBe('forward')
    expect(() => afterProbe(policy, req({ path: ['A'] }), here(4), [probe('A', 0), probe('B', 0)], mulberry32(1))).toThrow(/not a candidate/)
    expect(policy.seen).toEqual([['A', 'B'], ['B']])
    const threshold = createThreshold({ T: 0 })
    expect(afterProbe(threshold, req({ path: ['A'] }), here(4), [probe('A', 0), probe('B', 5)], mulberry32(1)).action).toBe('local')
  })

  it('refuses afterProbe on a policy that does not probe, and a second probe', () => {
    expect(() => afterProbe(createLocal(), req(), here(4), [], mulberry32(1))).toThrow(/local does not probe/)
    const again = scripted({ action: 'probe', peers: ['A'], reason: '' })
    expect(() => afterProbe(again, req(), here(4), [probe('A', 0)], mulberry32(1))).toThrow(/probe again/)
  })

  it('asks a policy offered every holder even with no candidate left (a centralised one refuses then)', () => {
    const refusing: Policy = { ...scripted({ action: 'reject', reason: 'no master' }), offered: 'all-holders' }
    expect(decide(refusing, req(), here(0), [], mulberry32(1))).toEqual({ action: 'reject', reason: 'no master' })
    expect(decide(refusing, req({ path: ['A', 'B'] }), here(0), two, mulberry32(1)).action).toBe('reject')
    // The other shared rules still come first.
    expect(decide(refusing, req({ bypass: true }), here(0), [], mulberry32(1)).action).toBe('local')
    expect(decide(refusing, req({ hops: 1 }), here(0), [], mulberry32(1)).action).toBe('local')
  })

  it('lets a policy wait before deciding only when it would be asked, and refuses a nonsense wait', () => {
    const waiting = (ms: number): Policy => ({ ...scripted(forwardA, {}, 2), waitBeforeDecideMs: () => ms })
    expect(waitBeforeDeciding(waiting(50), req(), here(4), two)).toBe(50)
    expect(waitBeforeDeciding(waiting(50), req({ bypass: true }), here(4), two)).toBe(0)
    expect(waitBeforeDeciding(waiting(50), req({ hops: 2 }), here(4), two)).toBe(0)
    expect(waitBeforeDeciding(waiting(50), req({ forceForward: true }), here(4), two)).toBe(0)
    expect(waitBeforeDeciding(waiting(50), req({ path: ['A', 'B'] }), here(4), two)).toBe(0)
    expect(waitBeforeDeciding(scripted(forwardA), req(), here(4), two)).toBe(0)
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => waitBeforeDeciding(waiting(bad), req(), here(4), two)).toThrow(/asked to wait/)
    }
  })

  it('reads loss mode from the policy parameters', () => {
    expect(isLossMode(createLocal({ loss: true }))).toBe(true)
    expect(isLossMode(createLocal())).toBe(false)
    expect(isLossMode(createThreshold({ loss: true }))).toBe(true)
  })
})
