import type { SlotLoad } from '../rules.js'

/**
 * Scheduling policies are pure functions of (request, local load, candidates, rng): no I/O, no
 * clock, no globals, so every decision can be replayed in a unit test with a seeded rng. The invoke
 * service does the I/O around them: gathering candidates from the mesh view, probing, forwarding.
 */

/** Uniform in [0, 1). Injected, so tests and experiments can seed it. */
export type Rng = () => number

export interface SchedulingRequest {
  /** The function called. */
  function: string
  /** This node's PeerId (as `peerId.toString()` gives it): for a policy whose nodes have roles, such as a master. */
  self: string
  /** Hand-offs made so far: 0 at the node the client called. */
  hops: number
  /** Peer ids the call has visited, origin first, this node excluded. */
  path: readonly string[]
  /** X-P2pfaas-Scheduler-Bypass: run here whatever the policy says. */
  bypass: boolean
  /** X-P2pfaas-Scheduler-Forward: hand it off if any candidate exists. */
  forceForward: boolean
  /** The call's id, the same in the CallOutcome `observe` is told: pairs a decision with how it ended. */
  callId?: string
  /**
   * The call's task type, 0 to 63: the X-P2pfaas-Scheduler-Learning-Task-Type header, else the
   * function's `p2pfaas.task-type` label; absent when neither says.
   */
  taskType?: number
  /** Time within which the call's answer is wanted (ms): the function's `p2pfaas.deadline` label. */
  deadlineMs?: number
  /**
   * Calls running and waiting on this node per task type, every function counted (untyped calls
   * without `taskType`). Given by the node; absent in a caller that does not count them.
   */
  typeLoad?: readonly TypeLoad[]
}

/** This node's calls of one task type: running (holding a slot) and queued (waiting for one). */
export interface TypeLoad {
  /** Absent: calls with no task type. */
  taskType?: number
  running: number
  queued: number
}

/** This node's load for the function called; capacity is its slots (concurrency). */
export interface LocalLoad extends SlotLoad {
  /** Places in the queue; 0 is a loss system. */
  queueCapacity: number
}

/**
 * A peer a call could go to: connected, has the function deployed, not on the call's path, not
 * backing off after refusing calls. Its load is for the function called, as last gossiped (or as
 * its last answer reported).
 */
export interface Candidate extends SlotLoad {
  peerId: string
  /** Milliseconds since this load was reported. */
  ageMs: number
}

/** What a probe of a peer returned; `load` undefined means the probe failed (never read as idle). */
export interface ProbeResult {
  peerId: string
  load?: SlotLoad
}

export type Decision =
  | { action: 'local', reason: string }
  /**
   * Hand off to these peers, most preferred first; the caller tries the next if one refuses before
   * accepting. If every one refuses, the call runs here after all (`ifRefused` 'local', the default)
   * or is refused ('reject': a node of a centralised policy must not quietly run what its master
   * did not place).
   */
  | { action: 'forward', peers: string[], reason: string, ifRefused?: 'local' | 'reject' }
  | { action: 'reject', reason: string }
  /** Probe these peers over the network, then ask `afterProbe`. */
  | { action: 'probe', peers: string[], reason: string }

export interface Policy {
  /** Canonical name: local, random, round-robin, power-of-d, threshold, least-loaded, round-robin-master, learning, or a plugin's. */
  readonly name: string
  /** As the original's X-P2pfaas-Scheduler header shows it, e.g. `PowerOfNScheduler(1, 2, true, 1)`. */
  readonly label: string
  /** Hand-offs a call may make in all. */
  readonly maxHops: number
  /** The parameters in force, for GET /configuration/scheduler and the dashboard. */
  readonly parameters: Readonly<Record<string, string | number | boolean>>
  /**
   * Which members the node offers `decide` as candidates. 'known-load' (the default): those whose
   * load it knows; with none left, the shared rules run the call here without asking the policy.
   * 'all-holders': every member with the function deployed, with its load when known and otherwise
   * as having no slot (running 0, capacity 0, ageMs Infinity: never read as idle); and the policy
   * is asked even with none left, so a centralised one can refuse when its master is not there.
   */
  readonly offered?: 'known-load' | 'all-holders'
  decide(req: SchedulingRequest, local: LocalLoad, candidates: readonly Candidate[], rng: Rng): Decision
  /**
   * How long, counted from the call's arrival at this node, the node waits before deciding (ms); 0
   * or absent: decide at once. Asked only when the policy itself would be asked (no shared rule
   * decides), with the load at arrival. After the wait the node reads its load and the candidates
   * again and calls `decide` with those. Pure, like `decide`: the node owns the clock and does the
   * waiting, bounded by the call's deadline (a deadline that would pass first answers TIMEOUT).
   */
  waitBeforeDecideMs?(req: SchedulingRequest, local: LocalLoad): number
  /** Only for policies that answer `probe`. */
  afterProbe?(req: SchedulingRequest, local: LocalLoad, probed: readonly ProbeResult[], rng: Rng): Decision
  /**
   * Told how each call this policy's node decided ended, once its answer is known: what a learning
   * policy learns from. Runs on the call path, so it must be quick; it never changes the answer.
   */
  observe?(outcome: CallOutcome): void
}

/** A finished call as the node that decided where it runs saw it; what `Policy.observe` is given. */
export interface CallOutcome {
  function: string
  /** The call's id, as in the SchedulingRequest its decision was made from. */
  callId?: string
  /** The call's task type and deadline, as in its SchedulingRequest. */
  taskType?: number
  deadlineMs?: number
  /** Hand-offs the call had made before it reached this node (0: a client called this node). */
  hops: number
  /** What this node decided, after any probe: run here, hand off, or refuse. */
  action: 'local' | 'forward' | 'reject'
  /**
   * False when a rule shared by every policy decided without asking this one (bypass, hop limit,
   * forced forward, no candidate) or overrode its answer (the function is not deployed here).
   */
  byPolicy: boolean
  /**
   * Where the call went to run: a peer id, or 'local' for this node (also when every peer refused a
   * hand-off and it ran here after all). Undefined when it ran nowhere known: refused here, or the
   * peer went away.
   */
  ranOn?: string
  ok: boolean
  /** The error code when not ok: OVERLOADED, TIMEOUT, PEER_LOST, FUNCTION_CRASHED... */
  error?: string
  /** The HTTP status the call was answered with. */
  status: number
  /** From the call's arrival at this node to its answer (ms), as this node measured it. */
  totalMs: number
  /** How long the call waited for a slot where it ran (ms), when known (successful calls). */
  queuedMs?: number
  /** Peers probed for this decision. */
  probes: number
}
