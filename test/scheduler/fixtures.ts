import type { Candidate, Decision, LocalLoad, ProbeResult, SchedulingRequest } from '../../src/scheduler/types.js'

export function req (over: Partial<SchedulingRequest> = {}): SchedulingRequest {
  return { function: 'echo', self: 'SELF', hops: 0, path: [], bypass: false, forceForward: false, ...over }
}

export function here (running: number, queued = 0, capacity = 4, queueCapacity = 4): LocalLoad {
  return { running, queued, capacity, queueCapacity }
}

export function cand (peerId: string, running: number, queued = 0, capacity = 4, ageMs = 0): Candidate {
  return { peerId, running, queued, capacity, ageMs }
}

export function probe (peerId: string, running?: number, queued = 0, capacity = 4): ProbeResult {
  return running === undefined ? { peerId } : { peerId, load: { running, queued, capacity } }
}

/** The peers a decision names (forward or probe), or none. */
export function peersOf (d: Decision): string[] {
  return d.action === 'forward' || d.action === 'probe' ? d.peers : []
}

/** The chosen peer of a forward; undefined for any other action. */
export function chosen (d: Decision): string | undefined {
  return d.action === 'forward' ? d.peers[0] : undefined
}

/** How often each outcome came up: "local", "reject", "probe" or the chosen peer id. */
export function tally (decisions: Decision[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const d of decisions) {
    const key = d.action === 'forward' ? d.peers[0] as string : d.action
    out.set(key, (out.get(key) ?? 0) + 1)
  }
  return out
}
