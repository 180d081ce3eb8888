import { getHeapSpaceStatistics, type HeapSpaceInfo } from 'node:v8'
import { Counter, Gauge, type Registry } from 'prom-client'

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
