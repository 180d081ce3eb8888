import { getHeapSpaceStatistics, type HeapSpaceInfo } from 'node:v8'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Executor } from '../executor/executor.js'
import type { FunctionRegistry } from '../registry/registry.js'
import type { CallAccounting, CallAccountingEvents, Tally } from '../invoke/accounting.js'
import type { InvokeService } from '../invoke/service.js'
import type { LinkManager } from '../mesh/links.js'
import type { Membership } from '../mesh/membership.js'
import type { MeshView } from '../mesh/view.js'
import type { PolicyFailures } from '../scheduler/failures.js'
import type { LearningKeeper } from '../scheduler/learning/keeper.js'
import type { SlotLoad } from '../rules.js'
import type { Libp2p } from '@libp2p/interface'
import { readOptions, type AdminGuard } from './auth.js'
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
  mesh: {
    libp2p: Pick<Libp2p, 'getConnections'>
    view: Pick<MeshView, 'connected' | 'size'>
    links: Pick<LinkManager, 'stats' | 'linkPeers'>
    membership: Pick<Membership, 'stats'>
  }
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

  // Mesh and libp2p.
  new Gauge({
    name: 'p2pfaas_mesh_peers',
    help: 'Live members of the mesh this node knows of, itself excluded',
    registers,
    collect () { this.set(c.mesh.view.size) }
  })
  new Gauge({
    name: 'p2pfaas_mesh_peers_connected',
    help: 'Members this node has a live connection to (links and hand-offs)',
    registers,
    collect () { this.set(c.mesh.view.connected().length) }
  })
  new Gauge({
    name: 'p2pfaas_libp2p_connections',
    help: 'Open libp2p connections, by direction (any libp2p peer, not only P2PFaaS nodes)',
    labelNames: ['direction'] as const,
    registers,
    collect () {
      const counts = { inbound: 0, outbound: 0 }
      for (const conn of c.mesh.libp2p.getConnections()) counts[conn.direction]++
      this.set({ direction: 'inbound' }, counts.inbound)
      this.set({ direction: 'outbound' }, counts.outbound)
    }
  })
  new Gauge({
    name: 'p2pfaas_mesh_links',
    help: 'Overlay links of this node: neighbours it exchanges records, pulses and load with',
    registers,
    collect () { this.set(c.mesh.links.linkPeers().length) }
  })
  new Counter({
    name: 'p2pfaas_link_frames_total',
    help: 'Frames on this node\'s overlay links (records, pulses, load, digests), by direction',
    labelNames: ['direction'] as const,
    registers,
    collect () {
      const s = c.mesh.links.stats
      this.reset()
      this.inc({ direction: 'in' }, s.framesIn)
      this.inc({ direction: 'out' }, s.framesOut)
    }
  })
  new Counter({
    name: 'p2pfaas_link_frames_sent_total',
    help: 'Frames this node sent on its links, by what they carried (pulse: liveness only; load: a pulse with load; records, digest, want: membership)',
    labelNames: ['kind'] as const,
    registers,
    collect () {
      this.reset()
      for (const [kind, n] of Object.entries(c.mesh.links.stats.sent)) this.inc({ kind }, n)
    }
  })
  new Counter({
    name: 'p2pfaas_link_events_total',
    help: 'Overlay links made and lost, and sessions dialled and failed',
    labelNames: ['event'] as const,
    registers,
    collect () {
      const s = c.mesh.links.stats
      this.reset()
      this.inc({ event: 'link_up' }, s.linksUp)
      this.inc({ event: 'link_down' }, s.linksDown)
      this.inc({ event: 'dial' }, s.dials)
      this.inc({ event: 'dial_failed' }, s.dialFailures)
    }
  })
  new Counter({
    name: 'p2pfaas_link_bytes_total',
    help: 'Bytes of frames on this node\'s overlay links, by direction',
    labelNames: ['direction'] as const,
    registers,
    collect () {
      const s = c.mesh.links.stats
      this.reset()
      this.inc({ direction: 'in' }, s.bytesIn)
      this.inc({ direction: 'out' }, s.bytesOut)
    }
  })
  new Counter({
    name: 'p2pfaas_member_records_total',
    help: 'Member records received from neighbours, by verdict (rejected ones cost their sender score)',
    labelNames: ['result'] as const,
    registers,
    collect () {
      const s = c.mesh.membership.stats
      this.reset()
      this.inc({ result: 'accepted' }, s.recordsAccepted)
      this.inc({ result: 'ignored' }, s.recordsIgnored)
      this.inc({ result: 'rejected' }, s.recordsRejected)
      this.inc({ result: 'table_full' }, s.tableFull)
    }
  })
  new Gauge({
    name: 'p2pfaas_node_info',
    help: 'Always 1: this node\'s peer id and version',
    labelNames: ['peer_id', 'version'] as const,
    registers,
    collect () { this.set({ peer_id: c.invoke.self, version: init.version }, 1) }
  })

  // The process itself, under the names prom-client's collectDefaultMetrics() uses, so the usual
  // Node.js dashboards work. Read at scrape time only: collectDefaultMetrics() would also start an
  // event-loop-lag monitor that wakes the process 100 times a second (about half a percent of a
  // core on an idle node, measured) and a GC observer that no stop() can remove.
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    registers,
    collect () {
      const { user, system } = process.cpuUsage()
      this.reset()
      this.inc((user + system) / 1e6)
    }
  })
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    registers,
    collect () { this.set(process.memoryUsage.rss()) }
  })
  const memoryGauge = (name: string, help: string, pick: (m: NodeJS.MemoryUsage) => number): Gauge =>
    new Gauge({ name, help, registers, collect () { this.set(pick(process.memoryUsage())) } })
  memoryGauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', m => m.heapTotal)
  memoryGauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', m => m.heapUsed)
  memoryGauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', m => m.external)
  new Gauge({
    name: 'nodejs_active_handles_total',
    help: 'Number of active libuv handles and requests (sockets, timers, file operations) keeping the event loop alive.',
    registers,
    collect () { this.set(process.getActiveResourcesInfo().length) }
  })
  // One sample per scrape (how long a setImmediate waits), as prom-client's own lag gauge, rather
  // than a monitor that would wake an idle node: under load it shows a loop that falls behind.
  new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Lag of the event loop in seconds, sampled when scraped.',
    registers,
    async collect () {
      const t0 = performance.now()
      await new Promise(resolve => setImmediate(resolve))
      this.set((performance.now() - t0) / 1000)
    }
  })
  // Per V8 space: `new` is the young generation, which V8 sizes from the machine's memory (up to
  // 32 MiB on a large host, 8 MiB on a 1 GiB board) and which dominates a fresh node's RSS.
  const spaceGauge = (name: string, help: string, pick: (s: HeapSpaceInfo) => number): Gauge<'space'> =>
    new Gauge({
      name,
      help,
      labelNames: ['space'] as const,
      registers,
      collect () {
        for (const s of getHeapSpaceStatistics()) this.set({ space: s.space_name.replace(/_space$/, '') }, pick(s))
      }
    })
  spaceGauge('nodejs_heap_space_size_total_bytes', 'Process heap space size total from Node.js in bytes.', s => s.space_size)
  spaceGauge('nodejs_heap_space_size_used_bytes', 'Process heap space size used from Node.js in bytes.', s => s.space_used_size)

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
    },
    async stop () {
      if (!running) return
      running = false
      c.calls.removeEventListener('call:routed', onRouted)
      c.calls.removeEventListener('call:ran', onCallEnd)
    }
  }
}

