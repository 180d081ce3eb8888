import { emptyHistogram, fromSparse, mergeInto, quantile } from './histogram.js'
import type { NodeLoad } from '../mesh/load.js'
import type { LearningStats } from '../scheduler/learning/policy.js'
import type { CallRecord, ObservedFunctionSecond } from './recorder.js'

/** The dashboard's whole picture, as `GET /api/dashboard` and the live stream send it. */
export interface DashboardSnapshot {
  /** The node serving the dashboard. */
  self: string
  /** Wall clock of the snapshot (ms since epoch). */
  at: number
  policy: string
  /** This node's learning policy, when the policy in force learns (the policy panel shows it). */
  learning?: LearningStats
  nodes: DashboardNode[]
  /** Live connections between P2PFaaS nodes, each pair once. */
  edges: Array<{ a: string, b: string }>
  /** Hand-offs seen in the last few seconds, per direction. */
  handoffs: Array<{ from: string, to: string, count: number }>
  functions: DashboardFunction[]
  /** Mesh-wide counts per second, oldest first. */
  series: SeriesPoint[]
  /** Recent calls, newest first, from every node that answered. */
  traces: CallRecord[]
}

export interface DashboardNode {
  peerId: string
  self: boolean
  addrs: string[]
  /** up: gossiping; stale: late with its load; gone: left the mesh (kept a while so it can be seen). */
  state: 'up' | 'stale' | 'gone'
  lastSeenMs?: number
  load: NodeLoad
  functions: string[]
}

export interface DashboardFunction {
  name: string
  nodes: string[]
  /** Over the last minute, calls that entered the mesh for it. */
  ratePerS: number
  rejectedPerS: number
  errorsPerS: number
  rejectionRate: number
  p50Ms?: number
  p99Ms?: number
}

export interface SeriesPoint {
  t: number
  arrivals: number
  local: number
  forwarded: number
  rejected: number
  errors: number
  p50Ms?: number
  p99Ms?: number
}

/** What one node told the observer (or the observer read from its own recorder). */
export interface NodeReport {
  neighbours: string[]
  /** Unix second → that second's counts per function. */
  seconds: Map<number, ObservedFunctionSecond[]>
  calls: CallRecord[]
}

export interface SnapshotInput {
  self: string
  at: number
  policy: string
  learning?: LearningStats
  nodes: DashboardNode[]
  reports: Map<string, NodeReport>
  seriesSeconds: number
  functionWindowSeconds: number
  handoffWindowMs: number
  maxTraces: number
}

/** Pure: merges every node's report into one picture. Counts add; latency histograms merge. */
export function buildSnapshot (input: SnapshotInput): DashboardSnapshot {
  const nowT = Math.floor(input.at / 1000)
  const edges = new Map<string, { a: string, b: string }>()
  for (const [node, report] of input.reports) {
    for (const other of report.neighbours) {
      const [a, b] = node < other ? [node, other] : [other, node]
      edges.set(`${a} ${b}`, { a, b })
    }
  }

  const series: SeriesPoint[] = []
  for (let t = nowT - input.seriesSeconds + 1; t <= nowT; t++) {
    const point: SeriesPoint = { t, arrivals: 0, local: 0, forwarded: 0, rejected: 0, errors: 0 }
    const h = emptyHistogram()
    for (const report of input.reports.values()) {
      for (const f of report.seconds.get(t) ?? []) {
        point.arrivals += f.arrivals; point.local += f.local; point.forwarded += f.forwarded; point.rejected += f.rejected; point.errors += f.errors
        mergeInto(h, fromSparse(f.latency))
      }
    }
    const p50 = quantile(h, 0.5)
    const p99 = quantile(h, 0.99)
    series.push({ ...point, ...(p50 != null ? { p50Ms: p50 } : {}), ...(p99 != null ? { p99Ms: p99 } : {}) })
  }

  const fnCounts = new Map<string, { arrivals: number, rejected: number, errors: number, h: number[] }>()
  for (const report of input.reports.values()) {
    for (const [t, fns] of report.seconds) {
      if (t <= nowT - input.functionWindowSeconds) continue
      for (const f of fns) {
        const c = fnCounts.get(f.name) ?? { arrivals: 0, rejected: 0, errors: 0, h: emptyHistogram() }
        c.arrivals += f.arrivals; c.rejected += f.rejected; c.errors += f.errors
        mergeInto(c.h, fromSparse(f.latency))
        fnCounts.set(f.name, c)
      }
    }
  }
  const where = new Map<string, string[]>()
  for (const n of input.nodes) if (n.state !== 'gone') for (const f of n.functions) where.set(f, [...(where.get(f) ?? []), n.peerId])
  const names = new Set([...where.keys(), ...fnCounts.keys()])
  const functions = [...names].sort().map((name): DashboardFunction => {
    const c = fnCounts.get(name)
    const window = input.functionWindowSeconds
    const p50 = c != null ? quantile(c.h, 0.5) : undefined
    const p99 = c != null ? quantile(c.h, 0.99) : undefined
    return {
      name,
      nodes: where.get(name) ?? [],
      ratePerS: (c?.arrivals ?? 0) / window,
      rejectedPerS: (c?.rejected ?? 0) / window,
      errorsPerS: (c?.errors ?? 0) / window,
      rejectionRate: c != null && c.arrivals > 0 ? c.rejected / c.arrivals : 0,
      ...(p50 != null ? { p50Ms: p50 } : {}),
      ...(p99 != null ? { p99Ms: p99 } : {})
    }
  })

  const traces = [...input.reports.values()].flatMap(r => r.calls).sort((x, y) => y.at - x.at).slice(0, input.maxTraces)
  const handoffs = new Map<string, { from: string, to: string, count: number }>()
  for (const call of traces) {
    if (input.at - call.at > input.handoffWindowMs) continue
    for (let i = 1; i < call.path.length; i++) {
      const key = `${call.path[i - 1]} ${call.path[i]}`
      const h = handoffs.get(key) ?? { from: call.path[i - 1]!, to: call.path[i]!, count: 0 }
      h.count++
      handoffs.set(key, h)
    }
  }

  return { self: input.self, at: input.at, policy: input.policy, ...(input.learning === undefined ? {} : { learning: input.learning }), nodes: input.nodes, edges: [...edges.values()], handoffs: [...handoffs.values()], functions, series, traces }
}
