import { byNormalisedLoad, describeLoad, normalisedLoad } from './load.js'
import { checkKnownKeys, checkParam, DEFAULT_MAX_HOPS, MAX_HOPS_SPEC, refuseUnusedWithoutHops, type ParamSpec, type ParamSpecs } from './params.js'
import { pickNearLeast, sampleDistinct } from './sampling.js'
import type { Policy } from './types.js'

export const POWER_OF_D = 'power-of-d'
export const DEFAULT_D = 2

export interface PowerOfDParams {
  /** Candidates sampled per call (distinct); default 2, the classic power of two choices. */
  d?: number
  /** Default 1. */
  maxHops?: number
}

const D_SPEC: ParamSpec = { kind: 'int', min: 1, max: 16, about: 'distinct candidates sampled per call' }
export const POWER_OF_D_PARAMS: ParamSpecs = { d: D_SPEC, maxHops: MAX_HOPS_SPEC }

/**
 * Power of d choices on the gossiped view: sample d distinct candidates, add this node, and the
 * least normalised load ((running+queued)/capacity) wins, ties at random (so equal nodes share the
 * work instead of the first listed taking it all). Sampling rather than scanning everyone is what
 * keeps many nodes reading the same view from all choosing the same peer.
 */
export function createPowerOfD (params: PowerOfDParams = {}): Policy {
  checkKnownKeys(POWER_OF_D, params, POWER_OF_D_PARAMS)
  const d = checkParam(POWER_OF_D, 'd', D_SPEC, params.d, DEFAULT_D)
  const maxHops = checkParam(POWER_OF_D, 'maxHops', MAX_HOPS_SPEC, params.maxHops, DEFAULT_MAX_HOPS)
  refuseUnusedWithoutHops(POWER_OF_D, maxHops, params, ['d'])
  return Object.freeze({
    name: POWER_OF_D,
    label: `PowerOfD(d=${d}, maxHops=${maxHops})`,
    maxHops,
    parameters: Object.freeze({ d, maxHops }),
    decide: (_req, local, candidates, rng) => {
      const sampled = sampleDistinct(candidates, d, rng)
      const here = normalisedLoad(local)
      const options = [{ peerId: undefined, load: here }, ...sampled.map(c => ({ peerId: c.peerId, load: normalisedLoad(c) }))]
      const winner = pickNearLeast(options, o => o.load, 0, rng)
      if (winner.peerId === undefined) {
        return { action: 'local', reason: `this node (${describeLoad(local)}) is the least loaded of ${options.length} sampled` }
      }
      // Fallbacks: the other sampled peers still less loaded than this node, least loaded first.
      const fallbacks = sampled
        .filter(c => c.peerId !== winner.peerId && normalisedLoad(c) < here)
        .sort(byNormalisedLoad)
        .map(c => c.peerId)
      return { action: 'forward', peers: [winner.peerId, ...fallbacks], reason: `least loaded of ${options.length} sampled` }
    }
  } satisfies Policy)
}
