import { execFileSync } from 'node:child_process'
import { IN_FLIGHT, isLink, mapLimited, readMesh, type Fleet, type FleetProcess } from './fleet.js'
import type { Host, Lan } from './lan.js'
import { cpuPercent, cpuTicks, machineTicks, metricValue, programPid, rssMiB } from './proc.js'

export { cpuSeconds, programPid } from './proc.js'

/**
 * What a running fleet (test/helpers/fleet.ts) costs and whether it works: idle traffic, CPU and
 * memory per node, how old the load each node holds of its neighbours is, and a hand-off from every
 * node. Read from /proc, the LAN bridge and each node's HTTP API, gently: 64 nodes may share
 * 2 cores with this process.
 */

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const mean = (xs: number[]): number => xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length
const lastOctet = (host: Host): string => host.ip.split('.').pop()!

export interface IdleSample {
  seconds: number
  /** rx+tx on each node's link, per second: mean over nodes, and the busiest node. */
  bytesPerNodePerSec: number
  bytesPerNodePerSecMax: number
  /** Per node, in % of one core. */
  cpuPctPerNode: { mean: number, max: number }
  /** The whole machine (every process, not only the fleet's), in % of all its cores. */
  machineBusyPct: number
  cores: number
  rssMiB: { mean: number, max: number }
  /** From `nodejs_heap_size_used_bytes` on /metrics, when the nodes export it. */
  heapUsedMiB?: { mean: number, max: number }
  /**
   * Full collections inside the window, summed over nodes: the node's own heap trims
   * (src/heap-trim.ts) and V8's major collections (its memory reducer's among them, which run once
   * a node goes quiet). Either shows in a 10 s window of an idle node, so the busiest node says
   * which of its own it had.
   */
  heapTrims?: number
  majorGcs?: number
  busiest?: { node: number, cpuPct: number, heapTrims: number, majorGcs: number }
  /** The node with the largest RSS (its index in the fleet) and its V8 heap, to tell a kept heap from other memory. */
  largest?: { node: number, rssMiB: number, heapUsedMiB?: number, heapTotalMiB?: number }
}

export interface StalenessSample {
  /** Age in ms of link peers' load; null when there was no sample. */
  p50: number | null
  p99: number | null
  max: number | null
  samples: number
  /** /mesh reads tried, and how many got no answer (a node too busy to answer within 5 s). */
  reads: number
  unanswered: number
}

export interface HandOffResult {
  tried: number
  ok: number
  /** Answered 200 but run by a node other than the one that has the function. */
  wrongExecutor: number
  /** How many of the calls went to a node the caller had no direct link to, when it was asked. */
  notLinked: number
  errors: string[]
}

/** rx+tx of every host's link, read on the bridge side: one `ip` call for the whole LAN. */
function linkBytes (lan: Lan): Map<string, number> {
  const links = JSON.parse(execFileSync('ip', ['-n', `pf${lan.id}br`, '-s', '-j', 'link']).toString()) as Array<{ ifname: string, stats64?: { rx: { bytes: number }, tx: { bytes: number } } }>
  return new Map(links.map(l => [l.ifname, (l.stats64?.rx.bytes ?? 0) + (l.stats64?.tx.bytes ?? 0)]))
}

/** Index of the largest finite value, -1 if none. */
const argmax = (xs: number[]): number => xs.reduce((best, x, i) => Number.isFinite(x) && (best < 0 || x > xs[best]!) ? i : best, -1)

const stats = (xs: number[]): { mean: number, max: number } => {
  const ok = xs.filter(Number.isFinite)
  return { mean: mean(ok), max: ok.length > 0 ? Math.max(...ok) : NaN }
}

/**
 * Waits until the mesh has stopped forming: no link made or lost and no member record taken by any
 * node (their /metrics counters) between two reads `quietMs` apart. Idle figures mean something
 * only after this. Returns how long it took, or null when it did not settle within `timeoutMs`.
 */
export async function waitForQuiet (fleet: Fleet, quietMs = 4000, timeoutMs = 60_000): Promise<number | null> {
  const t0 = performance.now()
  const read = async (): Promise<number[]> => await mapLimited(fleet.nodes, IN_FLIGHT, async node => {
    const res = await fleet.lan.get(`${node.url}/metrics`, 3000)
    if (res.status !== 200) return NaN
    let sum = 0
    // Links made and lost, dials, records: not suspect pings, which say nothing of the mesh's shape.
    for (const m of res.body.matchAll(/^p2pfaas_(?:link_events_total\{event="(?:link_up|link_down|dial|dial_failed)"\}|member_records_total\{[^}]*\}) (\d+)/gm)) sum += Number(m[1])
    return sum
  })
  let last = await read()
  while (performance.now() - t0 < timeoutMs) {
    await sleep(quietMs)
    const now = await read()
    if (now.every((x, i) => x === last[i] && !Number.isNaN(x))) return performance.now() - t0
    last = now
  }
  return null
}

