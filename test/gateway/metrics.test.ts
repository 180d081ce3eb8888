import { PerformanceObserver } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/node.js'
import { waitFor } from '../helpers/mesh.js'

/**
 * GET /metrics on real nodes (process runtime, emulated functions): the OpenFaaS series count what
 * clients asked of each gateway, the p2pfaas_ series where the calls went.
 */

const nodes: TestNode[] = []

function fullCollection (): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}
afterEach(async () => { for (const t of nodes.splice(0).reverse()) await t.stop() })

async function start (flags: Parameters<typeof startTestNode>[0] = {}): Promise<TestNode> {
  const t = await startTestNode({ runtime: 'process', ...flags })
  nodes.push(t)
  return t
}

const EMU = { service: 'emu', labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': 'fixed:5ms', 'p2pfaas.concurrency': '1', 'p2pfaas.queue': '0' } }

async function deployEmu (t: TestNode): Promise<void> {
  const res = await fetch(`${t.url}/system/functions`, { method: 'POST', headers: { authorization: t.auth, 'content-type': 'application/json' }, body: JSON.stringify(EMU) })
  expect(res.status, await res.clone().text()).toBe(202)
}

// A small reader of the Prometheus text format (0.0.4): TYPE lines and samples with their labels.

interface Sample { name: string, labels: Record<string, string>, value: number }
interface Scrape { types: Map<string, string>, samples: Sample[] }

function parseExposition (text: string): Scrape {
  const types = new Map<string, string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    if (line.startsWith('#')) {
      const m = /^# TYPE (\S+) (\S+)$/.exec(line)
      if (m != null) types.set(m[1]!, m[2]!)
      continue
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( \d+)?$/.exec(line)
    if (m == null) throw new Error(`not a sample line: ${line}`)
    samples.push({ name: m[1]!, labels: parseLabels(m[2] ?? ''), value: parseValue(m[3]!) })
  }
  return { types, samples }
}

function parseLabels (text: string): Record<string, string> {
  const labels: Record<string, string> = {}
  if (text === '') return labels
  let i = 1 // past '{'
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i)
    const name = text.slice(i, eq).trim()
    if (text[eq + 1] !== '"') throw new Error(`bad label value in ${text}`)
    let value = ''
    let j = eq + 2
    for (; text[j] !== '"'; j++) {
      if (j >= text.length) throw new Error(`unterminated label value in ${text}`)
      if (text[j] === '\\') {
        j++
        value += text[j] === 'n' ? '\n' : text[j]
      } else value += text[j]
    }
    labels[name] = value
    i = j + 1
    if (text[i] === ',') i++
  }
  return labels
}

function parseValue (text: string): number {
  if (text === '+Inf') return Infinity
  if (text === '-Inf') return -Infinity
  return Number(text)
}

