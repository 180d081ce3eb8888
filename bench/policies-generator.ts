import { performance as perfHooks } from 'node:perf_hooks'
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import { Pool } from 'undici'

/**
 * The load generator of bench/policies.ts, run in a worker thread so its timing never waits behind
 * the nodes' event loop and the nodes' loop never pays for the client.
 */

export interface Arrival { at: number, node: number }

export interface CallRecord {
  node: number
  at: number
  outcome: 'ok' | 'rejected' | 'error' | 'dropped'
  status: number
  /** Send to the end of the body (ms). */
  rtMs: number
  hops: number
  /** The executing node's X-P2pfaas-Timing-Execution-Time-Seconds, in ms. */
  execMs: number
  /** Actual send time minus the scheduled one (ms). */
  lagMs: number
  scheduler: string
}

export interface GeneratorJob { urls: string[], fn: string, list: Arrival[], maxInFlight: number }
export interface GeneratorResult { records: CallRecord[], maxPending: number, elu: number }

/** The worker: sends each arrival at its time, whatever the answers to earlier ones (open loop). */
async function generate (job: GeneratorJob): Promise<GeneratorResult> {
  const elu0 = perfHooks.eventLoopUtilization()
  const pools = job.urls.map(url => new Pool(url, { connections: 256, headersTimeout: 60_000, bodyTimeout: 60_000 }))
  const records: CallRecord[] = []
  const body = Buffer.from('x')
  const { list } = job
  let inFlight = 0
  let next = 0
  let maxPending = 0
  const t0 = performance.now() + 20
  await new Promise<void>(resolve => {
    const finish = (): void => { if (next >= list.length && inFlight === 0) resolve() }
    const fire = (a: Arrival): void => {
      const sentAt = performance.now()
      const lagMs = sentAt - (t0 + a.at)
      if (inFlight >= job.maxInFlight) {
        records.push({ node: a.node, at: a.at, outcome: 'dropped', status: 0, rtMs: NaN, hops: 0, execMs: NaN, lagMs, scheduler: '' })
        return
      }
      inFlight++
      pools[a.node]!.request({ method: 'POST', path: `/function/${job.fn}`, body, headers: { 'content-type': 'text/plain' } }).then(async res => {
        await res.body.dump()
        const h = (k: string): string => { const v = res.headers[k]; return Array.isArray(v) ? v[0] ?? '' : v ?? '' }
        const status = res.statusCode
        records.push({
          node: a.node,
          at: a.at,
          outcome: status === 200 ? 'ok' : status === 429 ? 'rejected' : 'error',
          status,
          rtMs: performance.now() - sentAt,
          hops: Number(h('x-p2pfaas-hops') || 0),
          execMs: Number(h('x-p2pfaas-timing-execution-time-seconds') || NaN) * 1000,
          lagMs,
          scheduler: h('x-p2pfaas-scheduler')
        })
      }, () => {
        records.push({ node: a.node, at: a.at, outcome: 'error', status: 0, rtMs: performance.now() - sentAt, hops: 0, execMs: NaN, lagMs, scheduler: '' })
      }).finally(() => { inFlight--; finish() })
    }
    const tick = (): void => {
      const now = performance.now() - t0
      while (next < list.length && list[next]!.at <= now) fire(list[next++]!)
      for (const p of pools) maxPending = Math.max(maxPending, p.stats.pending)
      if (next < list.length) setTimeout(tick, Math.max(0, list[next]!.at - (performance.now() - t0)))
      else finish()
    }
    setTimeout(tick, 20)
  })
  const elu = perfHooks.eventLoopUtilization(elu0).utilization
  await Promise.all(pools.map(async p => { await p.close() }))
  return { records, maxPending, elu }
}

if (!isMainThread) {
  const result = await generate(workerData as GeneratorJob)
  parentPort!.postMessage(result)
}
