import { byNormalisedLoad, describeLoad, hasFreeSlot, normalisedLoad } from './load.js'
import { checkKnownKeys, checkParam, DEFAULT_MAX_HOPS, MAX_HOPS_SPEC, refuseUnusedWithoutHops, type ParamSpec, type ParamSpecs } from './params.js'
import { pickNearLeast } from './sampling.js'
import type { Candidate, Decision, Policy, Rng } from './types.js'

export const LEAST_LOADED = 'least-loaded'
/**
 * Measured with bench:policies (8 nodes, K=3, skewed load): 0.25 admits only the very least loaded
 * when K=3, so concurrent choices pile onto one peer and get refused (P_B 4.7-5.0%); 0.5 spreads
 * them over peers one call apart (2.96-3.66%), 0 and 1 do worse or no better (3.75%, 3.06%).
 */
export const DEFAULT_MARGIN = 0.5
export const DEFAULT_STALE_MS = 3000

export interface LeastLoadedParams {
  /** Candidates within this normalised load of the least are equally good. Default 0.25. */
  margin?: number
  /** A load reported longer ago than this is stale: used only when no fresh one will do. Default 3000. */
  staleMs?: number
  /** Default 1. */
  maxHops?: number
}

const MARGIN_SPEC: ParamSpec = { kind: 'number', min: 0, max: 1, about: 'normalised load within which candidates count as least loaded' }
const STALE_SPEC: ParamSpec = { kind: 'int', min: 0, max: 600_000, about: 'age in ms after which a gossiped load is stale' }
export const LEAST_LOADED_PARAMS: ParamSpecs = { margin: MARGIN_SPEC, staleMs: STALE_SPEC, maxHops: MAX_HOPS_SPEC }

/**
 * Decides from the gossiped view alone, never probing: while this node has a free slot the call runs
 * here; once it is full, the call goes to a candidate with a free slot, chosen at random among
 * the near-least loaded (within `margin`) because the view is a little stale and every node reads
 * the same one: always taking the very least would make them all pile onto one peer. Fresh loads
 * (age <= staleMs) are preferred. With no free slot anywhere, a candidate is worth it only if it is
 * less loaded than this node; otherwise the call stays and the executor's queue (or its 429) decides.
 */
export function createLeastLoaded (params: LeastLoadedParams = {}): Policy {
  checkKnownKeys(LEAST_LOADED, params, LEAST_LOADED_PARAMS)
  const margin = checkParam(LEAST_LOADED, 'margin', MARGIN_SPEC, params.margin, DEFAULT_MARGIN)
  const staleMs = checkParam(LEAST_LOADED, 'staleMs', STALE_SPEC, params.staleMs, DEFAULT_STALE_MS)
  const maxHops = checkParam(LEAST_LOADED, 'maxHops', MAX_HOPS_SPEC, params.maxHops, DEFAULT_MAX_HOPS)
  refuseUnusedWithoutHops(LEAST_LOADED, maxHops, params, ['margin', 'staleMs'])
  const pick = (pool: readonly Candidate[], near: number, rng: Rng, why: string): Decision =>
    forwardNearLeast(pool, near, staleMs, rng, why)
  return Object.freeze({
    name: LEAST_LOADED,
    label: `LeastLoaded(margin=${margin}, staleMs=${staleMs}, maxHops=${maxHops})`,
    maxHops,
    parameters: Object.freeze({ margin, staleMs, maxHops }),
    decide: (_req, local, candidates, rng) => {
      if (hasFreeSlot(local)) return { action: 'local', reason: `free slot here (${describeLoad(local)})` }
      const free = candidates.filter(hasFreeSlot)
      if (free.length > 0) {
        const decision = pick(free, margin, rng, `full here (${describeLoad(local)}); ${free.length} candidates with a free slot`)
        // With no room here, a refusal from every free-looking peer would end in a certain 429:
        // the full-looking ones come last, since some will have freed a slot since they said.
        if (decision.action === 'forward' && local.queued >= local.queueCapacity) {
          const rest = candidates.filter(c => !hasFreeSlot(c)).sort(byNormalisedLoad).map(c => c.peerId)
          return { ...decision, peers: [...decision.peers, ...rest] }
        }
        return decision
      }
      const ours = normalisedLoad(local)
      const lower = candidates.filter(c => normalisedLoad(c) < ours)
      if (lower.length === 0) {
        // No room here at all (queue full, or a loss system): refusal here is certain, while a peer
        // may have freed a slot since it last said. Asking costs one round trip each.
        if (local.queued >= local.queueCapacity && candidates.length > 0) {
          return { action: 'forward', peers: [...candidates].sort(byNormalisedLoad).map(c => c.peerId), reason: `no room here (${describeLoad(local)}); peers may have freed a slot since their last report` }
        }
        return { action: 'local', reason: `full here (${describeLoad(local)}) and no candidate less loaded` }
      }
      // Nobody has a free slot: the least loaded only, ties at random; a margin here could pick a
      // peer barely better than staying.
      return pick(lower, 0, rng, `full everywhere; ${lower.length} candidates less loaded than here (${describeLoad(local)})`)
    }
  } satisfies Policy)
}

function forwardNearLeast (pool: readonly Candidate[], margin: number, staleMs: number, rng: Rng, reason: string): Decision {
  const isFresh = (c: Candidate): boolean => c.ageMs <= staleMs
  const fresh = pool.filter(isFresh)
  const chosen = pickNearLeast(fresh.length > 0 ? fresh : pool, normalisedLoad, margin, rng)
  // Fallbacks: fresh before stale, each least loaded first.
  const rest = pool.filter(c => c !== chosen)
  const ordered = [...rest.filter(isFresh).sort(byNormalisedLoad), ...rest.filter(c => !isFresh(c)).sort(byNormalisedLoad)]
  return { action: 'forward', peers: [chosen, ...ordered].map(c => c.peerId), reason }
}
