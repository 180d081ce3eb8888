import { runHere } from './load.js'
import { shuffled } from './sampling.js'
import type { Candidate, Decision, LocalLoad, Policy, ProbeResult, Rng, SchedulingRequest } from './types.js'

/**
 * The rules every policy shares, applied before it; the invoke service calls these, never a
 * policy's own `decide`, so no policy can forget one. In order:
 * 1. bypass (X-P2pfaas-Scheduler-Bypass) runs here, whatever else holds;
 * 2. a call that made maxHops hand-offs runs here (the original always sent hops=1, so its chains
 *    never stopped);
 * 3. candidates on the call's path are dropped (the caller filters them too; a loop costs a lot);
 * 4. a forced forward (X-P2pfaas-Scheduler-Forward) goes to a uniformly random candidate;
 * 5. no candidate left: run here (unless the policy is `offered` 'all-holders': then it decides);
 * 6. otherwise the policy decides, and its answer is checked to name only candidates; before
 *    asking it, the invoke service waits as long as `waitBeforeDeciding` says (PowerOfNSchedulerTau).
 * "Run here" rejects instead when the policy is in loss mode and no slot is free.
 */
export function decide (policy: Policy, req: SchedulingRequest, local: LocalLoad, candidates: readonly Candidate[], rng: Rng): Decision {
  return decideTraced(policy, req, local, candidates, rng).decision
}

/** A decision, and whether the policy made it (false: one of the shared rules did, before asking it). */
export interface TracedDecision {
  decision: Decision
  byPolicy: boolean
}

/** As `decide`, telling who decided: what a policy learning from its outcomes needs to know. */
export function decideTraced (policy: Policy, req: SchedulingRequest, local: LocalLoad, candidates: readonly Candidate[], rng: Rng): TracedDecision {
  const byRule = (decision: Decision): TracedDecision => ({ decision, byPolicy: false })
  const usable = offPath(candidates, req.path)
  const loss = isLossMode(policy)
  switch (sharedRule(policy, req, usable)) {
    case 'bypass': return byRule({ action: 'local', reason: 'bypass requested' })
    case 'hop-limit': return byRule(runHere(local, loss, `hop limit reached (${req.hops} of ${policy.maxHops})`))
    case 'forced': return byRule({ action: 'forward', peers: shuffled(usable, rng).map(c => c.peerId), reason: 'forward requested' })
    case 'no-candidate': return byRule(runHere(local, loss, req.forceForward ? 'forward requested but no candidate' : 'no candidate'))
    case undefined: return { decision: checked(policy, 'decide', policy.decide(req, local, usable, rng), usable.map(c => c.peerId)), byPolicy: true }
  }
}

type SharedRule = 'bypass' | 'hop-limit' | 'forced' | 'no-candidate'

/** Which shared rule decides the call, in the documented order; undefined: the policy decides. */
function sharedRule (policy: Policy, req: SchedulingRequest, usable: readonly Candidate[]): SharedRule | undefined {
  if (req.bypass) return 'bypass'
  if (req.hops >= policy.maxHops) return 'hop-limit'
  if (req.forceForward && usable.length > 0) return 'forced'
  if (usable.length === 0 && policy.offered !== 'all-holders') return 'no-candidate'
  return undefined
}

/**
 * How long after the call's arrival the node should decide (ms): the policy's
 * `waitBeforeDecideMs`, but only when the policy would be asked at all. A call a shared rule
 * decides (bypass, hop limit, forced forward, no candidate) never waits: the wait is the policy's
 * and it would not be asked. A negative, NaN or infinite answer is a bug, not a wait: it throws.
 */
export function waitBeforeDeciding (policy: Policy, req: SchedulingRequest, local: LocalLoad, candidates: readonly Candidate[]): number {
  if (policy.waitBeforeDecideMs === undefined) return 0
  if (sharedRule(policy, req, offPath(candidates, req.path)) !== undefined) return 0
  const ms = policy.waitBeforeDecideMs(req, local)
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`scheduling policy ${policy.name} asked to wait ${String(ms)} ms before deciding`)
  return ms
}

/**
 * For a policy that answered `probe`: decides from the probes' answers. Peers on the call's path are
 * dropped again, and the answer may only forward to a peer that was probed.
 */
export function afterProbe (policy: Policy, req: SchedulingRequest, local: LocalLoad, probed: readonly ProbeResult[], rng: Rng): Decision {
  if (policy.afterProbe === undefined) {
    throw new Error(`scheduling policy ${policy.name} does not probe, so it has no afterProbe`)
  }
  const usable = offPath(probed, req.path)
  const decision = checked(policy, 'afterProbe', policy.afterProbe(req, local, usable, rng), usable.map(p => p.peerId))
  if (decision.action === 'probe') throw new Error(`scheduling policy ${policy.name} asked to probe again after probing`)
  return decision
}

/** Loss mode is a parameter of the policies that have it (local, threshold): `loss: true`. */
export function isLossMode (policy: Policy): boolean {
  return policy.parameters.loss === true
}

/** Off the path and each peer once: a peer listed twice would be tried twice. */
function offPath<T extends { peerId: string }> (peers: readonly T[], path: readonly string[]): T[] {
  const seen = new Set(path)
  const out: T[] = []
  for (const p of peers) {
    if (seen.has(p.peerId)) continue
    seen.add(p.peerId)
    out.push(p)
  }
  return out
}

/**
 * A policy naming a peer it was not given is a bug (it would send a call somewhere unchecked:
 * without the function, on the path, or made up), so it fails loudly rather than being turned into
 * some default decision. Duplicates are harmless and dropped.
 */
function checked (policy: Policy, step: string, decision: Decision, allowed: readonly string[]): Decision {
  if (decision.action !== 'forward' && decision.action !== 'probe') return decision
  const ok = new Set(allowed)
  const stranger = decision.peers.find(id => !ok.has(id))
  if (stranger !== undefined) {
    throw new Error(`scheduling policy ${policy.name} (${step}) named peer ${stranger}, which is not a candidate`)
  }
  if (decision.peers.length === 0) {
    throw new Error(`scheduling policy ${policy.name} (${step}) answered ${decision.action} with no peer`)
  }
  return { ...decision, peers: [...new Set(decision.peers)] }
}
