import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Executor } from '../executor/executor.js'
import type { FunctionRegistry } from '../registry/registry.js'
import type { CallAccounting, CallAccountingEvents, Tally } from '../invoke/accounting.js'
import type { InvokeService } from '../invoke/service.js'
import type { PolicyFailures } from '../scheduler/failures.js'
import type { LearningKeeper } from '../scheduler/learning/keeper.js'
import type { SlotLoad } from '../rules.js'
import { readOptions, type AdminGuard } from './auth.js'
import { learningSeries } from './learning-metrics.js'
import { meshSeries, type MeshSources } from './mesh-metrics.js'
import { gcSeries, processSeries } from './process-metrics.js'
import type { FastifyInstance } from 'fastify'

/** 1 ms to 60 s: emulated calls of a few ms up to the default call deadline. */
export const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
export const HOPS_BUCKETS = [0, 1, 2, 3, 4, 5]

export interface MetricsInit {
  /** Goes into p2pfaas_node_info. */
  version: string
}

export interface MetricsComponents {
  executor: Pick<Executor, 'snapshot'>
  invoke: Pick<InvokeService, 'self'>
  /** The node's call accounting: the counters are its counts, the histograms its calls as they end. */
  calls: Pick<CallAccounting, 'addEventListener' | 'removeEventListener' | 'started' | 'answered' | 'received' | 'forwarded' | 'rejected' | 'probes'>
  functions: Pick<FunctionRegistry, 'list' | 'instances'>
  mesh: MeshSources
  /** This node's scheduling plugins' failures; none when absent. */
  policyFailures?: Pick<PolicyFailures, 'counts'>
  /** The learning policy's counts (over every learning policy the node had) and its state; none when absent. */
  learning?: Pick<LearningKeeper, 'totals' | 'stats'>
  /** Requests refused because their peer was over its rate, per protocol (src/mesh/peer-limiter.ts). */
  throttled?: () => Array<{ protocol: string, count: number }>
}

export interface Metrics {
  /** This node's own registry: several nodes in one process never share series. */
  readonly registry: Registry
  readonly contentType: string
  /** The exposition text; gauges are read from their sources now. */
  scrape(): Promise<string>
  /** Subscribes to the call accounting's calls, for the histograms. */
  start(): Promise<void>
  /** Removes every listener start() added. */
  stop(): Promise<void>
}

/**
 * The node's Prometheus series. OpenFaaS's gateway_* names count the calls clients made to this
 * node's gateway (hop 0), so summing them over the mesh counts each client call once, wherever it
 * ran; p2pfaas_* series tell where calls went (forwarded, received, rejected, probes, hops) and what
 * the executor did with the ones it ran. Load, mesh and link gauges are read at scrape time.
 */
