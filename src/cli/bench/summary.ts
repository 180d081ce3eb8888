/**
 * What a bench run measured: one record per arrival, the summary computed from them, and the two
 * renderings for plotting (JSON, CSV). Pure: no clock, no I/O.
 */

/** ok: the function answered (status < 400); rejected: overloaded; dropped: never sent (the cap). */
export type Outcome = 'ok' | 'rejected' | 'error' | 'dropped'

/** How one sent call ended, as the sender saw it. */
export interface CallResult {
  outcome: Exclude<Outcome, 'dropped'>
  /** HTTP status of the answer; 0 when there was none. */
  status: number
  /** The node's error code (OVERLOADED, TIMEOUT, ...), HTTP_<status> for a function's own error, '' on success. */
  code: string
  hops: number
  /** The last node on the call's path: where it ran (or was refused); '' when unknown. */
  ranOn: string
  /** Ran on another node than the target. */
  forwarded: boolean
  /** The executing node's own execution time (X-P2pfaas-Timing-Execution-Time-Seconds), ms; absent when unknown. */
  execMs?: number
}

export interface CallRecord extends Omit<CallResult, 'outcome'> {
  outcome: Outcome
  /** The target node: its PeerId, or its URL over HTTP. */
  target: string
  /** When the schedule said to send it, ms after the run started. */
  scheduledMs: number
  /** When it was sent (or dropped), ms after the run started. */
  startMs: number
  /** Send to the whole answer; null when dropped. */
  latencyMs: number | null
}

export interface Stats { p50: number, p95: number, p99: number, max: number, mean: number }

export interface TargetSummary { target: string, rate: number, arrivals: number, sent: number, succeeded: number, rejected: number, errors: number, dropped: number }

