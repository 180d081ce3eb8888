import { getHeapSpaceStatistics, type HeapSpaceInfo } from 'node:v8'
import { PerformanceObserver, constants as perfConstants, type PerformanceEntry } from 'node:perf_hooks'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/**
 * The process itself, under the names prom-client's collectDefaultMetrics() uses, so the usual
 * Node.js dashboards work. Read at scrape time only: collectDefaultMetrics() would also start an
 * event-loop-lag monitor that wakes the process 100 times a second (about half a percent of a
 * core on an idle node, measured) and a GC observer that no stop() can remove.
 */
export function processSeries (registers: Registry[]): void {
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
}

/**
 * How often the node gave spare heap pages back (src/heap-trim.ts): each is one full, compacting
 * collection, so a bench can tell one inside its idle window from the mesh's own upkeep.
 */
export function heapTrimSeries (registers: Registry[], trims: () => number): void {
  new Counter({
    name: 'p2pfaas_heap_trims_total',
    help: 'Compacting collections this node asked V8 for after a burst, to give spare heap pages back.',
    registers,
    collect () {
      this.reset()
      this.inc(trims())
    }
  })
}

export interface GcSeries {
  start: () => void
  stop: () => void
}

const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb'
}

/**
 * V8's collections, as prom-client's collectDefaultMetrics() names them, from an observer that
 * start() adds and stop() removes. An idle node's CPU is mostly its links' pulses and the odd full
 * collection (V8's memory reducer runs two or three once a node goes quiet, 100 ms or more on a
 * small board): this tells the two apart. The observer costs nothing between collections.
 */
export function gcSeries (registers: Registry[]): GcSeries {
  const histogram = new Histogram<'kind'>({
    name: 'nodejs_gc_duration_seconds',
    help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    labelNames: ['kind'] as const,
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
    registers
  })
  let observer: PerformanceObserver | undefined
  const onEntries = (entries: PerformanceEntry[]): void => {
    for (const entry of entries) {
      const kind = GC_KINDS[(entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1]
      if (kind !== undefined) histogram.observe({ kind }, entry.duration / 1000)
    }
  }
  return {
    start () {
      if (observer != null) return
      observer = new PerformanceObserver(list => { onEntries(list.getEntries()) })
      observer.observe({ entryTypes: ['gc'] })
    },
    stop () {
      observer?.disconnect()
      observer = undefined
    }
  }
}