/**
 * The learning policy: how often it explores and how well it does. Counters add up every learning
 * policy the node had since it started, so they only go up across POST /configuration/scheduler; the
 * gauges are the policy in force's, absent when it does not learn.
 */
function learningSeries (learning: Pick<LearningKeeper, 'totals' | 'stats'>, registers: Registry[]): void {
  new Counter({
    name: 'p2pfaas_learning_decisions_total',
    help: 'Calls the learning policy decided, by how: explored (a random action, with probability epsilon) or greedy (the best it knows)',
    labelNames: ['choice'] as const,
    registers,
    collect () {
      const t = learning.totals()
      this.reset()
      this.inc({ choice: 'explored' }, t.explored)
      this.inc({ choice: 'greedy' }, t.decisions - t.explored)
    }
  })
  new Counter({
    name: 'p2pfaas_learning_rewards_total',
    help: 'Outcomes of the learning policy\'s decisions it was rewarded for (each reward 1 within the deadline, else 0)',
    registers,
    collect () { this.reset(); this.inc(learning.totals().rewards) }
  })
  new Counter({
    name: 'p2pfaas_learning_reward_sum_total',
    help: 'Sum of the learning policy\'s rewards: its calls that ended well within their task type\'s deadline; divided by p2pfaas_learning_rewards_total, the reward rate',
    registers,
    collect () { this.reset(); this.inc(learning.totals().rewardSum) }
  })
  // Labelled, so that with no learning policy in force there is no sample at all rather than a 0.
  const gauge = (name: string, help: string, pick: (s: NonNullable<ReturnType<LearningKeeper['stats']>>) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['policy'] as const,
      registers,
      collect () {
        const stats = learning.stats()
        this.reset()
        if (stats !== undefined) this.set({ policy: 'learning' }, pick(stats))
      }
    })
  }
  gauge('p2pfaas_learning_average_reward', 'The learning policy\'s estimate of its average reward per decision (R-bar of differential SARSA)', s => s.averageReward)
  gauge('p2pfaas_learning_epsilon', 'The learning policy\'s exploration rate epsilon', s => s.epsilon)
  gauge('p2pfaas_learning_table_states', 'States in the learning policy\'s table', s => s.states)
}

/** `GET /metrics`: Prometheus text format, no credentials (read-only, as in OpenFaaS) unless reads are private. */
export function registerMetricsRoutes (app: FastifyInstance, metrics: Metrics, readGuard?: AdminGuard): void {
  app.get('/metrics', readOptions(readGuard), async (_req, reply) => {
    const text = await metrics.scrape()
    return await reply.header('content-type', metrics.contentType).send(text)
  })
}