export function createMetrics (init: MetricsInit, c: MetricsComponents): Metrics {
  const registry = new Registry()
  const registers = [registry]

  // Counters of calls are the call accounting's counts, read at scrape time.
  // Names nobody has deployed come from outside: the accounting counts them under one shared name.
  const callCounter = (name: string, help: string, tally: Tally, byCode = false): void => {
    new Counter<string>({
      name,
      help,
      labelNames: byCode ? ['function_name', 'code'] : ['function_name'],
      registers,
      collect () {
        this.reset()
        for (const r of tally) this.inc(byCode ? { function_name: r.fn, code: r.code ?? '' } : { function_name: r.fn }, r.count)
      }
    })
  }

  // OpenFaaS gateway series (gateway/metrics/metrics.go), same names and labels.
  callCounter('gateway_function_invocation_total', 'Calls clients made to this gateway, by function and HTTP status', c.calls.answered, true)
  callCounter('gateway_function_invocation_started', 'Calls clients made to this gateway, by function (counted when the call is answered)', c.calls.started)
  const callSeconds = new Histogram({
    name: 'gateway_functions_seconds',
    help: 'Time this gateway took to answer a call, scheduling, hand-offs, queue and execution included',
    labelNames: ['function_name'] as const,
    buckets: SECONDS_BUCKETS,
    registers
  })
  new Gauge({
    name: 'gateway_service_count',
    help: 'Instances of each function deployed on this node',
    labelNames: ['function_name'] as const,
    registers,
    collect () {
      this.reset()
      for (const fn of c.functions.list()) this.set({ function_name: fn.spec.name }, c.functions.instances(fn.spec.name).total)
    }
  })

  // Where calls went.
  callCounter('p2pfaas_calls_forwarded_total', 'Calls this node handed over to a peer (the peer ran them, or passed them on)', c.calls.forwarded)
  callCounter('p2pfaas_calls_received_total', 'Calls peers handed to this node (accepted or refused)', c.calls.received)
  callCounter('p2pfaas_calls_rejected_total', 'Calls this node ended with an error of its own (not forwarded), by error code', c.calls.rejected, true)
  callCounter('p2pfaas_probes_total', 'Load probes sent to peers while scheduling calls', c.calls.probes)
  const hops = new Histogram({
    name: 'p2pfaas_call_hops',
    help: 'Hand-offs a client call took from this gateway to the node that answered it',
    labelNames: ['function_name'] as const,
    buckets: HOPS_BUCKETS,
    registers
  })

  // What the executor did with the calls it ran (for clients and for peers).
  const queueSeconds = new Histogram({
    name: 'p2pfaas_queue_seconds',
    help: 'Time calls run on this node waited for a slot',
    labelNames: ['function_name'] as const,
    buckets: SECONDS_BUCKETS,
    registers
  })
  const execSeconds = new Histogram({
    name: 'p2pfaas_execution_seconds',
    help: 'Time calls run on this node held their slot',
    labelNames: ['function_name'] as const,
    buckets: SECONDS_BUCKETS,
    registers
  })

  new Counter({
    name: 'p2pfaas_policy_failures_total',
    help: 'Decisions a scheduling policy plugin failed (threw, or answered an invalid decision) and the default policy made instead; observe() failures included',
    labelNames: ['policy', 'kind'] as const,
    registers,
    collect () {
      this.reset()
      for (const f of c.policyFailures?.counts() ?? []) this.inc({ policy: f.policy, kind: f.kind }, f.count)
    }
  })

  if (c.learning !== undefined) learningSeries(c.learning, registers)
  new Counter({
    name: 'p2pfaas_peer_requests_throttled_total',
    help: 'Requests refused with THROTTLED because their peer was over its rate (--peer-invoke-rate, --peer-manage-rate), by protocol; no per-peer label: peers are unbounded',
    labelNames: ['protocol'] as const,
    registers,
    collect () {
      this.reset()
      for (const t of c.throttled?.() ?? []) this.inc({ protocol: t.protocol }, t.count)
    }
  })

  // Load, read at scrape time.
  const loadGauge = (name: string, help: string, pick: (f: SlotLoad) => number): Gauge<'function_name'> =>
    new Gauge({
      name,
      help,
      labelNames: ['function_name'] as const,
      registers,
      collect () {
        this.reset()
        for (const f of c.executor.snapshot().functions) this.set({ function_name: f.name }, pick(f))
      }
    })
  loadGauge('p2pfaas_function_running', 'Calls running now, per function', f => f.running)
  loadGauge('p2pfaas_function_queued', 'Calls waiting for a slot now, per function', f => f.queued)
  loadGauge('p2pfaas_function_capacity', 'Slots (concurrent calls) per function', f => f.capacity)

  meshSeries(c.mesh, registers)
  new Gauge({
    name: 'p2pfaas_node_info',
    help: 'Always 1: this node\'s peer id and version',
    labelNames: ['peer_id', 'version'] as const,
    registers,
    collect () { this.set({ peer_id: c.invoke.self, version: init.version }, 1) }
  })

  processSeries(registers)
  const gc = gcSeries(registers)

  const onRouted = (evt: CallAccountingEvents['call:routed']): void => {
    const { entered, counted, trace } = evt.detail
    if (!entered) return
    const fn = { function_name: counted }
    callSeconds.observe(fn, (trace[0]?.totalMs ?? 0) / 1000)
    hops.observe(fn, Math.max(0, trace.length - 1))
  }
  const onCallEnd = (evt: CallAccountingEvents['call:ran']): void => {
    const { name, queueMs, execMs } = evt.detail
    // A call refused or dropped before it got a slot never ran: it has no queue or execution time.
    if (execMs <= 0) return
    queueSeconds.observe({ function_name: name }, queueMs / 1000)
    execSeconds.observe({ function_name: name }, execMs / 1000)
  }

  let running = false
  return {
    registry,
    contentType: registry.contentType,
    scrape: async () => await registry.metrics(),
    async start () {
      if (running) return
      running = true
      c.calls.addEventListener('call:routed', onRouted)
      c.calls.addEventListener('call:ran', onCallEnd)
      gc.start()
    },
    async stop () {
      if (!running) return
      running = false
      c.calls.removeEventListener('call:routed', onRouted)
      c.calls.removeEventListener('call:ran', onCallEnd)
      gc.stop()
    }
  }
}

/** `GET /metrics`: Prometheus text format, no credentials (read-only, as in OpenFaaS) unless reads are private. */
export function registerMetricsRoutes (app: FastifyInstance, metrics: Metrics, readGuard?: AdminGuard): void {
  app.get('/metrics', readOptions(readGuard), async (_req, reply) => {
    const text = await metrics.scrape()
    return await reply.header('content-type', metrics.contentType).send(text)
  })
}
