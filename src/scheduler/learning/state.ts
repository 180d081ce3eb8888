import type { Candidate, LocalLoad, SchedulingRequest } from '../types.js'

/**
 * What the learning agent sees of a call and of the node, made coarse on purpose: the table has a
 * row per state, so every count is capped (a bucket "3 or more"), which keeps it small enough to
 * learn in minutes and to persist in a few kilobytes.
 *
 * A state is the original's (the call's task type, and this node's running and queued calls per
 * type) plus two things the original did not have and a decision here depends on:
 * - `here`: room for the function called on this node: 2+ free slots, 1, none but queue room, none
 *   at all (the original had one function, so its per-type counts said it);
 * - `peer`: the most free slots among the candidates, from the gossiped load: 0, 1, 2+.
 * Key: `<type>|<running,queued per type>|h<here>|p<peer>`, e.g. `1|20.01|h1|p2`.
 */
export const RUNNING_LEVELS = 4
export const QUEUED_LEVELS = 3
const level = (n: number, levels: number): number => Math.max(0, Math.min(levels - 1, Math.floor(n)))

/** The task type the table uses: a type the policy does not cover, or none, is learnt as type 0. */
export function typeIndex (taskType: number | undefined, taskTypes: number): { index: number, covered: boolean } {
  return taskType !== undefined && taskType < taskTypes ? { index: taskType, covered: true } : { index: 0, covered: false }
}

/**
 * Calls here per task type, folded onto the policy's types. A caller that gives no per-type counts
 * (`typeLoad` absent) has the function's own load counted as the call's type's.
 */
export function loadPerType (req: SchedulingRequest, local: LocalLoad, taskTypes: number): Array<{ running: number, queued: number }> {
  const out = Array.from({ length: taskTypes }, () => ({ running: 0, queued: 0 }))
  if (req.typeLoad === undefined) {
    const own = out[typeIndex(req.taskType, taskTypes).index]!
    own.running = local.running
    own.queued = local.queued
    return out
  }
  for (const t of req.typeLoad) {
    const slot = out[typeIndex(t.taskType, taskTypes).index]!
    slot.running += t.running
    slot.queued += t.queued
  }
  return out
}

/** 2: two or more free slots; 1: one; 0: none free but room in the queue; -1: no room at all (or not deployed). */
export function roomHere (local: LocalLoad): number {
  const free = local.capacity - local.running
  if (free >= 2) return 2
  if (free === 1) return 1
  return local.capacity > 0 && local.queued < local.queueCapacity ? 0 : -1
}

/** The most free slots among the candidates (0, 1 or 2 for 2+); a queued call takes a slot as it frees. */
export function roomAtPeers (candidates: readonly Candidate[]): number {
  let best = 0
  for (const c of candidates) best = Math.max(best, c.capacity - c.running - c.queued)
  return level(best, 3)
}

export function stateKey (type: number, perType: ReadonlyArray<{ running: number, queued: number }>, here: number, peer: number): string {
  const loads = perType.map(l => `${level(l.running, RUNNING_LEVELS)}${level(l.queued, QUEUED_LEVELS)}`).join('.')
  return `${type}|${loads}|h${here}|p${peer}`
}

/**
 * The actions, by index: refuse; run here; probe one random candidate and hand the call to it when
 * it is less loaded than this node; hand it to the candidate at position i in PeerId order. The
 * last kind exists for the first `peers` candidates only (the table grows with it), and only those
 * present are valid for a call.
 */
export const REJECT = 0
export const LOCAL = 1
export const PROBE = 2
export const FIRST_PEER = 3

export function actionNames (peers: number): string[] {
  return ['reject', 'local', 'probe', ...Array.from({ length: peers }, (_, i) => `peer-${i}`)]
}

export function validActions (peers: number, candidates: number): number[] {
  const out = candidates > 0 ? [REJECT, LOCAL, PROBE] : [REJECT, LOCAL]
  for (let i = 0; i < Math.min(peers, candidates); i++) out.push(FIRST_PEER + i)
  return out
}