/** The value of the one sample with exactly these labels, or undefined. */
function valueOf (s: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels)
  const found = s.samples.filter(x => x.name === name && Object.keys(x.labels).length === want.length &&
    want.every(([k, v]) => x.labels[k] === v))
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`)
  return found[0]?.value
}

async function scrape (t: TestNode): Promise<Scrape> {
  const res = await fetch(`${t.url}/metrics`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return parseExposition(await res.text())
}

/** A histogram's buckets for one label set: cumulative, ending in +Inf = _count. */
function checkHistogram (s: Scrape, name: string, labels: Record<string, string>): { count: number, sum: number, buckets: Map<number, number> } {
  const buckets = new Map<number, number>()
  for (const x of s.samples) {
    if (x.name !== `${name}_bucket`) continue
    const { le, ...rest } = x.labels
    if (Object.keys(rest).length !== Object.keys(labels).length || !Object.entries(labels).every(([k, v]) => rest[k] === v)) continue
    buckets.set(parseValue(le!), x.value)
  }
  const count = valueOf(s, `${name}_count`, labels)
  const sum = valueOf(s, `${name}_sum`, labels)
  expect(count, `${name}_count`).toBeDefined()
  expect(sum, `${name}_sum`).toBeDefined()
  const bounds = [...buckets.keys()].sort((a, b) => a - b)
  expect(bounds.at(-1)).toBe(Infinity)
  expect(buckets.get(Infinity)).toBe(count)
  for (let i = 1; i < bounds.length; i++) expect(buckets.get(bounds[i]!)!).toBeGreaterThanOrEqual(buckets.get(bounds[i - 1]!)!)
  return { count: count!, sum: sum!, buckets }
}

describe('GET /metrics', () => {
  it('counts calls by function and status with OpenFaaS names, and shows where they went', async () => {
    const t = await start()
    await deployEmu(t)

    const statuses: number[] = []
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${t.url}/function/emu`, { method: 'POST', body: 'x' })
      await res.arrayBuffer()
      statuses.push(res.status)
    }
    // One slot, no queue: of several calls at once, one runs and the others get 429.
    const burst = await Promise.all(Array.from({ length: 5 }, async () => {
      const res = await fetch(`${t.url}/function/emu?ms=300`, { method: 'POST' })
      await res.arrayBuffer()
      return res.status
    }))
    statuses.push(...burst)
    const missing = await fetch(`${t.url}/function/missing`)
    expect(missing.status).toBe(404)
    await missing.arrayBuffer()
    // A bad name never reaches the scheduler and is not counted.
    expect((await fetch(`${t.url}/function/Bad_Name`)).status).toBe(400)

    const ok = statuses.filter(s => s === 200).length
    const overloaded = statuses.filter(s => s === 429).length
    expect(ok + overloaded).toBe(statuses.length)
    expect(burst.filter(s => s === 200).length).toBeGreaterThanOrEqual(1)
    expect(overloaded).toBeGreaterThanOrEqual(1)

    // No credentials needed.
    const m = await scrape(t)
    expect(m.types.get('gateway_function_invocation_total')).toBe('counter')
    expect(m.types.get('gateway_function_invocation_started')).toBe('counter')
    expect(m.types.get('gateway_functions_seconds')).toBe('histogram')
    expect(m.types.get('gateway_service_count')).toBe('gauge')

    expect(valueOf(m, 'gateway_function_invocation_total', { function_name: 'emu', code: '200' })).toBe(ok)
    expect(valueOf(m, 'gateway_function_invocation_total', { function_name: 'emu', code: '429' })).toBe(overloaded)
    // Calls to names deployed nowhere share one series, so outsiders cannot grow the registry.
    expect(valueOf(m, 'gateway_function_invocation_total', { function_name: '_not_found', code: '404' })).toBe(1)
    expect(m.samples.some(x => x.labels.function_name === 'missing')).toBe(false)
    expect(m.samples.filter(x => x.name === 'gateway_function_invocation_total').reduce((n, x) => n + x.value, 0)).toBe(statuses.length + 1)
    expect(m.samples.some(x => x.labels.function_name === 'Bad_Name')).toBe(false)
    expect(valueOf(m, 'gateway_function_invocation_started', { function_name: 'emu' })).toBe(statuses.length)
    expect(valueOf(m, 'gateway_function_invocation_started', { function_name: '_not_found' })).toBeUndefined()
    expect(valueOf(m, 'gateway_service_count', { function_name: 'emu' })).toBe(1)
    expect(valueOf(m, 'gateway_service_count', { function_name: 'missing' })).toBeUndefined()

    const seconds = checkHistogram(m, 'gateway_functions_seconds', { function_name: 'emu' })
    expect(seconds.count).toBe(statuses.length)
    // The three 5 ms calls and at least one 300 ms call ran.
    expect(seconds.sum).toBeGreaterThan(0.3 + 3 * 0.005)
    expect(seconds.sum).toBeLessThan(10)
    expect(seconds.buckets.get(0.001)).toBeLessThanOrEqual(overloaded)
    expect(seconds.buckets.get(0.25)).toBe(statuses.length - burst.filter(s => s === 200).length)

    // Where they went: all here, nothing forwarded or received, 429s and the 404 rejected.
    expect(valueOf(m, 'p2pfaas_calls_forwarded_total', { function_name: 'emu' }) ?? 0).toBe(0)
    expect(valueOf(m, 'p2pfaas_calls_received_total', { function_name: 'emu' }) ?? 0).toBe(0)
    expect(valueOf(m, 'p2pfaas_calls_rejected_total', { function_name: 'emu', code: 'OVERLOADED' })).toBe(overloaded)
    expect(valueOf(m, 'p2pfaas_calls_rejected_total', { function_name: '_not_found', code: 'FUNCTION_NOT_FOUND' })).toBe(1)
    expect(valueOf(m, 'p2pfaas_probes_total', { function_name: 'emu' }) ?? 0).toBe(0)
    const hops = checkHistogram(m, 'p2pfaas_call_hops', { function_name: 'emu' })
    expect(hops.count).toBe(statuses.length)
    expect(hops.buckets.get(0)).toBe(statuses.length)

    // The executor saw only the calls that got a slot.
    const exec = checkHistogram(m, 'p2pfaas_execution_seconds', { function_name: 'emu' })
    expect(exec.count).toBe(ok)
    expect(exec.sum).toBeGreaterThan(0.3)
    expect(exec.buckets.get(0.001)).toBe(0)
    const queue = checkHistogram(m, 'p2pfaas_queue_seconds', { function_name: 'emu' })
    expect(queue.count).toBe(ok)
    expect(queue.sum).toBeLessThan(0.1)

    // Load right now: idle, one slot.
    expect(valueOf(m, 'p2pfaas_function_running', { function_name: 'emu' })).toBe(0)
    expect(valueOf(m, 'p2pfaas_function_queued', { function_name: 'emu' })).toBe(0)
    expect(valueOf(m, 'p2pfaas_function_capacity', { function_name: 'emu' })).toBe(1)

    // Alone in the mesh.
    expect(valueOf(m, 'p2pfaas_mesh_peers')).toBe(0)
    expect(valueOf(m, 'p2pfaas_mesh_peers_connected')).toBe(0)
    expect(valueOf(m, 'p2pfaas_libp2p_connections', { direction: 'inbound' })).toBe(0)
    expect(valueOf(m, 'p2pfaas_libp2p_connections', { direction: 'outbound' })).toBe(0)
    expect(valueOf(m, 'p2pfaas_mesh_links')).toBe(0)
    expect(valueOf(m, 'p2pfaas_link_frames_total', { direction: 'out' })).toBe(0)
    expect(valueOf(m, 'p2pfaas_link_events_total', { event: 'suspect_ping' })).toBe(0)
    expect(valueOf(m, 'p2pfaas_member_records_total', { result: 'accepted' })).toBe(0)
    expect(valueOf(m, 'p2pfaas_member_records_total', { result: 'rejected' })).toBe(0)
    // Alone, it signed its first version and has gained no link since.
    expect(valueOf(m, 'p2pfaas_member_own_versions_total', { cause: 'start' })).toBe(1)
    expect(valueOf(m, 'p2pfaas_member_own_versions_total', { cause: 'links_gained' })).toBe(0)
    const info = m.samples.filter(x => x.name === 'p2pfaas_node_info')
    expect(info).toHaveLength(1)
    expect(info[0]!.labels.peer_id).toBe(t.node.mesh.peerId.toString())
    expect(info[0]!.value).toBe(1)

    // Running and queued are read at scrape time.
    const busy = fetch(`${t.url}/function/emu?ms=500`, { method: 'POST' })
    await waitFor('emu busy', () => t.node.executor.loadOf('emu')?.running === 1, 5000, 5)
    expect(valueOf(await scrape(t), 'p2pfaas_function_running', { function_name: 'emu' })).toBe(1)
    expect((await busy).status).toBe(200)
  })

  it('counts a call forwarded on the node that sent it and received on the node that ran it', async () => {
    const a = await start()
    const b = await start({ bootstrap: [a.node.mesh.addrs()[0]!] })
    await deployEmu(a)
    await deployEmu(b)
    const aId = a.node.mesh.peerId.toString()
    const bId = b.node.mesh.peerId.toString()
    await waitFor('a sees emu on b', () => {
      const peer = a.node.mesh.view.get(bId)
      return peer?.connected === true && peer.functions.includes('emu')
    }, 5000)

    const busy = fetch(`${a.url}/function/emu?ms=1000`, { method: 'POST' })
    await waitFor('a busy', () => a.node.executor.loadOf('emu')?.running === 1, 5000, 5)
    const res = await fetch(`${a.url}/function/emu?ms=5`, { method: 'POST' })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.headers.get('x-p2pfaas-peers-list-id')!)).toEqual([aId, bId])
    expect((await busy).status).toBe(200)

    const ma = await scrape(a)
    const mb = await scrape(b)
    // a: both calls came from its clients; one ran here, one went to b.
    expect(valueOf(ma, 'gateway_function_invocation_total', { function_name: 'emu', code: '200' })).toBe(2)
    expect(valueOf(ma, 'p2pfaas_calls_forwarded_total', { function_name: 'emu' })).toBe(1)
    expect(valueOf(ma, 'p2pfaas_calls_received_total', { function_name: 'emu' }) ?? 0).toBe(0)
    expect(checkHistogram(ma, 'p2pfaas_execution_seconds', { function_name: 'emu' }).count).toBe(1)
    const hops = checkHistogram(ma, 'p2pfaas_call_hops', { function_name: 'emu' })
    expect(hops.count).toBe(2)
    expect(hops.buckets.get(0)).toBe(1)
    expect(hops.buckets.get(1)).toBe(2)
    // b: no client call of its own, one received from a and run here.
    expect(valueOf(mb, 'gateway_function_invocation_total', { function_name: 'emu', code: '200' }) ?? 0).toBe(0)
    expect(valueOf(mb, 'gateway_function_invocation_started', { function_name: 'emu' }) ?? 0).toBe(0)
    expect(valueOf(mb, 'p2pfaas_calls_received_total', { function_name: 'emu' })).toBe(1)
    expect(valueOf(mb, 'p2pfaas_calls_forwarded_total', { function_name: 'emu' }) ?? 0).toBe(0)
    expect(checkHistogram(mb, 'p2pfaas_execution_seconds', { function_name: 'emu' }).count).toBe(1)

    for (const m of [ma, mb]) {
      expect(valueOf(m, 'p2pfaas_mesh_peers_connected')).toBe(1)
      expect(valueOf(m, 'p2pfaas_libp2p_connections', { direction: 'inbound' })! + valueOf(m, 'p2pfaas_libp2p_connections', { direction: 'outbound' })!).toBeGreaterThanOrEqual(1)
      expect(valueOf(m, 'p2pfaas_mesh_links')).toBe(1)
      expect(valueOf(m, 'p2pfaas_link_frames_total', { direction: 'in' })).toBeGreaterThanOrEqual(1)
      expect(valueOf(m, 'p2pfaas_link_bytes_total', { direction: 'out' })).toBeGreaterThan(0)
      expect(valueOf(m, 'p2pfaas_member_records_total', { result: 'accepted' })).toBeGreaterThanOrEqual(1)
      expect(valueOf(m, 'p2pfaas_member_records_total', { result: 'rejected' })).toBe(0)
      // Its link to the other node is in a version of its own record.
      expect(valueOf(m, 'p2pfaas_member_own_versions_total', { cause: 'start' })).toBe(1)
      expect(valueOf(m, 'p2pfaas_member_own_versions_total', { cause: 'links_gained' })).toBeGreaterThanOrEqual(1)
    }
  })

  it('exposes the process\'s CPU and memory under the usual Node.js names, read at scrape time', async () => {
    const t = await start()
    const first = await scrape(t)
    expect(first.types.get('process_cpu_seconds_total')).toBe('counter')
    for (const name of ['process_resident_memory_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes']) {
      expect(first.types.get(name), name).toBe('gauge')
    }
    // The node runs in this process: its figures are this process's, read around the scrape.
    const rss = valueOf(first, 'process_resident_memory_bytes')!
    const used = valueOf(first, 'nodejs_heap_size_used_bytes')!
    const total = valueOf(first, 'nodejs_heap_size_total_bytes')!
    expect(rss).toBeGreaterThan(total)
    expect(used).toBeGreaterThan(0)
    expect(used).toBeLessThanOrEqual(total)
    expect(valueOf(first, 'nodejs_external_memory_bytes')).toBeGreaterThan(0)
    // Handles (this node's listening sockets at least) and the loop's lag, sampled at the scrape.
    expect(first.types.get('nodejs_active_handles_total')).toBe('gauge')
    expect(valueOf(first, 'nodejs_active_handles_total')).toBeGreaterThanOrEqual(2)
    expect(first.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge')
    expect(valueOf(first, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0)
    expect(valueOf(first, 'nodejs_eventloop_lag_seconds')).toBeLessThan(5)
    expect(Math.abs(rss - process.memoryUsage.rss()) / rss).toBeLessThan(0.5)
    // V8's spaces, the young generation among them, add up to the heap.
    expect(first.types.get('nodejs_heap_space_size_total_bytes')).toBe('gauge')
    expect(valueOf(first, 'nodejs_heap_space_size_total_bytes', { space: 'new' })).toBeGreaterThan(0)
    expect(valueOf(first, 'nodejs_heap_space_size_used_bytes', { space: 'old' })).toBeGreaterThan(0)
    const spaces = first.samples.filter(x => x.name === 'nodejs_heap_space_size_total_bytes').reduce((n, x) => n + x.value, 0)
    expect(Math.abs(spaces - total) / total).toBeLessThan(0.5)

    // CPU time spent between two scrapes shows in the counter.
    const cpu0 = valueOf(first, 'process_cpu_seconds_total')!
    const { user, system } = process.cpuUsage()
    expect(cpu0).toBeGreaterThan(0)
    expect(cpu0).toBeLessThanOrEqual((user + system) / 1e6)
    // Burn 100 ms of this process's CPU (not of wall time: on a busy machine the two differ).
    const cpuNow = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }
    const until = cpuNow() + 0.1
    while (cpuNow() < until) {}
    const cpu1 = valueOf(await scrape(t), 'process_cpu_seconds_total')!
    expect(cpu1 - cpu0).toBeGreaterThanOrEqual(0.08)
  })

  it('counts V8\'s collections by kind while the node runs, and no longer once it stopped', async () => {
    const t = await start()
    const first = await scrape(t)
    expect(first.types.get('nodejs_gc_duration_seconds')).toBe('histogram')
    const majors = (m: Scrape): number => valueOf(m, 'nodejs_gc_duration_seconds_count', { kind: 'major' }) ?? 0
    const before = majors(first)
    // A full collection of this process's real heap; the observer reports it on a later turn.
    fullCollection()
    await waitFor('a major collection counted', async () => majors(await scrape(t)) > before)
    const counted = majors(await scrape(t))
    expect(valueOf(await scrape(t), 'nodejs_gc_duration_seconds_sum', { kind: 'major' })).toBeGreaterThan(0)
    await t.stop()
    // Another observer tells when the next collection has been reported: the node's, removed by
    // stop(), must not have counted it.
    const seen = new Promise<void>(resolve => {
      const witness = new PerformanceObserver(() => { witness.disconnect(); resolve() })
      witness.observe({ entryTypes: ['gc'] })
    })
    fullCollection()
    await seen
    const text = await t.node.metrics.registry.getSingleMetricAsString('nodejs_gc_duration_seconds')
    expect(majors(parseExposition(text))).toBe(counted)
  })

  it('stops listening when the node stops', async () => {
    const t = await start()
    // The metrics and the dashboard's call recorder, both reading the node's one call accounting.
    expect(t.node.calls.listenerCount('call:routed')).toBe(2)
    expect(t.node.invoke.listenerCount('call:routed')).toBe(1)
    const before = t.node.executor.listenerCount('call:end')
    await t.stop()
    expect(t.node.calls.listenerCount('call:routed')).toBe(0)
    expect(t.node.invoke.listenerCount('call:routed')).toBe(0)
    expect(t.node.executor.listenerCount('call:end')).toBe(before - 1)
  })
})