/**
 * What the fleet costs while nobody asks it anything: nothing is sent to the nodes during the
 * window, so only what they send each other (and mDNS) crosses their links. Memory and heap are
 * read after the window.
 */
export async function sampleIdle (fleet: { lan: Lan, nodes: FleetProcess[] }, seconds: number): Promise<IdleSample> {
  const { lan, nodes } = fleet
  const veths = nodes.map(node => `pf${lan.id}p${lastOctet(node.host)}`)
  const pids = nodes.map(node => programPid(node.proc))

  // Read before the window opens: the scrape's own work is then outside it.
  const fullBefore = await mapLimited(nodes, IN_FLIGHT, async node => await nodeCounters(lan, node.url))
  const bytesBefore = linkBytes(lan)
  const cpuBefore = pids.map(cpuTicks)
  const machineBefore = machineTicks()
  const t0 = performance.now()
  await sleep(seconds * 1000)
  const bytesAfter = linkBytes(lan)
  const cpuAfter = pids.map(cpuTicks)
  const machineAfter = machineTicks()
  const secs = (performance.now() - t0) / 1000

  const bytes = veths.map(v => ((bytesAfter.get(v) ?? NaN) - (bytesBefore.get(v) ?? NaN)) / secs)
  const cpu = cpuPercent(cpuBefore, cpuAfter, secs)
  const rss = pids.map(rssMiB)
  const sample: IdleSample = {
    seconds: secs,
    bytesPerNodePerSec: stats(bytes).mean,
    bytesPerNodePerSecMax: stats(bytes).max,
    cpuPctPerNode: stats(cpu),
    machineBusyPct: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total) * 100,
    cores: machineAfter.cores,
    rssMiB: stats(rss)
  }
  const fullAfter = await mapLimited(nodes, IN_FLIGHT, async node => await nodeCounters(lan, node.url))
  const trims = fullAfter.map((x, i) => x.heapTrims - fullBefore[i]!.heapTrims)
  const majors = fullAfter.map((x, i) => x.majorGcs - fullBefore[i]!.majorGcs)
  const sum = (xs: number[]): number | undefined => xs.some(Number.isFinite) ? xs.filter(Number.isFinite).reduce((a, b) => a + b, 0) : undefined
  sample.heapTrims = sum(trims)
  sample.majorGcs = sum(majors)
  const busiest = argmax(cpu)
  if (busiest >= 0) sample.busiest = { node: busiest, cpuPct: cpu[busiest]!, heapTrims: trims[busiest]!, majorGcs: majors[busiest]! }
  const largest = argmax(rss)
  if (largest >= 0) sample.largest = { node: largest, rssMiB: rss[largest]! }
  if (nodes.some(node => node.url != null)) {
    const known = fullAfter.flatMap(c => Number.isFinite(c.heapUsedMiB) ? [c.heapUsedMiB] : [])
    if (known.length > 0) sample.heapUsedMiB = stats(known)
    const finite = (x: number | undefined): number | undefined => Number.isFinite(x) ? x : undefined
    if (sample.largest != null) sample.largest = { ...sample.largest, heapUsedMiB: finite(fullAfter[largest]?.heapUsedMiB), heapTotalMiB: finite(fullAfter[largest]?.heapTotalMiB) }
  }
  return sample
}

export interface NodeCounters {
  /** Link frames sent. */
  framesOut: number
  /** V8's major collections (`nodejs_gc_duration_seconds`, which lists a kind once it has happened). */
  majorGcs: number
  /** The node's own heap trims (src/heap-trim.ts). */
  heapTrims: number
  /** V8's heap now (MiB): not a counter, but read from the same scrape. */
  heapUsedMiB: number
  heapTotalMiB: number
  /** p2pfaas_mesh_ring: 1 while the ring of watched links carries the node's liveness, 0 while it watches every link. */
  ring: number
}

/** What a node's /metrics says it has sent and collected so far: NaN for a series it does not export, or no answer. */
export async function nodeCounters (lan: Lan, url: string | undefined): Promise<NodeCounters> {
  const res = url == null ? undefined : await lan.get(`${url}/metrics`, 3000)
  if (res?.status !== 200) return { framesOut: NaN, majorGcs: NaN, heapTrims: NaN, heapUsedMiB: NaN, heapTotalMiB: NaN, ring: NaN }
  const gcExported = /^# TYPE nodejs_gc_duration_seconds histogram$/m.test(res.body)
  const mib = (name: string): number => metricValue(res.body, name) / 1024 / 1024
  return {
    framesOut: Number(/^p2pfaas_link_frames_total\{direction="out"\} (\S+)$/m.exec(res.body)?.[1] ?? NaN),
    majorGcs: gcExported ? Number(/^nodejs_gc_duration_seconds_count\{kind="major"\} (\S+)$/m.exec(res.body)?.[1] ?? 0) : NaN,
    heapTrims: metricValue(res.body, 'p2pfaas_heap_trims_total'),
    heapUsedMiB: mib('nodejs_heap_size_used_bytes'),
    heapTotalMiB: mib('nodejs_heap_size_total_bytes'),
    ring: metricValue(res.body, 'p2pfaas_mesh_ring')
  }
}

