import { describe, expect, it } from 'vitest'
import { createLearning, learnerOf, LEARNING_DEFAULTS, rewardOf } from '../../src/scheduler/learning/policy.js'
import { loadPerType, roomAtPeers, roomHere, stateKey, typeIndex, validActions } from '../../src/scheduler/learning/state.js'
import { parsePolicy, PolicyError, policyFromOriginal, toOriginal } from '../../src/scheduler/registry.js'
import { afterProbe, decideTraced } from '../../src/scheduler/rules.js'
import { createLeastLoaded } from '../../src/scheduler/least-loaded.js'
import { sharedRules } from './contract.js'
import { cand, here, probe, req } from './fixtures.js'
import { mulberry32, seeds } from './rng.js'
import type { CallOutcome } from '../../src/scheduler/types.js'

/** The learning policy as the node sees it: parameters, the state it reads, its decisions, what it learns from. */

describe('parameters', () => {
  it('takes the original\'s JSON: LearningScheduler ["2"] is two task types, defaults otherwise', () => {
    const policy = policyFromOriginal({ name: 'LearningScheduler', parameters: ['2'] })
    expect(policy.name).toBe('learning')
    expect(policy.label).toBe('LearningScheduler(2)')
    expect(policy.parameters).toEqual({ ...LEARNING_DEFAULTS, taskTypes: 2, maxHops: 1 })
    expect(toOriginal(policy)).toEqual({ name: 'LearningScheduler', parameters: ['2'] })
  })

  it('refuses the original\'s parameter when it is no number of task types', () => {
    for (const bad of ['0', '17', 'two', '1.5', '-1', '']) {
      expect(() => policyFromOriginal({ name: 'LearningScheduler', parameters: [bad] }), bad).toThrow(PolicyError)
      expect(() => policyFromOriginal({ name: 'LearningScheduler', parameters: [bad] }), bad).toThrow(/LearningScheduler: taskTypes must be an integer from 1 to 16/)
    }
    expect(() => policyFromOriginal({ name: 'LearningScheduler', parameters: ['2', '0.1'] })).toThrow('LearningScheduler takes 1 parameter [taskTypes] (got 2)')
  })

  it('takes named parameters under its own name, and says what they are when one is wrong', () => {
    const p = parsePolicy('learning:taskTypes=2,epsilon=0.1,alpha=0.2,beta=0.05,peers=3,maxStates=500,maxHops=2')
    expect(p.parameters).toEqual({ taskTypes: 2, epsilon: 0.1, alpha: 0.2, beta: 0.05, peers: 3, maxStates: 500, maxHops: 2 })
    expect(p.label).toBe('Learning(taskTypes=2, epsilon=0.1, alpha=0.2, beta=0.05, peers=3, maxStates=500, maxHops=2)')
    expect(toOriginal(p)).toBeUndefined()
    expect(policyFromOriginal({ name: 'learning', parameters: ['epsilon=0'] }).parameters.epsilon).toBe(0)
    const bad: Array<[string, RegExp]> = [
      ['learning:epsilon=1.5', /learning: epsilon must be a number from 0 to 1 \(got "1.5"\)/],
      ['learning:epsilon=-0.1', /learning: epsilon must be a number from 0 to 1 \(got "-0.1"\)/],
      ['learning:alpha=lots', /learning: alpha must be a number from 0 to 1 \(got "lots"\)/],
      ['learning:beta=2', /learning: beta must be a number from 0 to 1/],
      ['learning:taskTypes=0', /learning: taskTypes must be an integer from 1 to 16/],
      ['learning:peers=9', /learning: peers must be an integer from 0 to 8/],
      ['learning:maxStates=1', /learning: maxStates must be an integer from 16 to 100000/],
      ['learning:gamma=0.9', /learning: unknown parameter "gamma"; accepted: taskTypes .*epsilon .*alpha .*beta .*peers .*maxStates .*maxHops/],
      ['learning:maxHops=0,epsilon=0.1', /learning: with maxHops=0 no call is handed off, so the policy is never asked and epsilon would be ignored/],
      ['learning:epsilon=0.1,epsilon=0.2', /learning: parameter epsilon given twice/]
    ]
    for (const [spec, message] of bad) {
      expect(() => parsePolicy(spec), spec).toThrow(PolicyError)
      expect(() => parsePolicy(spec), spec).toThrow(message)
    }
    expect(() => createLearning({ epsilon: Number.NaN })).toThrow(/epsilon must be a number from 0 to 1/)
    expect(() => createLearning({ nope: 1 } as never)).toThrow(/unknown parameter "nope"/)
  })
})

