import { checkKnownKeys, checkParam, DEFAULT_MAX_HOPS, MAX_HOPS_SPEC, type ParamSpecs } from './params.js'
import type { Policy } from './types.js'

export const ROUND_ROBIN = 'round-robin'

export interface RoundRobinParams {
  /** Default 1. */
  maxHops?: number
}

export const ROUND_ROBIN_PARAMS: ParamSpecs = { maxHops: MAX_HOPS_SPEC }

// Plain code-unit order, not localeCompare: the cycle must not depend on the host's locale.
const byCodeUnit = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0

/**
 * The ids in peer-id order, starting with the first one after `last` and wrapping round: the next
 * in the cycle first, then the others in cycle order. The cursor is the last id chosen rather than
 * an index, so an id joining or leaving neither resets the cycle nor makes it skip someone.
 */
export function inCycleOrder (ids: readonly string[], last: string | undefined): string[] {
  const sorted = [...new Set(ids)].sort(byCodeUnit)
  const after = last === undefined ? 0 : sorted.findIndex(id => id > last)
  const start = after < 0 ? 0 : after
  return [...sorted.slice(start), ...sorted.slice(0, start)]
}

/**
 * Each node cycles through its candidates in peer-id order: the decentralised counterpart of
 * round-robin-master (the original's RoundRobinWithMasterScheduler), which sends every call through
 * one master. This policy has state, and it lives in the instance: two instances never share a cursor.
 */
export function createRoundRobin (params: RoundRobinParams = {}): Policy {
  checkKnownKeys(ROUND_ROBIN, params, ROUND_ROBIN_PARAMS)
  const maxHops = checkParam(ROUND_ROBIN, 'maxHops', MAX_HOPS_SPEC, params.maxHops, DEFAULT_MAX_HOPS)
  let last: string | undefined
  return Object.freeze({
    name: ROUND_ROBIN,
    label: `RoundRobin(maxHops=${maxHops})`,
    maxHops,
    parameters: Object.freeze({ maxHops }),
    decide: (_req, _local, candidates) => {
      // The chosen peer first, then the others in cycle order as fallbacks.
      const peers = inCycleOrder(candidates.map(c => c.peerId), last)
      last = peers[0]
      return { action: 'forward', peers, reason: `round-robin forwards to the next of ${peers.length} candidates` }
    }
  } satisfies Policy)
}
