import { appendFile, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { METRICS, type Aggregate, type ExperimentCall, type RunSummary, type Timeline } from './results.js'
import type { ModelPoint } from './model.js'

/**
 * The experiment's folder. Calls are appended after every run and the summaries rewritten (each
 * through a temporary file and a rename), so whatever stops the experiment, Ctrl-C or a crash,
 * leaves every finished run on disk and no file half-written.
 */

export const FILES = {
  callsCsv: 'calls.csv',
  callsJson: 'calls.jsonl',
  runsCsv: 'runs.csv',
  aggregateCsv: 'aggregate.csv',
  summaryJson: 'summary.json',
  report: 'report.txt',
  figures: { blocking: 'blocking.svg', response: 'response.svg', deadline: 'deadline.svg' }
} as const

export const CALL_COLUMNS = ['rep', 'policy', 'rho', 'node', 'target', 'task', 'work_ms', 'scheduled_ms', 'start_ms', 'end_ms', 'response_ms',
  'outcome', 'status', 'code', 'ran_on', 'ran_on_node', 'hops', 'forwarded', 'within_deadline', 'warmup', 'exec_ms'] as const

export const RUN_COLUMNS = ['rep', 'policy', 'rho', 'offered_rate', 'interrupted', 'arrivals', 'sent', 'ok', 'rejected', 'errors', 'dropped',
  'p_b', 'mean_ms', 'p99_ms', 'forwarded_share', 'within_deadline', 'send_lag_p99_ms', 'send_lag_max_ms', 'cli_loop_delay_p99_ms',
  'cli_loop_busy', 'node_cpu_max', 'node_cpu_mean', 'node_lateness_p99_ms', 'wall_ms'] as const

const SNAKE: Record<typeof METRICS[number], string> = { pB: 'p_b', meanMs: 'mean_ms', p99Ms: 'p99_ms', forwardedShare: 'forwarded_share', withinDeadline: 'within_deadline' }

export const AGGREGATE_COLUMNS = ['policy', 'rho', 'repetitions',
  ...METRICS.flatMap(m => ['mean', 'ci_low', 'ci_high', 'ci_half'].map(s => `${SNAKE[m]}_${s}`)),
  'model_local_p_b', 'model_pooled_p_b', 'model_local_mean_ms', 'model_pooled_mean_ms',
  'send_lag_p99_ms', 'cli_loop_delay_p99_ms', 'node_cpu_max', 'node_lateness_p99_ms'] as const

type Cell = string | number | boolean | null

const csvField = (v: Cell): string => {
  const s = v == null || (typeof v === 'number' && !Number.isFinite(v)) ? '' : typeof v === 'number' ? String(Math.round(v * 1e6) / 1e6) : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}
const csvLine = (cells: readonly Cell[]): string => cells.map(csvField).join(',') + '\n'

const callCells = (c: ExperimentCall): Cell[] => [c.rep, c.policy, c.rho, c.node, c.target, c.task, c.workMs, c.scheduledMs, c.startMs, c.endMs,
  c.responseMs, c.outcome, c.status, c.code, c.ranOn, c.ranOnNode, c.hops, c.forwarded, c.withinDeadline, c.warmup, c.execMs]

const runCells = (r: RunSummary): Cell[] => [r.rep, r.policy, r.rho, r.offeredRate, r.interrupted, r.arrivals, r.sent, r.ok, r.rejected, r.errors,
  r.dropped, r.pB, r.meanMs, r.p99Ms, r.forwardedShare, r.withinDeadline, r.machine.sendLagP99Ms, r.machine.sendLagMaxMs,
  r.machine.cliLoopDelayP99Ms, r.machine.cliLoopBusy, r.machine.nodeCpuMax, r.machine.nodeCpuMean, r.machine.nodeLatenessP99Ms, r.machine.wallMs]

/** With one repetition there is no interval: the CSV says n/a rather than leave a blank that reads as zero. */
const ciCell = (v: number | null): Cell => v == null ? 'n/a' : v

function aggregateCells (a: Aggregate, model: ModelPoint | undefined): Cell[] {
  return [a.policy, a.rho, a.repetitions,
    ...METRICS.flatMap(m => { const e = a.metrics[m]; return [e.mean, ciCell(e.low), ciCell(e.high), ciCell(e.half)] }),
    model?.localBlocking ?? null, model?.pooledBlocking ?? null, model?.localMeanMs ?? null, model?.pooledMeanMs ?? null,
    a.machine.sendLagP99Ms, a.machine.cliLoopDelayP99Ms, a.machine.nodeCpuMax, a.machine.nodeLatenessP99Ms]
}

/** Everything summary.json holds: rewritten whole after every run. */
export interface SummaryDocument {
  experiment: Record<string, unknown>
  status: 'running' | 'complete' | 'interrupted' | 'failed'
  mesh: Record<string, unknown>
  runs: RunSummary[]
  aggregates: Aggregate[]
  /** The models at each measured ρ (for the tables), and on a fine grid (for the curves). */
  modelAtPoints: ModelPoint[]
  modelCurve: ModelPoint[]
  timelines: Timeline[]
  notes: string[]
}

export interface ExperimentOutput {
  readonly dir: string
  path: (file: string) => string
  /** Creates the folder and starts the call files afresh (an earlier experiment's files are replaced). */
  start: () => Promise<void>
  appendCalls: (calls: readonly ExperimentCall[]) => Promise<void>
  writeSummary: (doc: SummaryDocument) => Promise<void>
  writeText: (file: string, text: string) => Promise<void>
}

async function atomicWrite (path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`
  await writeFile(tmp, text)
  await rename(tmp, path)
}

const BATCH = 2000

export function createExperimentOutput (init: { dir: string }): ExperimentOutput {
  const path = (file: string): string => join(init.dir, file)
  return {
    dir: init.dir,
    path,
    async start () {
      await mkdir(init.dir, { recursive: true })
      await Promise.all([FILES.runsCsv, FILES.aggregateCsv, FILES.summaryJson, FILES.report, ...Object.values(FILES.figures)]
        .map(async f => { await rm(path(f), { force: true }) }))
      await writeFile(path(FILES.callsCsv), CALL_COLUMNS.join(',') + '\n')
      await writeFile(path(FILES.callsJson), '')
    },
    async appendCalls (calls) {
      for (let i = 0; i < calls.length; i += BATCH) {
        const batch = calls.slice(i, i + BATCH)
        await appendFile(path(FILES.callsCsv), batch.map(c => csvLine(callCells(c))).join(''))
        await appendFile(path(FILES.callsJson), batch.map(c => JSON.stringify(c) + '\n').join(''))
      }
    },
    async writeSummary (doc) {
      const modelOf = (rho: number): ModelPoint | undefined => doc.modelAtPoints.find(m => Math.abs(m.rho - rho) < 1e-9)
      await atomicWrite(path(FILES.runsCsv), RUN_COLUMNS.join(',') + '\n' + doc.runs.map(r => csvLine(runCells(r))).join(''))
      await atomicWrite(path(FILES.aggregateCsv), AGGREGATE_COLUMNS.join(',') + '\n' + doc.aggregates.map(a => csvLine(aggregateCells(a, modelOf(a.rho)))).join(''))
      await atomicWrite(path(FILES.summaryJson), JSON.stringify(doc, null, 1) + '\n')
    },
    async writeText (file, text) { await atomicWrite(path(file), text) }
  }
}
