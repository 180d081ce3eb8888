import { describeLoad, runHere, totalLoad } from './load.js'
import type { SlotLoad } from '../rules.js'
import { checkKnownKeys, checkParam, DEFAULT_MAX_HOPS, LOSS_SPEC, MAX_HOPS_SPEC, refuseUnusedWithoutHops, type ParamSpec, type ParamSpecs } from './params.js'
import { pickOne, sampleDistinct } from './sampling.js'
import type { Decision, LocalLoad, Policy, ProbeResult, Rng } from './types.js'

export const THRESHOLD = 'threshold'
export const DEFAULT_F = 1

export interface ThresholdParams {
  /** Fan-out: distinct peers probed once the threshold is reached. Default 1 (the paper's choice). */
  F?: number
  /**
   * Threshold on running+queued at which probing starts. Default: the node's capacity for the
   * function at decision time, i.e. probe only once every slot is busy. The paper's tuned value,
   * "fewer than two free slots", is capacity - 1 (T=2 for its 3-slot nodes).
   */
  T?: number
  /** Reject a call that must run here when no slot is free. Default false. */
  loss?: boolean
  /** Default 1. */
  maxHops?: number
  /**
   * PowerOfNSchedulerTau: a call that finds the threshold reached here is decided only once tau has
   * passed since it arrived, from the load as it is then: if a slot freed meanwhile it runs here,
   * otherwise the probe goes out. Calls below the threshold run at once, as without tau. The node
   * does the waiting (a pure policy has no clock), see `waitBeforeDecideMs`.
   */
  tauMs?: number
}

const F_SPEC: ParamSpec = { kind: 'int', min: 1, max: 16, about: 'distinct peers probed' }
const T_SPEC: ParamSpec = { kind: 'int', min: 0, max: 1024, about: 'running+queued at which probing starts' }
const TAU_SPEC: ParamSpec = {
  kind: 'duration',
  min: 0,
  max: 60_000,
  about: 'PowerOfNSchedulerTau: a call that finds running+queued at or above T waits until tau has passed since its arrival, ' +
    'then is decided from the load at that time (runs here if it fell below T, else probes); calls below T run at once'
}
export const THRESHOLD_PARAMS: ParamSpecs = { F: F_SPEC, T: T_SPEC, loss: LOSS_SPEC, maxHops: MAX_HOPS_SPEC, tauMs: TAU_SPEC }

type Answered = ProbeResult & { load: SlotLoad }

/**
 * LL(F,T) of the TCC paper, the original's PowerOfNScheduler: below the threshold run here, no
 * network cost; at or above it, probe F distinct random peers at decision time and hand off to a
 * random one that is less loaded than this node. Unlike the original, the probes are distinct and a
 * failed probe means "unavailable", never "idle".
 */
export function createThreshold (params: ThresholdParams = {}): Policy {
  checkKnownKeys(THRESHOLD, params, THRESHOLD_PARAMS)
  const F = checkParam(THRESHOLD, 'F', F_SPEC, params.F, DEFAULT_F)
  const T = checkParam<number>(THRESHOLD, 'T', T_SPEC, params.T)
  const loss = checkParam(THRESHOLD, 'loss', LOSS_SPEC, params.loss, false)
  const maxHops = checkParam(THRESHOLD, 'maxHops', MAX_HOPS_SPEC, params.maxHops, DEFAULT_MAX_HOPS)
  const tauMs = checkParam<number>(THRESHOLD, 'tauMs', TAU_SPEC, params.tauMs)
  // loss is not in the list: the hop limit's "run here" honours it.
  refuseUnusedWithoutHops(THRESHOLD, maxHops, params, ['F', 'T', 'tauMs'])
  const shownT = T ?? 'capacity'
  const label = tauMs === undefined
    ? `PowerOfNScheduler(${F}, ${shownT}, ${loss}, ${maxHops})`
    : `PowerOfNSchedulerTau(${F}, ${shownT}, ${loss}, ${maxHops}, ${Math.trunc(tauMs)}ms)`
  return Object.freeze({
    name: THRESHOLD,
    label,
    maxHops,
    parameters: Object.freeze({ F, T: shownT, loss, maxHops, ...(tauMs === undefined ? {} : { tauMs }) }),
    // The original (PowerOfNSchedulerTau) waited only when the threshold was reached, probing at
    // once and sleeping until tau had passed before acting on the answers. Here the wait comes first
    // and the probe after it, so the decision reads loads as they are at tau, not as they were.
    ...(tauMs === undefined ? {} : { waitBeforeDecideMs: (_req, local) => totalLoad(local) >= (T ?? local.capacity) ? tauMs : 0 } satisfies Pick<Policy, 'waitBeforeDecideMs'>),
    decide: (_req, local, candidates, rng) => {
      const threshold = T ?? local.capacity
      const load = totalLoad(local)
      if (load < threshold) return runHere(local, loss, `load ${load} below threshold ${threshold}`)
      const peers = sampleDistinct(candidates, F, rng).map(c => c.peerId)
      return { action: 'probe', peers, reason: `load ${load} reached threshold ${threshold}; probing ${peers.length}` }
    },
    afterProbe: (_req, local, probed, rng) => chooseLower(local, probed, loss, rng)
  } satisfies Policy)
}

/** A random probed peer with a lower running+queued than ours; the other lower ones as fallbacks. */
function chooseLower (local: LocalLoad, probed: readonly ProbeResult[], loss: boolean, rng: Rng): Decision {
  const ours = totalLoad(local)
  // The original read a failed probe as load 0, so a dead peer looked like the best target.
  const answered = probed.filter((p): p is Answered => p.load != null)
  const lower = answered.filter(p => totalLoad(p.load) < ours)
  if (lower.length === 0) {
    const failed = probed.length - answered.length
    return runHere(local, loss, `no probed peer less loaded than here (${describeLoad(local)}); ${failed} of ${probed.length} probes failed`)
  }
  const chosen = pickOne(lower, rng)
  const fallbacks = lower.filter(p => p !== chosen).sort((a, b) => totalLoad(a.load) - totalLoad(b.load))
  return {
    action: 'forward',
    peers: [chosen, ...fallbacks].map(p => p.peerId),
    reason: `${lower.length} of ${probed.length} probed peers less loaded than here (${describeLoad(local)})`
  }
}
