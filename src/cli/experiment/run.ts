import { availableParallelism } from 'node:os'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { startProgress } from '../bench/progress.js'
import { newLiveCounts, runOpenLoop, type OpenLoopResult } from '../bench/runner.js'
import { percentile } from '../bench/summary.js'
import { modelAt, modelCurve, type ModelPoint } from './model.js'
import { addToTimeline, aggregate, nodeLateness, summariseRun, toCalls, windowOf, type ExperimentCall, type MachineCheck, type RunSummary, type Timeline } from './results.js'
import { buildArrivals, loadPoints, offeredRates, rhoOf, runSeed, type ExperimentArrival } from './workload.js'
import type { ExperimentMesh } from './mesh.js'
import type { ExperimentOutput, SummaryDocument } from './output.js'
import type { ExperimentSpec, PolicyChoice } from './spec.js'

/**
 * The experiment's loop: for each repetition, each load point, each policy, one open-loop run of
 * the same seeded calls through the bench's runner, with the machine measured beside it. Policies
 * are the innermost loop, so the runs they are compared on are made close together in time.
 * Every run's calls and the summaries so far are on disk before the next run starts.
 */

export interface ExperimentRunInit {
  spec: ExperimentSpec
  mesh: ExperimentMesh
  output: ExperimentOutput
  /** Ctrl-C: ends the run in progress (its calls so far are kept) and starts no other. */
  stop: AbortSignal
  /** Where progress and one line per run go (stderr). */
  stream: NodeJS.WriteStream
  /** Fixed facts for summary.json's "experiment" (spec, times, machine). */
  info: Record<string, unknown>
}

export interface ExperimentState {
  runs: RunSummary[]
  timelines: Timeline[]
  modelAtPoints: ModelPoint[]
  modelCurve: ModelPoint[]
  notes: string[]
  totalRuns: number
  interrupted: boolean
}

interface RunPlan { rep: number, point: number, rho: number | null, policy: PolicyChoice, index: number }

function plan (spec: ExperimentSpec): RunPlan[] {
  const out: RunPlan[] = []
  for (let rep = 0; rep < spec.repetitions; rep++) {
    loadPoints(spec).forEach((rho, point) => {
      for (const policy of spec.policies) out.push({ rep, point, rho, policy, index: out.length })
    })
  }
  return out
}

export function summaryDocument (init: ExperimentRunInit, state: ExperimentState, status: SummaryDocument['status']): SummaryDocument {
  return {
    experiment: { ...init.info, runsPlanned: state.totalRuns, runsDone: state.runs.length },
    status,
    mesh: { mode: init.mesh.mode, nodes: init.mesh.nodes },
    runs: state.runs,
    aggregates: aggregate(state.runs),
    modelAtPoints: state.modelAtPoints,
    modelCurve: state.modelCurve,
    timelines: state.timelines,
    notes: state.notes
  }
}

export function newState (spec: ExperimentSpec): ExperimentState {
  return {
    runs: [],
    timelines: [],
    modelAtPoints: loadPoints(spec).map(rho => modelAt(spec, offeredRates(spec, rho), rhoOf(spec, rho))),
    modelCurve: modelCurve(spec),
    notes: ['95 % intervals are Student t over repetitions; with one repetition they are null (n/a).',
      'P_B = rejected / sent; response times are of successful calls; within deadline is a share of the sent calls.'],
    totalRuns: plan(spec).length,
    interrupted: false
  }
}

