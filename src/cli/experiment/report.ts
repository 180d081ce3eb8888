import { availableParallelism } from 'node:os'
import { renderTable } from '../table.js'
import { modelAt, type ModelPoint } from './model.js'
import { offeredRates, loadPoints, rhoOf } from './workload.js'
import type { Aggregate, MachineCheck, Timeline } from './results.js'
import type { Estimate } from './stats.js'
import type { ExperimentSpec } from './spec.js'

/**
 * The text printed beside each figure, as bench:policies prints its tables: the figure's numbers
 * with their intervals, the models, and the machine checks of the same runs, so a figure where the
 * machine, not the policy, set the result says so next to it. Pure: strings in, strings out.
 */

const fmt = (n: number | null | undefined, digits = 1): string => n == null || !Number.isFinite(n) ? '-' : n.toFixed(digits)
const pc = (n: number | null | undefined, digits = 1): string => n == null || !Number.isFinite(n) ? '-' : `${(100 * n).toFixed(digits)}%`

/** `4.1% ± 1.2` (the 95 % half-width), or `4.1% (CI n/a)` with one repetition. */
function withCi (e: Estimate, asPercent: boolean): string {
  const show = (v: number): string => asPercent ? pc(v, 2) : fmt(v)
  if (!Number.isFinite(e.mean)) return '-'
  return e.half == null ? `${show(e.mean)} (CI n/a)` : `${show(e.mean)} ± ${asPercent ? fmt(100 * e.half, 2) : fmt(e.half)}`
}

const MACHINE_HEAD = ['send lag p99', 'CLI loop p99', 'nodes CPU max', 'node lateness p99']
const machineCells = (m: MachineCheck): string[] =>
  [`${fmt(m.sendLagP99Ms)} ms`, `${fmt(m.cliLoopDelayP99Ms)} ms`, m.nodeCpuMax == null ? '-' : pc(m.nodeCpuMax, 0), m.nodeLatenessP99Ms == null ? '-' : `${fmt(m.nodeLatenessP99Ms)} ms`]

const MACHINE_NOTE = '  machine checks (worst repetition): send lag = how late the generator sent calls; CLI loop = its event-loop delay;\n' +
  '  nodes CPU = the busiest node process, share of one core; node lateness = execution time reported minus the work asked, p99 (timers late on a busy node).'

export const modelOf = (models: readonly ModelPoint[], rho: number): ModelPoint | undefined => models.find(m => Math.abs(m.rho - rho) < 1e-9)

/** One machine-check line for a figure's subtitle: the worst of every run. */
export function machineLine (aggregates: readonly Aggregate[]): string {
  const worst = (pick: (m: MachineCheck) => number | null): number | null => {
    const xs = aggregates.map(a => pick(a.machine)).filter((v): v is number => v != null && Number.isFinite(v))
    return xs.length === 0 ? null : Math.max(...xs)
  }
  const cpu = worst(m => m.nodeCpuMax)
  const late = worst(m => m.nodeLatenessP99Ms)
  return `machine (worst run): send lag p99 ${fmt(worst(m => m.sendLagP99Ms))} ms, CLI event-loop delay p99 ${fmt(worst(m => m.cliLoopDelayP99Ms))} ms` +
    `${cpu != null ? `, busiest node ${pc(cpu, 0)} of a core` : ''}${late != null ? `, node timer lateness p99 ${fmt(late)} ms` : ''}; ${availableParallelism()} cores`
}

export function blockingTable (aggregates: readonly Aggregate[], models: readonly ModelPoint[]): string {
  return renderTable(['policy', 'ρ', 'reps', 'P_B (95% CI)', 'no-coop model', 'pooled model', ...MACHINE_HEAD], aggregates.map(a => {
    const m = modelOf(models, a.rho)
    return [a.policy, fmt(a.rho, 2), String(a.repetitions), withCi(a.metrics.pB, true), pc(m?.localBlocking, 2), pc(m?.pooledBlocking, 2), ...machineCells(a.machine)]
  })) + MACHINE_NOTE + '\n'
}

