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
 * Each node cycles through its candidates in peer-id order: the decentralised stand-in for the
 * original's RoundRobinWithMasterScheduler, which needed one master. The cursor is the last peer id
 * chosen rather than an index, so a peer joining or leaving the view neither resets the cycle nor
 * makes it skip someone. This is the one policy with state, and it lives in the instance: two
 * instances never share a cursor.
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
      const ids = candidates.map(c => c.peerId).sort(byCodeUnit)
      const after = last === undefined ? 0 : ids.findIndex(id => id > (last as string))
      const start = after < 0 ? 0 : after
      // The chosen peer first, then the others in cycle order as fallbacks.
      const peers = [...ids.slice(start), ...ids.slice(0, start)]
      last = peers[0]
      return { action: 'forward', peers, reason: `round-robin forwards to the next of ${ids.length} candidates` }
    }
  } satisfies Policy)
}