/** Runs every planned run into `state`, writing as it goes; stops early on `init.stop`. */
export async function runExperiment (init: ExperimentRunInit, state: ExperimentState): Promise<void> {
  const { spec, mesh, output } = init
  let arrivals: { key: string, list: ExperimentArrival[] } | undefined
  const nodeOfTarget = new Map(mesh.targets.map((t, i) => [t.label, i]))
  const nodeOfPeer = new Map(mesh.nodes.map(n => [n.peerId, n.index]))
  for (const run of plan(spec)) {
    if (init.stop.aborted) break
    const rates = offeredRates(spec, run.rho)
    const rho = rhoOf(spec, run.rho)
    const key = `${run.rep}/${run.point}`
    if (arrivals?.key !== key) arrivals = { key, list: buildArrivals(spec, rates, runSeed(spec.seed, run.rep, run.point)) }
    const label = `run ${run.index + 1}/${state.totalRuns} ${run.policy.label} ρ=${Number(rho.toFixed(3))} rep ${run.rep + 1}`
    try {
      await mesh.setPolicy(run.policy, init.stop)
      const stale = await mesh.waitIdle(init.stop)
      if (stale != null) {
        state.notes.push(`${label}: started with views still showing peers busy (${stale}); they correct on the peers' next load change`)
        init.stream.write(`${label}: note: views still show peers busy after the mesh went idle (${stale})\n`)
      }
    } catch (err) {
      if (init.stop.aborted) break
      throw err
    }
    const { result, machine } = await measuredRun(init, arrivals.list, label)
    const calls = toCalls(result.records, arrivals.list, { spec, rep: run.rep, policy: run.policy.label, rho, nodeOfTarget, nodeOfPeer })
    machine.nodeLatenessP99Ms = nodeLateness(calls, spec)
    const summary = summariseRun(calls, { rep: run.rep, policy: run.policy.label, rho, offeredRate: rates.reduce((a, b) => a + b, 0), interrupted: result.interrupted, machine })
    state.runs.push(summary)
    // Like the means, figure 3 pools complete runs only: a cut run would weigh on the early windows alone.
    if (!result.interrupted) addToTimeline(timelineOf(state, spec, run.policy.label, summary.rho), calls)
    state.interrupted = result.interrupted
    await output.appendCalls(calls)
    await output.writeSummary(summaryDocument(init, state, 'running'))
    init.stream.write(runLine(label, summary, calls))
  }
  if (init.stop.aborted) state.interrupted = true
}

function timelineOf (state: ExperimentState, spec: ExperimentSpec, policy: string, rho: number): Timeline {
  let t = state.timelines.find(x => x.policy === policy && x.rho === rho)
  if (t == null) {
    t = { policy, rho, windowMs: windowOf(spec), sent: [], within: [] }
    state.timelines.push(t)
  }
  return t
}

const pc = (n: number): string => Number.isFinite(n) ? `${(100 * n).toFixed(1)}%` : '-'

function runLine (label: string, s: RunSummary, calls: readonly ExperimentCall[]): string {
  return `${label}${s.interrupted ? ' (interrupted)' : ''}: ${calls.length} calls (${s.sent} after warm-up: ${s.ok} ok, ${s.rejected} rejected, ${s.errors} errors, ${s.dropped} dropped); ` +
    `P_B ${pc(s.pB)}, mean ${Number.isFinite(s.meanMs) ? s.meanMs.toFixed(0) : '-'} ms, within deadline ${pc(s.withinDeadline)}, forwarded ${pc(s.forwardedShare)}; ` +
    `send lag p99 ${s.machine.sendLagP99Ms.toFixed(1)} ms\n`
}

/** One run through the bench's runner, with this process's event loop and the nodes' CPU measured around it. */
async function measuredRun (init: ExperimentRunInit, arrivals: readonly ExperimentArrival[], label: string): Promise<{ result: OpenLoopResult, machine: MachineCheck }> {
  const { spec, mesh } = init
  const live = newLiveCounts()
  const cpu0 = await mesh.cpuSeconds()
  const loop = monitorEventLoopDelay({ resolution: 5 })
  loop.enable()
  const elu0 = performance.eventLoopUtilization()
  const stopProgress = startProgress({ stream: init.stream, durationMs: spec.warmupMs + spec.durationMs, live, label })
  let result: OpenLoopResult
  try {
    result = await runOpenLoop({ arrivals, targets: mesh.targets, payloads: [new Uint8Array()], cap: spec.cap, timeoutMs: spec.timeoutMs, stop: init.stop, live })
  } finally {
    stopProgress()
    loop.disable()
  }
  const busy = performance.eventLoopUtilization(elu0).utilization
  const cpu1 = await mesh.cpuSeconds()
  const shares = cpu1.flatMap((c, i) => c != null && cpu0[i] != null ? [(c - cpu0[i]!) / (result.wallMs / 1000)] : [])
  const lag = Float64Array.from(result.records.filter(r => r.outcome !== 'dropped').map(r => Math.max(0, r.startMs - r.scheduledMs))).sort()
  return {
    result,
    machine: {
      sendLagP99Ms: percentile(lag, 99),
      sendLagMaxMs: lag.length === 0 ? NaN : lag[lag.length - 1]!,
      cliLoopDelayP99Ms: loop.percentile(99) / 1e6,
      cliLoopBusy: busy,
      nodeCpuMax: shares.length === 0 ? null : Math.max(...shares),
      nodeCpuMean: shares.length === 0 ? null : shares.reduce((a, b) => a + b, 0) / shares.length,
      nodeLatenessP99Ms: null,
      wallMs: result.wallMs
    }
  }
}

/** Facts about this machine for summary.json: a figure is read against what it was made on. */
export const machineInfo = (): Record<string, unknown> => ({ cores: availableParallelism(), node: process.version, platform: `${process.platform} ${process.arch}` })