export function responseTable (aggregates: readonly Aggregate[], models: readonly ModelPoint[]): string {
  return renderTable(['policy', 'ρ', 'reps', 'mean ms (95% CI)', 'p99 ms (95% CI)', 'model mean no-coop', 'pooled', 'forwarded', ...MACHINE_HEAD], aggregates.map(a => {
    const m = modelOf(models, a.rho)
    return [a.policy, fmt(a.rho, 2), String(a.repetitions), withCi(a.metrics.meanMs, false), withCi(a.metrics.p99Ms, false),
      fmt(m?.localMeanMs), fmt(m?.pooledMeanMs), withCi(a.metrics.forwardedShare, true), ...machineCells(a.machine)]
  })) + MACHINE_NOTE + '\n'
}

/**
 * Within-deadline share in the first and the last quarter of the measured time (after warm-up),
 * repetitions pooled: a policy that learns climbs from one to the other.
 */
export function deadlineTable (aggregates: readonly Aggregate[], timelines: readonly Timeline[], warmupMs: number): string {
  const quarter = (t: Timeline | undefined, which: 0 | 3): string => {
    if (t == null) return '-'
    const from = Math.ceil(warmupMs / t.windowMs)
    const windows = t.sent.length - from
    if (windows < 4) return '-'
    const [a, b] = [from + Math.floor(windows * which / 4), from + Math.floor(windows * (which + 1) / 4)]
    const sent = t.sent.slice(a, b).reduce((x, y) => x + y, 0)
    return sent === 0 ? '-' : pc(t.within.slice(a, b).reduce((x, y) => x + y, 0) / sent)
  }
  return renderTable(['policy', 'ρ', 'reps', 'within deadline (95% CI)', 'first quarter', 'last quarter', ...MACHINE_HEAD], aggregates.map(a => {
    const t = timelines.find(x => x.policy === a.policy && Math.abs(x.rho - a.rho) < 1e-9)
    return [a.policy, fmt(a.rho, 2), String(a.repetitions), withCi(a.metrics.withinDeadline, true), quarter(t, 0), quarter(t, 3), ...machineCells(a.machine)]
  })) + MACHINE_NOTE + '\n'
}

/** What the experiment is, before it runs (and for --dry-run): nodes, tasks, loads and the models there. */
export function describePlan (spec: ExperimentSpec): string {
  const lines = [`experiment ${spec.name}: ${spec.nodes.length} node(s), ${spec.tasks.length} task type(s), ${spec.policies.length} polic${spec.policies.length === 1 ? 'y' : 'ies'}, ` +
    `${loadPoints(spec).length} load point(s), ${spec.repetitions} repetition(s); ${fmt(spec.warmupMs / 1000)} s warm-up + ${fmt(spec.durationMs / 1000)} s per run; seed ${spec.seed}`]
  const groups = [...new Set(spec.nodes.map(n => n.group))]
  for (const g of groups) {
    const ns = spec.nodes.filter(n => n.group === g)
    const n = ns[0]!
    lines.push(`  nodes ${ns[0]!.index}-${ns.at(-1)!.index}: ${n.slots} slot(s), queue ${n.queue}, speed ${n.speed}${spec.load.kind === 'rho' ? `, weight ${n.weight}` : `, ${n.rate}/s each`}`)
  }
  for (const t of spec.tasks) {
    lines.push(`  task ${t.index} "${t.name}": ${t.service.distribution}, mean ${fmt(t.service.meanMs, 2)} ms, deadline ${t.deadlineMs == null ? 'none' : `${t.deadlineMs} ms`}, ${pc(t.share)} of calls`)
  }
  lines.push(`  E[S] of the mix ${fmt(spec.meanServiceMs, 2)} ms at nominal speed; policies: ${spec.policies.map(p => p.label).join(', ')}`)
  for (const rho of loadPoints(spec)) {
    const rates = offeredRates(spec, rho)
    const x = rhoOf(spec, rho)
    const m = modelAt(spec, rates, x)
    lines.push(`  ρ ${fmt(x, 3)}: ${fmt(rates.reduce((a, b) => a + b, 0), 1)} calls/s in all; model P_B no cooperation ${pc(m.localBlocking, 2)}, pooled ${pc(m.pooledBlocking, 2)}`)
  }
  const runs = spec.repetitions * loadPoints(spec).length * spec.policies.length
  lines.push(`  ${runs} run(s), at least ${fmt(runs * (spec.warmupMs + spec.durationMs) / 1000, 0)} s of load`)
  return lines.join('\n') + '\n'
}

