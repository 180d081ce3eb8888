import { percentile, type CallRecord, type Outcome } from '../bench/summary.js'
import { estimate, type Estimate } from './stats.js'
import type { ExperimentSpec } from './spec.js'
import type { ExperimentArrival } from './workload.js'

/**
 * What an experiment measured: every call of every run, each run's summary, and per (policy, ρ)
 * the mean over repetitions with its 95 % interval. Pure: no clock, no I/O.
 */

/** One call as the experiment's files list it. */
export interface ExperimentCall {
  rep: number
  policy: string
  rho: number
  /** The node it was sent to (index in the spec), and that node's PeerId or URL. */
  node: number
  target: string
  task: string
  workMs: number
  /** ms after the run started: when it was due, sent, answered (null when never sent). */
  scheduledMs: number
  startMs: number
  endMs: number | null
  responseMs: number | null
  outcome: Outcome
  status: number
  code: string
  /** The node it ran on (or was refused by): PeerId, and its index when it is one of the run's nodes. */
  ranOn: string
  ranOnNode: number | null
  hops: number
  forwarded: boolean
  /** Answered successfully within its task type's deadline (any success, for a type without one). */
  withinDeadline: boolean
  /** Sent during the warm-up: in the files and figure 3, not in the summaries. */
  warmup: boolean
  /** The executing node's own execution time, ms (null when not reported). */
  execMs: number | null
}