describe('the state', () => {
  it('folds task types the policy does not cover onto type 0, and says so', () => {
    expect(typeIndex(1, 2)).toEqual({ index: 1, covered: true })
    expect(typeIndex(2, 2)).toEqual({ index: 0, covered: false })
    expect(typeIndex(undefined, 2)).toEqual({ index: 0, covered: false })
  })

  it('counts this node\'s calls per type, capped, and the room here and at the best peer', () => {
    const r = req({ taskType: 1, typeLoad: [{ taskType: 0, running: 1, queued: 0 }, { taskType: 1, running: 7, queued: 5 }, { running: 1, queued: 1 }, { taskType: 9, running: 1, queued: 0 }] })
    const perType = loadPerType(r, here(0), 2)
    expect(perType).toEqual([{ running: 3, queued: 1 }, { running: 7, queued: 5 }])
    expect(stateKey(1, perType, roomHere(here(3, 0, 4, 4)), roomAtPeers([cand('A', 4), cand('B', 1, 1, 4)]))).toBe('1|31.32|h1|p2')
    // Without per-type counts, the function's own load is the call's type's.
    expect(loadPerType(req({ taskType: 1 }), here(2, 1), 2)).toEqual([{ running: 0, queued: 0 }, { running: 2, queued: 1 }])
  })

  it('tells free slots, queue room and no room at all apart', () => {
    expect(roomHere(here(0, 0, 4, 4))).toBe(2)
    expect(roomHere(here(3, 0, 4, 4))).toBe(1)
    expect(roomHere(here(4, 3, 4, 4))).toBe(0)
    expect(roomHere(here(4, 4, 4, 4))).toBe(-1)
    expect(roomHere(here(4, 0, 4, 0))).toBe(-1)
    expect(roomHere(here(0, 0, 0, 0))).toBe(-1)
    expect(roomAtPeers([cand('A', 4, 2)])).toBe(0)
  })

  it('offers peer i only for the candidates there are, up to `peers`', () => {
    expect(validActions(2, 1)).toEqual([0, 1, 2, 3])
    expect(validActions(2, 5)).toEqual([0, 1, 2, 3, 4])
    expect(validActions(0, 5)).toEqual([0, 1, 2])
    expect(validActions(2, 0)).toEqual([0, 1])
  })
})

describe('decisions', () => {
  const peers = [cand('C', 0), cand('A', 0), cand('B', 4, 2)]

  it('maps each action to its decision; peer i is the i-th candidate in PeerId order', () => {
    const tally = new Map<string, number>()
    for (const s of seeds(400)) {
      const d = createLearning({ epsilon: 1, peers: 3 }).decide(req({ callId: 'c' }), here(1), peers, mulberry32(s))
      const key = d.action === 'forward' ? `forward ${d.peers.join()}` : d.action === 'probe' ? 'probe' : d.action
      tally.set(key, (tally.get(key) ?? 0) + 1)
      if (d.action === 'probe') expect(d.peers).toHaveLength(1)
      expect(d.reason).toMatch(/^exploring: /)
    }
    expect([...tally.keys()].sort()).toEqual(['forward A', 'forward B', 'forward C', 'local', 'probe', 'reject'])
  })

  it('follows its table greedily with ε = 0', () => {
    const policy = createLearning({ epsilon: 0, peers: 2 })
    const learner = learnerOf(policy)!
    const state = stateKey(0, [{ running: 1, queued: 0 }], 2, 2)
    learner.importTable({ ...learner.exportTable(), states: { [state]: [0, 0.1, 0.2, 0.3, 0.9] } })
    const d = policy.decide(req({ callId: 'c', taskType: 0 }), here(1), peers, mulberry32(1))
    expect(d).toMatchObject({ action: 'forward', peers: ['B'] })
    expect(d.reason).toBe(`learnt: peer-1 in state ${state}`)
  })

  it('after a probe, hands off to a less loaded peer; else runs here or refuses, as the table rates them', () => {
    const policy = createLearning({ epsilon: 0 })
    const learner = learnerOf(policy)!
    const r = req({ callId: 'c1' })
    const local = here(4, 2)
    expect(policy.afterProbe!(r, local, [probe('A', 1)], mulberry32(1))).toMatchObject({ action: 'forward', peers: ['A'] })
    expect(policy.afterProbe!(r, local, [probe('A')], mulberry32(1)).action).toBe('local')
    const state = stateKey(0, loadPerType(r, local, 1), roomHere(local), roomAtPeers([cand('A', 4, 4)]))
    learner.importTable({ ...learner.exportTable(), states: { [state]: [0.5, 0.1, 0, 0, 0] } })
    policy.decide(r, local, [cand('A', 4, 4)], mulberry32(1))
    expect(policy.afterProbe!(r, local, [probe('A', 4, 4)], mulberry32(1))).toMatchObject({ action: 'reject', reason: /learnt to refuse/ })
  })

  sharedRules(() => createLearning())
})

