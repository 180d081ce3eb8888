import { checkKnownKeys, checkParam, DEFAULT_MAX_HOPS, MAX_HOPS_SPEC, type ParamSpecs } from './params.js'
import { shuffled } from './sampling.js'
import type { Policy } from './types.js'

export const RANDOM = 'random'

export interface RandomParams {
  /** Default 1. */
  maxHops?: number
}

export const RANDOM_PARAMS: ParamSpecs = { maxHops: MAX_HOPS_SPEC }

/**
 * The original's ForwardScheduler: every call goes to a uniformly random peer, without looking at
 * loads, until the hop limit makes the last node run it. A baseline: it spreads load blindly.
 * The whole candidate list comes back shuffled: the first is the uniform choice, the rest are
 * fallbacks in random order, so a refusal does not make every node retry the same peer.
 */
export function createRandom (params: RandomParams = {}): Policy {
  checkKnownKeys(RANDOM, params, RANDOM_PARAMS)
  const maxHops = checkParam(RANDOM, 'maxHops', MAX_HOPS_SPEC, params.maxHops, DEFAULT_MAX_HOPS)
  return Object.freeze({
    name: RANDOM,
    label: `ForwardScheduler(${maxHops})`,
    maxHops,
    parameters: Object.freeze({ maxHops }),
    decide: (_req, _local, candidates, rng) => ({
      action: 'forward',
      peers: shuffled(candidates, rng).map(c => c.peerId),
      reason: `random policy forwards to a random one of ${candidates.length} candidates`
    })
  } satisfies Policy)
}
