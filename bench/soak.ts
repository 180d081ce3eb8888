import '../src/polyfill.js'
import { readdirSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { Agent } from 'undici'
import { parseDuration } from '../src/functions/quantities.js'
import { INVOKE_PROTOCOL } from '../src/invoke/constants.js'
import { createMeshLibp2p, type MeshLibp2p } from '../src/mesh/libp2p.js'
import { LINK_PROTOCOL } from '../src/mesh/link-session.js'
import { renderSvg, vegaLite, type SeriesPoint } from '../src/plot/vega.js'
import { startNodeProcess, type NodeProcess } from './node-process.js'
import { memoryOf, metricValue } from './process-stats.js'
import { repoPath } from '../test/helpers/cli.js'

/**
 * Hours of overload, compressed: three node processes on loopback (mDNS off) offered about twice
 * what their slots can run, so every node queues, refuses and hands off all the time, while a
 * foreign libp2p peer sends garbage on the invoke and link protocols. Every 10 s, per node: RSS and
 * open file descriptors (from /proc), V8 heap used, active handles and event-loop delay (from its
 * /metrics). Passes when, after the warm-up, nothing grew by 10 % or more: the mean of the last
 * fifth of the samples against the mean of the first fifth after warm-up.
 *   npm run bench:soak              (30 minutes)
 *   npm run bench:soak -- 5m        (a duration: 90s, 5m, 1h)
 *   npm run bench:soak -- 2m --warmup 30s --out DIR
 * Writes soak.svg and soak.json to --out (default test-artifacts/soak/) and ends with one summary line.
 */

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    warmup: { type: 'string' },
    every: { type: 'string', default: '10s' },
    out: { type: 'string', default: repoPath('test-artifacts', 'soak') }
  }
})

/** A duration flag in seconds, by the project's own rule ("90s", "5m", "1h", "1m30s"; bare: seconds). */
function seconds (text: string, what: string): number {
  const parsed = parseDuration(text, { min: 1000, max: 24 * 3_600_000 })
  if (!parsed.ok) {
    process.stderr.write(`bench:soak: ${what} ${parsed.message}\n`)
    process.exit(2)
  }
  return parsed.value / 1000
}

const DURATION_S = seconds(positionals[0] ?? '30m', 'the run\'s length')
const EVERY_S = seconds(values.every, '--every')
const WARMUP_S = seconds(values.warmup ?? `${Math.min(300, Math.round(DURATION_S / 5))}s`, '--warmup')
if (DURATION_S < 60 || DURATION_S > 24 * 3600 || WARMUP_S >= DURATION_S || EVERY_S < 1) {
  process.stderr.write('bench:soak: a run of 1 minute to 24 hours, a warm-up shorter than it, samples at least 1 s apart\n')
  process.exit(2)
}
const OUT = resolve(values.out)
const NODES = 3
const SLOTS = 4
const QUEUE = 4
const SERVICE_MS = 100
/** Twice what the slots run: every node saturated, queues full, refusals and hand-offs all along. */
const OFFERED_PER_NODE = 2 * SLOTS * 1000 / SERVICE_MS
/** Outstanding calls from this generator, at most: beyond it an arrival is dropped, never delayed. */
const CAP = 256
const FN = 'soak'
const GROWTH_LIMIT = 0.10

interface Sample { t: number, node: number, rssMiB: number, fds: number, heapMiB: number, handles: number, loopDelayMs: number }
const METRICS: Array<{ key: keyof Omit<Sample, 't' | 'node'>, title: string }> = [
  { key: 'rssMiB', title: 'RSS (MiB)' },
  { key: 'heapMiB', title: 'V8 heap used (MiB)' },
  { key: 'fds', title: 'open file descriptors' },
  { key: 'handles', title: 'active handles' },
  { key: 'loopDelayMs', title: 'event-loop lag at the sample (ms)' }
]

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

async function sample (n: NodeProcess, node: number, t: number): Promise<Sample> {
  const pid = n.proc.pid!
  const fds = readdirSync(`/proc/${pid}/fd`).length
  const text = await (await fetch(`${n.url}/metrics`, { headers: { authorization: n.auth } })).text()
  return {
    t,
    node,
    rssMiB: memoryOf(pid).rss / 2 ** 20,
    fds,
    heapMiB: metricValue(text, 'nodejs_heap_size_used_bytes') / 2 ** 20,
    handles: metricValue(text, 'nodejs_active_handles_total'),
    loopDelayMs: metricValue(text, 'nodejs_eventloop_lag_seconds') * 1000
  }
}

