/**
 * Deadline-aware: a call should finish within `deadlineMs`. It runs here when this node's expected
 * response time (expected wait for a slot + mean service time) makes the deadline; otherwise it goes
 * to the peers that make it, soonest first; when nobody does, it is refused at once (a fast 429 the
 * client can act on, rather than a late answer nobody wants).
 *
 * Expected wait at a node with no free slot: the call is served once `queued + 1` calls ahead of it
 * have left, and `capacity` slots each free one per `serviceMs` on average, so
 * (queued + 1) / capacity × serviceMs; with a free slot it is 0.
 *
 * With `learn=true`, the mean service time starts at `serviceMs` and follows what observe() sees of
 * calls run here (an exponentially weighted mean per function): an example of a policy learning
 * from outcomes.
 *
 *   npm run build
 *   p2pfaas node --policy-module dist/examples/policies/deadline-aware.js \
 *                --policy deadline-aware:deadlineMs=500ms,serviceMs=80ms,learn=true
 */
import type { CallOutcome, Candidate, Decision, LocalLoad, PolicyPlugin, Rng } from 'p2pfaas/scheduler'

const DEFAULT_DEADLINE_MS = 1000
const DEFAULT_SERVICE_MS = 100
/** Weight of a new observation in the learnt mean: about the last 10 calls count. */
const LEARNING_RATE = 0.1

interface Load { running: number, queued: number, capacity: number }

export function expectedWaitMs (load: Load, serviceMs: number): number {
  if (load.capacity <= 0) return Number.POSITIVE_INFINITY
  if (load.running < load.capacity) return 0
  return (load.queued + 1) / load.capacity * serviceMs
}

/** This node also cannot take the call when its queue is full (peers do not tell their queue size). */
function waitHereMs (local: LocalLoad, serviceMs: number): number {
  const full = local.running >= local.capacity && local.queued >= local.queueCapacity
  return full ? Number.POSITIVE_INFINITY : expectedWaitMs(local, serviceMs)
}

function decide (deadlineMs: number, serviceMs: number, local: LocalLoad, candidates: readonly Candidate[], rng: Rng): Decision {
  const here = waitHereMs(local, serviceMs) + serviceMs
  if (here <= deadlineMs) return { action: 'local', reason: `expected ${Math.round(here)} ms here, deadline ${deadlineMs} ms` }
  // Random order first, so peers with the same expected time share the calls (the sort is stable).
  const shuffled = candidates.map(c => ({ c, key: rng() })).sort((a, b) => a.key - b.key).map(x => x.c)
  const able = shuffled
    .map(c => ({ peerId: c.peerId, ms: expectedWaitMs(c, serviceMs) + serviceMs }))
    .filter(p => p.ms <= deadlineMs)
    .sort((a, b) => a.ms - b.ms)
  if (able.length === 0) {
    return { action: 'reject', reason: `no node expected within ${deadlineMs} ms (here ${Number.isFinite(here) ? Math.round(here) : 'full'}, ${candidates.length} peers)` }
  }
  return { action: 'forward', peers: able.map(p => p.peerId), reason: `expected ${Math.round(able[0]!.ms)} ms at the best of ${able.length} peers, ${Number.isFinite(here) ? Math.round(here) : 'no room'} here` }
}

const deadlineAware: PolicyPlugin = {
  name: 'deadline-aware',
  about: 'run where the call is expected to finish within a deadline; refuse it when nowhere is',
  parameters: {
    deadlineMs: { kind: 'duration', min: 1, max: 600_000, about: 'time within which a call should finish' },
    serviceMs: { kind: 'duration', min: 0.001, max: 600_000, about: 'mean service time of a call (the first estimate, with learn)' },
    learn: { kind: 'bool', about: 'follow the mean service time of calls run here' }
  },
  create (params) {
    const deadlineMs = typeof params.deadlineMs === 'number' ? params.deadlineMs : DEFAULT_DEADLINE_MS
    const serviceMs = typeof params.serviceMs === 'number' ? params.serviceMs : DEFAULT_SERVICE_MS
    const learn = params.learn === true
    // Per instance, per function: each POST /configuration/scheduler starts learning afresh.
    const learnt = new Map<string, number>()
    const meanFor = (fn: string): number => learnt.get(fn) ?? serviceMs
    return {
      parameters: { deadlineMs, serviceMs, learn },
      label: `DeadlineAware(deadline=${deadlineMs}ms, service=${serviceMs}ms${learn ? ', learning' : ''})`,
      decide: (req, local, candidates, rng) => decide(deadlineMs, meanFor(req.function), local, candidates, rng),
      observe: learn
        ? (outcome: CallOutcome) => {
            // Only calls run here tell this node's service time; queue time is not service.
            if (!outcome.ok || outcome.ranOn !== 'local' || outcome.queuedMs === undefined) return
            const sample = Math.max(0, outcome.totalMs - outcome.queuedMs)
            learnt.set(outcome.function, meanFor(outcome.function) * (1 - LEARNING_RATE) + sample * LEARNING_RATE)
          }
        : undefined
    }
  }
}

export default deadlineAware
