import { describe, expect, it } from 'vitest'
import { createLearning, learnerOf } from '../../src/scheduler/learning/policy.js'
import { createLeastLoaded } from '../../src/scheduler/least-loaded.js'
import { createLocal } from '../../src/scheduler/local.js'
import { createRandom } from '../../src/scheduler/random.js'
import { simulate, type Result, type World } from './learning-env.js'

/**
 * The learning policy learns, in a small simulated world (learning-env.ts: virtual time, seeded, no
 * clock): two task types with the same 100 ms service time, type 0 due within 150 ms, type 1 within
 * 2 s. Here there are 2 slots for about 1.8 calls' worth of work; the peer, 20 ms away there and
 * back, has 2 slots and a load of its own. A type-0 call makes its deadline only if it starts at
 * once and close by; a type-1 call can wait. None of the fixed policies tells the types apart.
 */
const WORLD: World = {
  arrivalsPerS: 18,
  backgroundPerS: 10,
  serviceMs: 100,
  netMs: 20,
  deadlinesMs: [150, 2000],
  typeShares: [0.5, 0.5],
  here: { capacity: 2, queue: 4 },
  peer: { capacity: 2, queue: 4 }
}
const TRAINING_CALLS = 40_000
const EVALUATION_CALLS = 20_000

/** Trains with exploration on one seed, then runs greedily (ε = 0, still learning) from the table learnt. */
function learnt (trainSeed: number, evalSeed: number): { rate: number, greedy: ReturnType<typeof createLearning>, perType: Result['perType'] } {
  const trainer = createLearning({ taskTypes: 2, epsilon: 0.1, alpha: 0.1, beta: 0.01, peers: 1 })
  simulate(trainer, WORLD, TRAINING_CALLS, trainSeed)
  const greedy = createLearning({ taskTypes: 2, epsilon: 0, alpha: 0.1, beta: 0.01, peers: 1 })
  expect(learnerOf(greedy)!.importTable(learnerOf(trainer)!.exportTable())).toBeUndefined()
  const { rate, perType } = simulate(greedy, WORLD, EVALUATION_CALLS, evalSeed)
  return { rate, greedy, perType }
}

describe('learning in a simulated world', () => {
  it.each([[1, 100], [2, 200], [3, 300]])('after %i\'s training, beats fixed policies on the calls of seed %i', (trainSeed, evalSeed) => {
    const local = simulate(createLocal(), WORLD, EVALUATION_CALLS, evalSeed)
    const random = simulate(createRandom(), WORLD, EVALUATION_CALLS, evalSeed)
    const leastLoaded = simulate(createLeastLoaded(), WORLD, EVALUATION_CALLS, evalSeed)
    const agent = learnt(trainSeed, evalSeed)
    // Measured: local about 0.68, random 0.64, least-loaded 0.90, learnt 0.93.
    expect(agent.rate).toBeGreaterThan(local.rate + 0.2)
    expect(agent.rate).toBeGreaterThan(random.rate + 0.2)
    // Even the default, load-aware policy, by telling the types apart.
    expect(agent.rate).toBeGreaterThan(leastLoaded.rate + 0.015)
    expect(agent.perType[0]!.within / agent.perType[0]!.calls).toBeGreaterThan(local.perType[0]!.within / local.perType[0]!.calls + 0.4)
  }, 30_000)

  it('has learnt to tell the types apart: the loose ones go to the peer, leaving the slots here to the tight ones', () => {
    const agent = learnt(1, 100)
    const leastLoaded = simulate(createLeastLoaded(), WORLD, EVALUATION_CALLS, 100)
    const onPeer = (t: { calls: number, onPeer: number }): number => t.onPeer / t.calls
    // Measured: the agent runs about 84 % of type-1 calls and 10 % of type-0 calls on the peer;
    // least-loaded, blind to types, about 25 % of each.
    expect(onPeer(agent.perType[1]!)).toBeGreaterThan(onPeer(agent.perType[0]!) + 0.5)
    expect(Math.abs(onPeer(leastLoaded.perType[1]!) - onPeer(leastLoaded.perType[0]!))).toBeLessThan(0.05)
    // Type 1 still makes its loose deadline; the table stays small.
    expect(agent.perType[1]!.within / agent.perType[1]!.calls).toBeGreaterThan(0.99)
    expect(learnerOf(agent.greedy)!.stats().states).toBeLessThan(400)
  }, 30_000)
})