/** Calls at a steady rate to every node at once, counting answers by status; stops with `stop`. */
function overload (nodes: NodeProcess[], stop: AbortSignal): { counts: Map<string, number>, done: Promise<void> } {
  const counts = new Map<string, number>()
  const count = (k: string): void => { counts.set(k, (counts.get(k) ?? 0) + 1) }
  const agent = new Agent({ connections: CAP, pipelining: 1 })
  let outstanding = 0
  const gapMs = 1000 / (OFFERED_PER_NODE * nodes.length)
  const done = (async () => {
    const t0 = performance.now()
    let sent = 0
    while (!stop.aborted) {
      // Absolute times: a late timer sends what is overdue at once, so the rate holds.
      const due = Math.floor((performance.now() - t0) / gapMs)
      for (; sent < due; sent++) {
        if (outstanding >= CAP) { count('dropped by the generator'); continue }
        const n = nodes[sent % nodes.length]!
        outstanding++
        fetch(`${n.url}/function/${FN}`, { method: 'POST', body: 'x', signal: AbortSignal.timeout(10_000), dispatcher: agent } as RequestInit)
          .then(async res => { await res.arrayBuffer(); count(String(res.status)) }, (err: Error) => { count(err.name) })
          .finally(() => { outstanding-- })
      }
      await sleep(5)
    }
    while (outstanding > 0) await sleep(20)
    await agent.close()
  })()
  return { counts, done }
}

/** A foreign peer (not a mesh member) sending garbage on the invoke and link protocols, a few times a second. */
async function fuzz (nodes: NodeProcess[], stop: AbortSignal): Promise<{ sent: () => number, done: Promise<void> }> {
  const peer: MeshLibp2p = await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: [], role: 'cli' })
  await peer.start()
  let sent = 0
  const done = (async () => {
    let i = 0
    while (!stop.aborted) {
      const n = nodes[i % nodes.length]!
      const protocol = i % 2 === 0 ? INVOKE_PROTOCOL : LINK_PROTOCOL
      const garbage = new Uint8Array(1 + (i * 7919) % 512).map((_, j) => (j * 31 + i) & 0xff)
      try {
        const stream = await peer.dialProtocol(multiaddr(n.addr), protocol, { signal: AbortSignal.timeout(2000) })
        stream.send(garbage)
        await stream.close({ signal: AbortSignal.timeout(2000) }).catch(() => { stream.abort(new Error('fuzz')) })
        sent++
      } catch { /* refused, reset or throttled: that is the point */ }
      i++
      await sleep(200)
    }
    await peer.stop()
  })()
  return { sent: () => sent, done }
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)

/** Growth of one figure on one node: the last fifth of the samples after warm-up against the first fifth. */
function growth (samples: Sample[], key: keyof Omit<Sample, 't' | 'node'>): number {
  const after = samples.filter(s => s.t >= WARMUP_S)
  const fifth = Math.max(1, Math.floor(after.length / 5))
  const first = mean(after.slice(0, fifth).map(s => s[key]))
  const last = mean(after.slice(-fifth).map(s => s[key]))
  return first === 0 ? 0 : (last - first) / first
}