describe('learning from outcomes', () => {
  const outcome = (over: Partial<CallOutcome>): CallOutcome =>
    ({ function: 'echo', hops: 0, action: 'local', byPolicy: true, ok: true, status: 200, totalMs: 10, probes: 0, ...over })

  it('rewards 1 a call that ended well within its deadline, 0 one late, failed or refused', () => {
    expect(rewardOf({ ok: true, totalMs: 100, deadlineMs: 100 })).toBe(1)
    expect(rewardOf({ ok: true, totalMs: 101, deadlineMs: 100 })).toBe(0)
    expect(rewardOf({ ok: false, totalMs: 1, deadlineMs: 100 })).toBe(0)
    expect(rewardOf({ ok: true, totalMs: 5000 })).toBe(1)
  })

  it('learns from its own decisions\' outcomes, counts them, and tells who watches', () => {
    const policy = createLearning({ epsilon: 0 })
    const learner = learnerOf(policy)!
    let told = 0
    const unwatch = learner.watch(() => { told++ })
    for (let i = 0; i < 5; i++) policy.decide(req({ callId: `c${i}`, deadlineMs: 50 }), here(0), [cand('A', 0)], mulberry32(i))
    policy.observe!(outcome({ callId: 'c0', totalMs: 10, deadlineMs: 50 }))
    policy.observe!(outcome({ callId: 'c1', totalMs: 80, deadlineMs: 50 }))
    policy.observe!(outcome({ callId: 'c2', ok: false, action: 'reject', status: 429 }))
    // Not this instance's decision; and one a shared rule overrode: neither is learnt from.
    policy.observe!(outcome({ callId: 'other' }))
    policy.observe!(outcome({ callId: 'c3', byPolicy: false }))
    unwatch()
    policy.observe!(outcome({ callId: 'c4' }))
    expect(told).toBe(3)
    expect(learner.stats()).toMatchObject({ decisions: 5, explored: 0, rewards: 4, rewardSum: 2, rewardRate: 0.5, updates: 3, unmatched: 1, pending: 0, untyped: 5 })
    expect(learner.stats().states).toBeGreaterThan(0)
  })

  it('resets what it learnt, not what it did', () => {
    const policy = createLearning()
    const learner = learnerOf(policy)!
    policy.decide(req({ callId: 'a' }), here(0), [cand('A', 0)], mulberry32(1))
    policy.decide(req({ callId: 'b' }), here(0), [cand('A', 0)], mulberry32(2))
    policy.observe!(outcome({ callId: 'a' }))
    expect(learner.stats().states).toBe(1)
    learner.reset()
    expect(learner.stats()).toMatchObject({ states: 0, averageReward: 0, updates: 0, decisions: 2, rewards: 1, pending: 0 })
  })

  it('takes up a stored table only when it was learnt with the same shape', () => {
    const source = learnerOf(createLearning({ taskTypes: 2 }))!
    expect(learnerOf(createLearning({ taskTypes: 2 }))!.importTable(source.exportTable())).toBeUndefined()
    expect(learnerOf(createLearning({ taskTypes: 3 }))!.importTable(source.exportTable())).toMatch(/learnt with taskTypes=2, the policy in force has 3/)
    expect(learnerOf(createLearning({ taskTypes: 2, peers: 1 }))!.importTable(source.exportTable())).toMatch(/learnt with peers=2, the policy in force has 1/)
    expect(learnerOf(createLeastLoaded())).toBeUndefined()
  })

  it('is asked through the shared rules like any policy, and the rules say who decided', () => {
    const policy = createLearning({ epsilon: 1 })
    const traced = decideTraced(policy, req({ callId: 'c' }), here(0), [cand('A', 0)], mulberry32(3))
    expect(traced.byPolicy).toBe(true)
    if (traced.decision.action === 'probe') expect(afterProbe(policy, req({ callId: 'c' }), here(0), [probe('A', 0)], mulberry32(1)).action).not.toBe('probe')
  })
})