export interface RunContext {
  spec: ExperimentSpec
  rep: number
  policy: string
  rho: number
  /** Index in the spec of each target, by the label its records carry, and of each PeerId. */
  nodeOfTarget: ReadonlyMap<string, number>
  nodeOfPeer: ReadonlyMap<string, number>
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000

/** The runner's records, one per arrival in schedule order, joined with what was sent. */
export function toCalls (records: readonly CallRecord[], arrivals: readonly ExperimentArrival[], ctx: RunContext): ExperimentCall[] {
  return records.map((r, i): ExperimentCall => {
    const a = arrivals[i]!
    // The runner keeps the schedule's order; a mismatch would pair calls with the wrong task types.
    if (Math.abs(a.atMs - r.scheduledMs) > 1e-6) throw new Error(`record ${i} is not arrival ${i} (${r.scheduledMs} vs ${a.atMs} ms)`)
    const task = ctx.spec.tasks[a.task]!
    const responseMs = r.latencyMs
    const ok = r.outcome === 'ok' && responseMs != null
    return {
      rep: ctx.rep,
      policy: ctx.policy,
      rho: round3(ctx.rho),
      node: a.target,
      target: r.target,
      task: task.name,
      workMs: round3(a.workMs),
      scheduledMs: round3(r.scheduledMs),
      startMs: round3(r.startMs),
      endMs: responseMs == null ? null : round3(r.startMs + responseMs),
      responseMs: responseMs == null ? null : round3(responseMs),
      outcome: r.outcome,
      status: r.status,
      code: r.code,
      ranOn: r.ranOn,
      ranOnNode: ctx.nodeOfPeer.get(r.ranOn) ?? ctx.nodeOfTarget.get(r.ranOn) ?? null,
      hops: r.hops,
      forwarded: r.forwarded,
      withinDeadline: ok && (task.deadlineMs == null || responseMs <= task.deadlineMs),
      warmup: r.scheduledMs < ctx.spec.warmupMs,
      execMs: r.execMs == null ? null : round3(r.execMs)
    }
  })
}

/** Was the machine, not the policy, the limit? Measured beside every run. */
export interface MachineCheck {
  /** How late the generator sent calls against their schedule. */
  sendLagP99Ms: number
  sendLagMaxMs: number
  /** This process's event-loop delay (monitorEventLoopDelay) and busy share during the run. */
  cliLoopDelayP99Ms: number
  cliLoopBusy: number
  /** Each node's CPU over the run, share of one core (from its /metrics); null when not readable. */
  nodeCpuMax: number | null
  nodeCpuMean: number | null
  /** Executing nodes' timer lateness: execution time reported minus the work asked (at their speed), p99. */
  nodeLatenessP99Ms: number | null
  wallMs: number
}

export interface RunSummary {
  rep: number
  policy: string
  rho: number
  /** Calls per second offered to the whole mesh. */
  offeredRate: number
  interrupted: boolean
  /** After the warm-up: arrivals, and of them sent (not dropped by the cap). */
  arrivals: number
  sent: number
  ok: number
  rejected: number
  errors: number
  dropped: number
  /** rejected / sent. */
  pB: number
  /** Of the successful calls, ms. */
  meanMs: number
  p99Ms: number
  /** Of the successful calls, the share that ran on another node than the one called. */
  forwardedShare: number
  /** Of the sent calls, the share answered successfully within its type's deadline. */
  withinDeadline: number
  machine: MachineCheck
}

export function summariseRun (calls: readonly ExperimentCall[], ctx: { rep: number, policy: string, rho: number, offeredRate: number, interrupted: boolean, machine: MachineCheck }): RunSummary {
  const counted = calls.filter(c => !c.warmup)
  const sent = counted.filter(c => c.outcome !== 'dropped')
  const ok = sent.filter(c => c.outcome === 'ok')
  const rt = Float64Array.from(ok.map(c => c.responseMs ?? NaN)).sort()
  const n = (o: Outcome): number => counted.filter(c => c.outcome === o).length
  return {
    rep: ctx.rep,
    policy: ctx.policy,
    rho: round3(ctx.rho),
    offeredRate: round3(ctx.offeredRate),
    interrupted: ctx.interrupted,
    arrivals: counted.length,
    sent: sent.length,
    ok: ok.length,
    rejected: n('rejected'),
    errors: n('error'),
    dropped: n('dropped'),
    pB: sent.length === 0 ? NaN : n('rejected') / sent.length,
    meanMs: rt.length === 0 ? NaN : rt.reduce((a, b) => a + b, 0) / rt.length,
    p99Ms: percentile(rt, 99),
    forwardedShare: ok.length === 0 ? NaN : ok.filter(c => c.forwarded).length / ok.length,
    withinDeadline: sent.length === 0 ? NaN : sent.filter(c => c.withinDeadline).length / sent.length,
    machine: ctx.machine
  }
}

/** Figure 3's data: per window of the run (warm-up included), calls sent and those within deadline. */
export interface Timeline { policy: string, rho: number, windowMs: number, sent: number[], within: number[] }

/** Adds one run's calls to the (policy, ρ) timeline: repetitions pool their counts window by window. */
export function addToTimeline (timeline: Timeline, calls: readonly ExperimentCall[]): void {
  for (const c of calls) {
    if (c.outcome === 'dropped') continue
    const w = Math.floor(c.scheduledMs / timeline.windowMs)
    while (timeline.sent.length <= w) { timeline.sent.push(0); timeline.within.push(0) }
    timeline.sent[w]!++
    if (c.withinDeadline) timeline.within[w]!++
  }
}

/** About 30 windows over a run, at least 100 ms each, unless the spec says. */
export const windowOf = (spec: ExperimentSpec): number => spec.windowMs ?? Math.max(100, Math.round((spec.warmupMs + spec.durationMs) / 30))

export const METRICS = ['pB', 'meanMs', 'p99Ms', 'forwardedShare', 'withinDeadline'] as const
export type Metric = typeof METRICS[number]

export interface Aggregate {
  policy: string
  rho: number
  /** Repetitions that ran to the end (an interrupted run is kept in the files, not averaged in). */
  repetitions: number
  metrics: Record<Metric, Estimate>
  /** The worst of the repetitions' machine checks. */
  machine: MachineCheck
}

const worst = (runs: readonly RunSummary[], pick: (m: MachineCheck) => number | null): number | null => {
  const xs = runs.map(r => pick(r.machine)).filter((v): v is number => v != null && Number.isFinite(v))
  return xs.length === 0 ? null : Math.max(...xs)
}

/** Per (policy, ρ), in the order runs were made: the mean of each metric over repetitions, with its interval. */
export function aggregate (runs: readonly RunSummary[]): Aggregate[] {
  const groups = new Map<string, RunSummary[]>()
  for (const r of runs.filter(r => !r.interrupted)) {
    const key = `${r.policy}\u0000${r.rho}`
    groups.set(key, [...groups.get(key) ?? [], r])
  }
  return [...groups.values()].map(rs => ({
    policy: rs[0]!.policy,
    rho: rs[0]!.rho,
    repetitions: rs.length,
    metrics: Object.fromEntries(METRICS.map(m => [m, estimate(rs.map(r => r[m]))])) as Record<Metric, Estimate>,
    machine: {
      sendLagP99Ms: worst(rs, m => m.sendLagP99Ms) ?? NaN,
      sendLagMaxMs: worst(rs, m => m.sendLagMaxMs) ?? NaN,
      cliLoopDelayP99Ms: worst(rs, m => m.cliLoopDelayP99Ms) ?? NaN,
      cliLoopBusy: worst(rs, m => m.cliLoopBusy) ?? NaN,
      nodeCpuMax: worst(rs, m => m.nodeCpuMax),
      nodeCpuMean: worst(rs, m => m.nodeCpuMean),
      nodeLatenessP99Ms: worst(rs, m => m.nodeLatenessP99Ms),
      wallMs: rs.reduce((s, r) => s + r.machine.wallMs, 0)
    }
  }))
}

/** Lateness of each executing node's timer: what it reported minus the work at its speed. */
export function nodeLateness (calls: readonly ExperimentCall[], spec: ExperimentSpec): number | null {
  const late = calls.flatMap(c => c.outcome === 'ok' && c.execMs != null && c.ranOnNode != null
    ? [c.execMs - c.workMs / spec.nodes[c.ranOnNode]!.speed]
    : [])
  if (late.length === 0) return null
  return percentile(Float64Array.from(late).sort(), 99)
}