const percentile = (sorted: number[], p: number): number | null =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))]!

/**
 * How old the load a node holds of each direct overlay neighbour is: loadAgeMs of its link peers
 * (lastSeenMs of its connected peers today), read from a few nodes at a time every ~250 ms.
 */
export async function sampleStaleness (fleet: Fleet, seconds: number, opts: { everyMs?: number, perTick?: number } = {}): Promise<StalenessSample> {
  const everyMs = opts.everyMs ?? 250
  const perTick = Math.min(opts.perTick ?? 4, fleet.nodes.length)
  const ages: number[] = []
  const started = performance.now()
  let reads = 0
  let unanswered = 0
  let cursor = 0
  while (performance.now() - started < seconds * 1000) {
    const tick = performance.now()
    const batch = Array.from({ length: perTick }, (_, k) => fleet.nodes[(cursor + k) % fleet.nodes.length]!)
    cursor = (cursor + perTick) % fleet.nodes.length
    const views = await Promise.all(batch.map(async node => await readMesh(fleet.lan, node.url)))
    reads += views.length
    unanswered += views.filter(v => v == null).length
    for (const view of views) {
      for (const p of view?.peers ?? []) {
        if (!isLink(p)) continue
        const age = p.loadAgeMs !== undefined ? p.loadAgeMs : p.lastSeenMs
        if (typeof age === 'number' && Number.isFinite(age)) ages.push(age)
      }
    }
    await sleep(Math.max(0, everyMs - (performance.now() - tick)))
  }
  ages.sort((a, b) => a - b)
  return { p50: percentile(ages, 50), p99: percentile(ages, 99), max: ages.at(-1) ?? null, samples: ages.length, reads, unanswered }
}

/**
 * The targets of node i (0-based) in a fleet of n: its ring neighbours and the node opposite,
 * which an overlay of a few links per node is unlikely to connect it to directly.
 */
export function handOffTargets (i: number, n: number, perNode: number): number[] {
  const offsets = [1, Math.floor(n / 2), n - 1]
  for (let d = 2; d < n; d++) offsets.push(d, n - d)
  const targets: number[] = []
  for (const off of offsets) {
    const j = (i + off) % n
    if (j !== i && !targets.includes(j)) targets.push(j)
    if (targets.length >= perNode) break
  }
  return targets
}

/**
 * From every node i, calls `/function/fn-<j>` for `perNode` targets j; fn-<j> exists only on node j,
 * so a call is right when it answers 200 and its path (`X-P2pfaas-Peers-List-Id`) ends at node j.
 */
export async function handOffCheck (fleet: Fleet, perNode = 3, timeoutMs = 10_000): Promise<HandOffResult> {
  const { lan, nodes } = fleet
  const pairs = nodes.flatMap((_, i) => handOffTargets(i, nodes.length, perNode).map(j => ({ from: nodes[i]!, to: nodes[j]! })))
  // Who each caller is directly linked to, to tell how many calls had to cross the overlay.
  const linked = await mapLimited(nodes, IN_FLIGHT, async node => new Set((await readMesh(lan, node.url))?.peers.filter(isLink).map(p => p.peerId) ?? []))
  const result: HandOffResult = { tried: pairs.length, ok: 0, wrongExecutor: 0, notLinked: 0, errors: [] }
  for (const { from, to } of pairs) if (!linked[from.index - 1]!.has(to.peerId)) result.notLinked++
  await mapLimited(pairs, IN_FLIGHT, async ({ from, to }) => {
    const what = `node ${from.index} → ${to.fn}`
    const res = await lan.get(`${from.url}/function/${to.fn}`, timeoutMs)
    if (res.status !== 200) {
      result.errors.push(`${what}: ${res.status === 0 ? res.error ?? 'no answer' : `${res.status} ${res.body.slice(0, 160)}`}`)
      return
    }
    let path: unknown
    try { path = JSON.parse(res.headers?.['x-p2pfaas-peers-list-id'] ?? '') } catch {}
    if (!Array.isArray(path) || path.length === 0) {
      result.errors.push(`${what}: 200 without a peers list (${res.headers?.['x-p2pfaas-peers-list-id'] ?? 'no header'})`)
    } else if (path.at(-1) === to.peerId) {
      result.ok++
    } else {
      result.wrongExecutor++
      result.errors.push(`${what}: run by ${String(path.at(-1))}, not node ${to.index} (${to.peerId})`)
    }
  })
  return result
}