export interface BenchSummary {
  function: string
  transport: 'libp2p' | 'http'
  seed: number
  durationMs: number
  offeredRate: number
  /** Interrupted (Ctrl-C): the later arrivals were never due. */
  interrupted: boolean
  arrivals: number
  sent: number
  succeeded: number
  rejected: number
  errors: number
  errorsByCode: Record<string, number>
  dropped: number
  /** Of the succeeded calls, the share that ran on another node than the one called. */
  forwardedShare: number
  /** Calls sent per second, over the schedule or as long as sending took, whichever is longer. */
  achievedRate: number
  /** Succeeded calls per second, until the last answer. */
  completedRate: number
  /** Of the succeeded calls. */
  latencyMs: Stats | null
  /** How late each send was against its schedule: the generator's own limit shows here first. */
  sendLagMs: Stats | null
  hops: Record<string, number>
  maxInFlight: number
  perTarget: TargetSummary[]
  wallMs: number
  cpu: { userMs: number, systemMs: number, share: number, eventLoopBusy: number }
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile (sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil(p / 100 * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

export function stats (values: readonly number[]): Stats | null {
  if (values.length === 0) return null
  const sorted = Float64Array.from(values).sort()
  let sum = 0
  for (const v of sorted) sum += v
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]!, mean: sum / sorted.length }
}

export interface SummaryContext {
  function: string
  transport: 'libp2p' | 'http'
  seed: number
  durationMs: number
  rates: readonly number[]
  targets: readonly string[]
  interrupted: boolean
  maxInFlight: number
  wallMs: number
  cpu: BenchSummary['cpu']
}

const count = <K extends string>(map: Record<K, number>, key: K): void => { map[key] = (map[key] ?? 0) + 1 }

export function summarise (records: readonly CallRecord[], ctx: SummaryContext): BenchSummary {
  const ok = records.filter(r => r.outcome === 'ok')
  const sentRecords = records.filter(r => r.outcome !== 'dropped')
  const errorsByCode: Record<string, number> = {}
  const hops: Record<string, number> = {}
  for (const r of records) if (r.outcome === 'error') count(errorsByCode, r.code)
  for (const r of ok) count(hops, String(r.hops))
  const lastStart = sentRecords.reduce((m, r) => Math.max(m, r.startMs), 0)
  const lastEnd = ok.reduce((m, r) => Math.max(m, r.startMs + (r.latencyMs ?? 0)), 0)
  const perTarget = ctx.targets.map((target, i): TargetSummary => {
    const mine = records.filter(r => r.target === target)
    const n = (o: Outcome): number => mine.filter(r => r.outcome === o).length
    return { target, rate: ctx.rates[i] ?? 0, arrivals: mine.length, sent: mine.length - n('dropped'), succeeded: n('ok'), rejected: n('rejected'), errors: n('error'), dropped: n('dropped') }
  })
  return {
    function: ctx.function,
    transport: ctx.transport,
    seed: ctx.seed,
    durationMs: ctx.durationMs,
    offeredRate: ctx.rates.reduce((a, b) => a + b, 0),
    interrupted: ctx.interrupted,
    arrivals: records.length,
    sent: sentRecords.length,
    succeeded: ok.length,
    rejected: records.filter(r => r.outcome === 'rejected').length,
    errors: records.filter(r => r.outcome === 'error').length,
    errorsByCode,
    dropped: records.length - sentRecords.length,
    forwardedShare: ok.length === 0 ? 0 : ok.filter(r => r.forwarded).length / ok.length,
    achievedRate: sentRecords.length / (Math.max(ctx.interrupted ? lastStart : ctx.durationMs, lastStart, 1) / 1000),
    completedRate: ok.length / (Math.max(lastEnd, 1) / 1000),
    latencyMs: stats(ok.map(r => r.latencyMs ?? 0)),
    sendLagMs: stats(sentRecords.map(r => Math.max(0, r.startMs - r.scheduledMs))),
    hops,
    maxInFlight: ctx.maxInFlight,
    perTarget,
    wallMs: ctx.wallMs,
    cpu: ctx.cpu
  }
}

const ms = (n: number | undefined): string => n == null || !Number.isFinite(n) ? '-' : n >= 100 ? n.toFixed(0) : n.toFixed(1)
const pc = (n: number): string => `${(100 * n).toFixed(1)}%`
const short = (target: string): string => target.length > 24 && !target.includes('://') ? `${target.slice(0, 8)}…${target.slice(-6)}` : target
const statLine = (s: Stats | null): string => s == null ? '-' : `p50 ${ms(s.p50)} ms, p95 ${ms(s.p95)} ms, p99 ${ms(s.p99)} ms, max ${ms(s.max)} ms`

/** Send lag beyond which the summary says the generator itself held the run back. */
const LATE_MS = 50

/** The human summary, one fact per line. */
export function renderSummary (s: BenchSummary): string {
  const codes = Object.entries(s.errorsByCode).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')
  const hops = Object.entries(s.hops).sort((a, b) => Number(a[0]) - Number(b[0])).map(([h, n]) => `${h}: ${n}`).join(', ')
  const lines = [
    `bench ${s.function}: ${s.perTarget.length} target(s) over ${s.transport}, ${s.offeredRate.toFixed(1)}/s offered for ${(s.durationMs / 1000).toFixed(1)} s, seed ${s.seed}${s.interrupted ? ' (interrupted)' : ''}`,
    `  arrivals   ${s.arrivals}`,
    `  sent       ${s.sent}`,
    `  succeeded  ${s.succeeded}`,
    `  rejected   ${s.rejected} (overloaded)`,
    `  errors     ${s.errors}${codes !== '' ? ` (${codes})` : ''}`,
    `  dropped    ${s.dropped} (over --concurrency-cap; peak ${s.maxInFlight} outstanding)`,
    `  forwarded  ${pc(s.forwardedShare)} of the succeeded calls ran on another node`,
    `  rate       sent ${s.achievedRate.toFixed(1)}/s of ${s.offeredRate.toFixed(1)}/s offered, completed ${s.completedRate.toFixed(1)}/s (until the last answer)`,
    `  latency    ${statLine(s.latencyMs)} (succeeded calls)`,
    `  send lag   ${statLine(s.sendLagMs)}`,
    `  hops       ${hops !== '' ? hops : '-'}`,
    `  cli        ${ms(s.cpu.userMs + s.cpu.systemMs)} ms CPU in ${ms(s.wallMs)} ms (${pc(s.cpu.share)} of a core), event loop ${pc(s.cpu.eventLoopBusy)} busy`
  ]
  if (s.sendLagMs != null && s.sendLagMs.p99 > LATE_MS) {
    lines.push(`  note       sends fell behind the schedule (lag p99 ${ms(s.sendLagMs.p99)} ms): this CLI, not only the nodes, limited the run (a fresh process is slowest in its first second)`)
  }
  if (s.perTarget.length > 1) {
    lines.push('  per target')
    for (const t of s.perTarget) lines.push(`    ${short(t.target)}  ${t.rate}/s: sent ${t.sent}, ok ${t.succeeded}, rejected ${t.rejected}, errors ${t.errors}, dropped ${t.dropped}`)
  }
  return lines.join('\n') + '\n'
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000

/** A record as it is written out: times to the microsecond. */
function exported (r: CallRecord): CallRecord {
  return {
    target: r.target,
    scheduledMs: round3(r.scheduledMs),
    startMs: round3(r.startMs),
    latencyMs: r.latencyMs == null ? null : round3(r.latencyMs),
    outcome: r.outcome,
    status: r.status,
    code: r.code,
    hops: r.hops,
    ranOn: r.ranOn,
    forwarded: r.forwarded
  }
}

const BATCH = 1000

/** `{"summary": {...}, "calls": [ one record per line ]}`, in chunks so a long run never builds one huge string. */
export function * jsonChunks (summary: BenchSummary, records: readonly CallRecord[]): Generator<string> {
  yield `{"summary":${JSON.stringify(summary)},\n"calls":[`
  for (let i = 0; i < records.length; i += BATCH) {
    yield (i === 0 ? '\n' : ',\n') + records.slice(i, i + BATCH).map(r => JSON.stringify(exported(r))).join(',\n')
  }
  yield '\n]}\n'
}

export const CSV_COLUMNS = ['target', 'scheduled_ms', 'start_ms', 'latency_ms', 'outcome', 'status', 'code', 'hops', 'ran_on', 'forwarded'] as const

const csvField = (v: string | number | boolean | null): string => {
  const s = v == null ? '' : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

/** A header line, then one line per record (RFC 4180 quoting). */
export function * csvChunks (records: readonly CallRecord[]): Generator<string> {
  yield CSV_COLUMNS.join(',') + '\n'
  for (let i = 0; i < records.length; i += BATCH) {
    yield records.slice(i, i + BATCH).map(exported).map(r =>
      [r.target, r.scheduledMs, r.startMs, r.latencyMs, r.outcome, r.status, r.code, r.hops, r.ranOn, r.forwarded].map(csvField).join(',') + '\n'
    ).join('')
  }
}