const nodes: NodeProcess[] = []
const stopper = new AbortController()
process.once('SIGINT', () => { stopper.abort() })
try {
  process.stderr.write(`bench:soak: ${NODES} nodes, ${SLOTS} slots and ${QUEUE} queue places each, a ${SERVICE_MS} ms function, ${OFFERED_PER_NODE} calls/s offered per node (2x), garbage from a foreign peer; ${DURATION_S} s, warm-up ${WARMUP_S} s, a sample every ${EVERY_S} s\n`)
  for (let i = 0; i < NODES; i++) nodes.push(await startNodeProcess({ runtime: 'process', tag: `soak${i}`, bootstrap: nodes.map(n => n.addr) }))
  for (const n of nodes) {
    const res = await fetch(`${n.url}/system/functions`, {
      method: 'POST',
      headers: { authorization: n.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ service: FN, labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': `fixed:${SERVICE_MS}ms`, 'p2pfaas.concurrency': String(SLOTS), 'p2pfaas.queue': String(QUEUE) } })
    })
    if (res.status !== 202) throw new Error(`deploy: ${res.status} ${await res.text()}`)
  }
  const load = overload(nodes, stopper.signal)
  const garbage = await fuzz(nodes, stopper.signal)
  const samples: Sample[] = []
  const t0 = performance.now()
  for (let k = 0; !stopper.signal.aborted; k++) {
    const at = t0 + k * EVERY_S * 1000
    if (at - t0 > DURATION_S * 1000) break
    await sleep(Math.max(0, at - performance.now()))
    const t = (performance.now() - t0) / 1000
    samples.push(...await Promise.all(nodes.map(async (n, i) => await sample(n, i, t))))
    const last = samples.slice(-NODES)
    process.stderr.write(`[${t.toFixed(0).padStart(5)} s] RSS ${last.map(s => s.rssMiB.toFixed(0)).join('/')} MiB, heap ${last.map(s => s.heapMiB.toFixed(0)).join('/')} MiB, fds ${last.map(s => s.fds).join('/')}, handles ${last.map(s => s.handles).join('/')}, loop lag ${last.map(s => s.loopDelayMs.toFixed(0)).join('/')} ms\n`)
  }
  stopper.abort()
  await Promise.all([load.done, garbage.done])

  const rows = METRICS.map(m => ({ ...m, growth: nodes.map((_, i) => growth(samples.filter(s => s.node === i), m.key)) }))
  // The event-loop delay is the load's, not a resource held: reported, not held to the limit.
  const held = rows.filter(r => r.key !== 'loopDelayMs')
  const worst = Math.max(...held.flatMap(r => r.growth))
  const pass = worst < GROWTH_LIMIT && samples.length > 0 && (samples.at(-1)!.t >= DURATION_S - EVERY_S)
  console.log(`\nGrowth after warm-up (last fifth vs first fifth of the samples after ${WARMUP_S} s), per node:`)
  for (const r of rows) console.log(`  ${r.title.padEnd(28)} ${r.growth.map(g => `${(g * 100).toFixed(1).padStart(6)} %`).join('  ')}`)
  console.log(`answers: ${[...load.counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}; garbage streams sent ${garbage.sent()}`)
  console.log(`load average at the end: ${loadavg().map(x => x.toFixed(2)).join(' ')}`)

  await mkdir(OUT, { recursive: true })
  await writeFile(join(OUT, 'soak.json'), JSON.stringify({ durationS: DURATION_S, warmupS: WARMUP_S, everyS: EVERY_S, samples, growth: rows, answers: Object.fromEntries(load.counts) }, null, 1))
  const points = (key: keyof Omit<Sample, 't' | 'node'>): SeriesPoint[] => samples.map(s => ({ x: s.t / 60, y: s[key], series: `node ${s.node + 1}` }))
  await writeFile(join(OUT, 'soak.svg'), await renderSvg(vegaLite({
    title: `Soak: ${NODES} nodes at 2x their capacity, garbage from a foreign peer (warm-up ${WARMUP_S} s, dashed)`,
    columns: 3,
    concat: METRICS.map(m => ({
      title: m.title,
      width: 300,
      height: 180,
      layer: [
        { data: { values: points(m.key) }, mark: { type: 'line' }, encoding: { x: { field: 'x', type: 'quantitative', title: 'minutes' }, y: { field: 'y', type: 'quantitative', title: m.title, scale: { zero: true } }, color: { field: 'series', type: 'nominal', title: null } } },
        { data: { values: [{ x: WARMUP_S / 60 }] }, mark: { type: 'rule', strokeDash: [4, 4] }, encoding: { x: { field: 'x', type: 'quantitative' } } }
      ]
    }))
  })))
  const completed = samples.at(-1)?.t ?? 0
  console.log(`soak ${pass ? 'PASS' : 'FAIL'}: ${(completed / 60).toFixed(1)} min, worst growth after warm-up ${(worst * 100).toFixed(1)} % (limit ${GROWTH_LIMIT * 100} %); ${join(OUT, 'soak.svg')}`)
  process.exitCode = pass ? 0 : 1
} finally {
  stopper.abort()
  for (const n of nodes) { n.proc.kill('SIGKILL'); await rm(n.dir, { recursive: true, force: true }) }
}
