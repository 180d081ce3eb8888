import { PolicyError } from './errors.js'
import { runHere } from './load.js'
import { checkKnownKeys, checkParam, LOSS_SPEC, MAX_HOPS_LIMIT, type ParamSpec, type ParamSpecs } from './params.js'
import { inCycleOrder } from './round-robin.js'
import type { Policy } from './types.js'

export const ROUND_ROBIN_MASTER = 'round-robin-master'
/** A client's call to a node, on to the master, on to the node the master chose: two hand-offs. */
export const DEFAULT_MASTER_HOPS = 2

export interface RoundRobinMasterParams {
  /** The master's PeerId, the node every call goes through. Required. */
  master?: string
  /**
   * The original's first parameter: whether this node is the master. Here a node knows that from
   * its PeerId; when given it is checked against it, and a node where they disagree refuses every
   * call, saying why (a wrong configuration must not pass for a working baseline).
   */
  isMaster?: boolean
  /** Reject a call that must run here when no slot is free, instead of queueing it. Default false. */
  loss?: boolean
  /** Default 2: to the master, then to the node it chose. 1: the master runs every call sent to it. */
  maxHops?: number
}

const MASTER_SPEC: ParamSpec = { kind: 'peer-id', about: 'the master node, through which every call goes' }
const IS_MASTER_SPEC: ParamSpec = {
  kind: 'bool',
  about: 'the original\'s first parameter, whether this node is the master; checked against this node\'s PeerId (a mismatch refuses every call)'
}
// At least 1: with none, no call would reach the master and `master` would be ignored.
const MASTER_HOPS_SPEC: ParamSpec = { kind: 'int', min: 1, max: MAX_HOPS_LIMIT, about: 'hand-offs a call may make in all; 2 lets it go to the master and on to the node the master chose' }
export const ROUND_ROBIN_MASTER_PARAMS: ParamSpecs = { master: MASTER_SPEC, isMaster: IS_MASTER_SPEC, loss: LOSS_SPEC, maxHops: MASTER_HOPS_SPEC }

/**
 * The papers' centralised baseline, the original's RoundRobinWithMasterScheduler: a baseline to
 * measure the decentralised policies against, not a way to run a fleet (the master is a single
 * point of failure and a bottleneck). Every node sends each call a client made to it to the master;
 * the master places calls in turn over a stable, sorted list of itself and every other node with the
 * function deployed, whatever their load. A node that received a call from the master runs it.
 *
 * Where the original differs: its master only dispatched (refusing calls sent to it directly) and
 * was named by IP. Here the master takes its turn and its own clients' calls, and is named by
 * PeerId. As in the original, a master that cannot be reached fails the call (429 with the reason)
 * rather than running it where it arrived. A call never visits a node twice, so the master skips the
 * call's own origin, which it came from.
 *
 * Pure but for the cycle's cursor, which lives in the instance (as round-robin's).
 */
export function createRoundRobinMaster (params: RoundRobinMasterParams = {}): Policy {
  checkKnownKeys(ROUND_ROBIN_MASTER, params, ROUND_ROBIN_MASTER_PARAMS)
  const master = checkParam<string>(ROUND_ROBIN_MASTER, 'master', MASTER_SPEC, params.master)
  if (master === undefined) {
    throw new PolicyError(`${ROUND_ROBIN_MASTER}: master is required, the PeerId of the node every call goes through (${ROUND_ROBIN_MASTER}:master=12D3KooW…)`)
  }
  const isMaster = checkParam<boolean>(ROUND_ROBIN_MASTER, 'isMaster', IS_MASTER_SPEC, params.isMaster)
  const loss = checkParam(ROUND_ROBIN_MASTER, 'loss', LOSS_SPEC, params.loss, false)
  const maxHops = checkParam(ROUND_ROBIN_MASTER, 'maxHops', MASTER_HOPS_SPEC, params.maxHops, DEFAULT_MASTER_HOPS)
  // The original's label when the original could have said it; ours otherwise.
  const label = isMaster !== undefined && maxHops === DEFAULT_MASTER_HOPS
    ? `RoundRobinWithMasterScheduler(${isMaster}, ${master}, ${loss})`
    : `RoundRobinWithMaster(master=${master}, loss=${loss}, maxHops=${maxHops})`
  let last: string | undefined
  return Object.freeze({
    name: ROUND_ROBIN_MASTER,
    label,
    maxHops,
    parameters: Object.freeze({ master, ...(isMaster === undefined ? {} : { isMaster }), loss, maxHops }),
    // The master cycles over every holder, not only those whose load it knows; a node must refuse,
    // not run here, when the master is not among its candidates at all.
    offered: 'all-holders',
    decide: (req, local, candidates) => {
      const here = req.self === master
      if (isMaster !== undefined && isMaster !== here) {
        return { action: 'reject', reason: `misconfigured: isMaster=${isMaster}, but this node ${here ? 'is' : 'is not'} the master ${master}` }
      }
      if (!here) {
        if (req.hops > 0) return runHere(local, loss, `handed over (hop ${req.hops}): runs where it was placed`)
        if (!candidates.some(c => c.peerId === master)) {
          return { action: 'reject', reason: `the master ${master} is out of reach (not a member with ${req.function} deployed, or refusing calls)` }
        }
        return { action: 'forward', peers: [master], reason: 'every call goes through the master', ifRefused: 'reject' }
      }
      const cycle = inCycleOrder([req.self, ...candidates.map(c => c.peerId)], last)
      last = cycle[0]
      if (cycle[0] === req.self) return runHere(local, loss, `the master's turn, in a cycle of ${cycle.length}`)
      // Should the chosen node refuse, the next ones in the cycle, then the master itself (ifRefused: local).
      return { action: 'forward', peers: cycle.filter(id => id !== req.self), reason: `the next in a cycle of ${cycle.length}, the master included` }
    }
  } satisfies Policy)
}
