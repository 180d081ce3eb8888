import '../src/polyfill.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import Dockerode from 'dockerode'
import { Pool } from 'undici'
import { startNodeProcess } from './node-process.js'
import { CLOCK_TICKS, memoryOf, metricValue, ticksOf } from './process-stats.js'
import { repoPath } from '../test/helpers/cli.js'

/**
 * What an idle node costs the machine it runs on, beside two floors measured in the same run: a
 * bare `node -e` and a bare libp2p node (tcp, noise, yamux, identify: bench/bare-loopback.mjs).
 * All start together on loopback (mDNS off), settle (30 s: V8 shrinks a fresh heap some 10 to 40 s
 * after start, and those collections are not idle cost), then are watched over the same window: RSS
 * from /proc/<pid>/status twice a second, CPU (user + system) from /proc/<pid>/stat, and at the end
 * the V8 heap and external memory (a node's from its /metrics, a floor's from process.memoryUsage()).
 *   npm run bench:footprint
 *   npm run bench:footprint -- --runtime process --settle 40 --window 30
 *   npm run bench:footprint -- --node-option=--max-old-space-size=512 --node-option=--max-semi-space-size=4
 * The last sizes V8's heap as it does on a 1 GiB board (V8 derives both limits from the machine's
 * memory: on a large host the young generation may grow to 32 MiB, on a 1 GiB board to 8 MiB).
 * Node options go to every process, floors included. `--runtime auto` runs only when a Docker
 * engine answers (the node then drives it, with no function deployed). `--load <s>` then drives
 * each node flat out for that long and reports calls/s, CPU per call and RSS under load: what
 * the memory options cost.
 *   npm run bench:footprint -- --runtime process --load 10 --node-option=--max-old-space-size=512
 */

const { values: opts } = parseArgs({
  options: {
    settle: { type: 'string', default: '30' },
    window: { type: 'string', default: '30' },
    runtime: { type: 'string', default: 'process,auto' },
    'node-option': { type: 'string', multiple: true, default: [] },
    load: { type: 'string', default: '0' },
    target: { type: 'string', default: '100' }
  }
})
const SETTLE_S = Number(opts.settle)
const WINDOW_S = Number(opts.window)
const TARGET_MIB = Number(opts.target)
const LOAD_S = Number(opts.load)
const SAMPLE_MS = 500
const MiB = 1024 * 1024
/** Options for every process measured, floors included, so that ratios compare like with like. */
const NODE_OPTIONS = opts['node-option']

interface Heap { heapUsed: number, heapTotal: number, external: number, /** V8's young generation. */ newSpace: number }
interface Subject {
  label: string
  pid: number
  heap: () => Promise<Heap>
  stop: () => Promise<void>
  /** A p2pfaas node: held to the target. */
  node: boolean
  /** A p2pfaas node driven flat out for `seconds` (--load): calls/s and what they cost. */
  load?: (seconds: number) => Promise<LoadResult>
}

interface LoadResult { callsPerSecond: number, cpuMsPerCall: number, rssMax: number, errors: number }

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

async function stopChild (proc: ChildProcess): Promise<void> {
  if (proc.exitCode != null || proc.signalCode != null) return
  const exited = new Promise(resolve => proc.once('exit', resolve))
  proc.kill('SIGTERM')
  const force = setTimeout(() => { proc.kill('SIGKILL') }, 10_000)
  await exited
  clearTimeout(force)
}

/** A floor: a script that prints a line once ready and answers each line on stdin with process.memoryUsage(). */
async function startFloor (label: string, args: string[]): Promise<Subject> {
  const proc = spawn(process.execPath, [...NODE_OPTIONS, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]()
  const first = await lines.next()
  if (first.done === true) throw new Error(`${label} exited before it was ready`)
  return {
    label,
    pid: proc.pid!,
    node: false,
    async heap () {
      proc.stdin!.write('\n')
      const line = await lines.next()
      if (line.done === true) throw new Error(`${label} exited`)
      return JSON.parse(line.value) as Heap
    },
    stop: async () => { await stopChild(proc) }
  }
}

const BARE_NODE = "const v8 = require('node:v8'); process.stdin.on('data', () => { process.stdout.write(JSON.stringify({ ...process.memoryUsage(), newSpace: v8.getHeapSpaceStatistics().find(s => s.space_name === 'new_space').space_size }) + '\\n') }); process.stdout.write('ready\\n')"

async function startP2pfaas (runtime: 'process' | 'auto'): Promise<Subject> {
  const n = await startNodeProcess({ runtime, tag: `footprint-${runtime}`, logLevel: 'error', stderr: 'inherit', nodeOptions: NODE_OPTIONS })
  return {
    label: `p2pfaas node --runtime ${runtime}`,
    pid: n.proc.pid!,
    node: true,
    async heap () {
      const text = await (await fetch(`${n.url}/metrics`)).text()
      return {
        heapUsed: metricValue(text, 'nodejs_heap_size_used_bytes'),
        heapTotal: metricValue(text, 'nodejs_heap_size_total_bytes'),
        external: metricValue(text, 'nodejs_external_memory_bytes'),
        newSpace: metricValue(text, 'nodejs_heap_space_size_total_bytes\\{space="new"\\}')
      }
    },
    load: async seconds => await driveNode(n.url, n.auth, n.proc.pid!, seconds),
    async stop () {
      await stopChild(n.proc)
      await rm(n.dir, { recursive: true, force: true })
    }
  }
}

const LOAD_CONNECTIONS = 32

/**
 * An emulated function (1 ms of service time, 64 slots: the node's own work is what is measured)
 * called by LOAD_CONNECTIONS keep-alive connections as fast as it answers, after a short warm-up.
 */
async function driveNode (url: string, auth: string, pid: number, seconds: number): Promise<LoadResult> {
  const fn = { service: 'footprint', labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': 'fixed:1ms', 'p2pfaas.concurrency': '64', 'p2pfaas.queue': '64' } }
  const deployed = await fetch(`${url}/system/functions`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(fn) })
  if (deployed.status !== 202) throw new Error(`deploy answered ${deployed.status}: ${await deployed.text()}`)
  const pool = new Pool(url, { connections: LOAD_CONNECTIONS })
  const body = Buffer.alloc(1024, 'x')
  const run = async (ms: number): Promise<{ calls: number, errors: number }> => {
    let calls = 0
    let errors = 0
    const end = performance.now() + ms
    await Promise.all(Array.from({ length: LOAD_CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const res = await pool.request({ method: 'POST', path: '/function/footprint', body })
        await res.body.dump()
        if (res.statusCode === 200) calls++
        else errors++
      }
    }))
    return { calls, errors }
  }
  try {
    await run(2000)
    let rssMax = 0
    const sampler = setInterval(() => { rssMax = Math.max(rssMax, memoryOf(pid).rss) }, 200)
    const ticks0 = ticksOf(pid)
    const t0 = performance.now()
    const { calls, errors } = await run(seconds * 1000)
    const elapsed = (performance.now() - t0) / 1000
    clearInterval(sampler)
    rssMax = Math.max(rssMax, memoryOf(pid).rss)
    return { callsPerSecond: calls / elapsed, cpuMsPerCall: (ticksOf(pid) - ticks0) / CLOCK_TICKS * 1000 / Math.max(1, calls), rssMax, errors }
  } finally {
    await pool.close()
  }
}

async function engineAnswers (): Promise<boolean> {
  try { await new Dockerode().ping(); return true } catch { return false }
}

const runtimes = opts.runtime.split(',').map(r => r.trim()).filter(r => r !== '')
for (const r of runtimes) if (r !== 'process' && r !== 'auto') throw new Error(`--runtime: process or auto, not ${r}`)
const notes: string[] = []
if (runtimes.includes('auto') && !await engineAnswers()) {
  runtimes.splice(runtimes.indexOf('auto'), 1)
  notes.push('--runtime auto skipped: no Docker engine answers')
}

const load0 = loadavg()
const subjects: Subject[] = []
try {
  const started = await Promise.allSettled([
    startFloor('bare node -e', ['-e', BARE_NODE]),
    startFloor('bare libp2p (loopback)', [repoPath('bench', 'bare-loopback.mjs')]),
    ...runtimes.map(async r => await startP2pfaas(r as 'process' | 'auto'))
  ])
  // Those that started are stopped below even when another failed.
  for (const s of started) if (s.status === 'fulfilled') subjects.push(s.value)
  for (const s of started) if (s.status === 'rejected') throw s.reason
  const ready = subjects.map(s => memoryOf(s.pid).rss)
  await sleep(SETTLE_S * 1000)

  const ticks0 = subjects.map(s => ticksOf(s.pid))
  const t0 = performance.now()
  const samples: number[][] = subjects.map(() => [])
  while (performance.now() - t0 < WINDOW_S * 1000) {
    subjects.forEach((s, i) => { samples[i]!.push(memoryOf(s.pid).rss) })
    await sleep(SAMPLE_MS)
  }
  const seconds = (performance.now() - t0) / 1000
  const cpu = subjects.map((s, i) => (ticksOf(s.pid) - ticks0[i]!) / CLOCK_TICKS / seconds * 100)
  // After the CPU window: a scrape costs CPU of its own.
  const heaps = await Promise.all(subjects.map(async s => await s.heap()))
  const hwm = subjects.map(s => memoryOf(s.pid).hwm)

  const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }
  const rows = subjects.map((s, i) => ({
    s,
    ready: ready[i]!,
    median: median(samples[i]!),
    max: Math.max(...samples[i]!),
    end: samples[i]!.at(-1)!,
    hwm: hwm[i]!,
    heap: heaps[i]!,
    cpu: cpu[i]!
  }))

  // A figure the node does not export (an older build's /metrics) shows as '-'.
  const mib = (b: number): string => Number.isFinite(b) ? (b / MiB).toFixed(1) : '-'
  const pad = (x: string, n: number): string => x.padStart(n)
  console.log(`Idle footprint: settle ${SETTLE_S} s, then a ${seconds.toFixed(0)} s window (RSS sampled every ${SAMPLE_MS} ms); node ${process.version}, ${CLOCK_TICKS} clock ticks/s`)
  console.log(`every process runs with: ${NODE_OPTIONS.length > 0 ? NODE_OPTIONS.join(' ') : 'no node options (V8 sizes its heap from this machine\'s memory)'}`)
  console.log(`load average (1 min) ${load0[0]!.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at the end`)
  for (const n of notes) console.log(n)
  console.log('')
  console.log(`${'MiB'.padEnd(34)}${pad('RSS ready', 10)}${pad('median', 8)}${pad('max', 8)}${pad('end', 8)}${pad('peak', 8)}${pad('heap used', 11)}${pad('total', 8)}${pad('young', 7)}${pad('external', 10)}${pad('CPU %', 8)}`)
  for (const r of rows) {
    console.log(`${r.s.label.padEnd(34)}${pad(mib(r.ready), 10)}${pad(mib(r.median), 8)}${pad(mib(r.max), 8)}${pad(mib(r.end), 8)}${pad(mib(r.hwm), 8)}${pad(mib(r.heap.heapUsed), 11)}${pad(mib(r.heap.heapTotal), 8)}${pad(mib(r.heap.newSpace), 7)}${pad(mib(r.heap.external), 10)}${pad(r.cpu.toFixed(2), 8)}`)
  }
  console.log('(RSS: VmRSS at ready, then median / max / last over the window; peak: VmHWM since start; heap and young generation')
  console.log(' (V8\'s new space) at the end; CPU: % of one core over the window)')

  const [bare, libp2p] = rows
  const ratio = (a: number, b: number): string => b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}x` : '-'
  console.log('')
  for (const r of rows.filter(r => r.s.node)) {
    console.log(`${r.s.label}: RSS ${ratio(r.median, bare!.median)} a bare node, ${ratio(r.median, libp2p!.median)} a bare libp2p node (+${mib(r.median - libp2p!.median)} MiB); ` +
      `heap used ${ratio(r.heap.heapUsed, bare!.heap.heapUsed)} / ${ratio(r.heap.heapUsed, libp2p!.heap.heapUsed)}; ` +
      `CPU ${r.cpu.toFixed(2)}% vs ${bare!.cpu.toFixed(2)}% / ${libp2p!.cpu.toFixed(2)}%`)
    console.log(`  target ${TARGET_MIB} MiB RSS: window max ${mib(r.max)} MiB ${r.max <= TARGET_MIB * MiB ? 'within' : 'OVER'}; peak since start ${mib(r.hwm)} MiB ${r.hwm <= TARGET_MIB * MiB ? 'within' : 'over'}`)
  }

  if (LOAD_S > 0) {
    // One node at a time: on a small machine two would share its cores.
    console.log('')
    console.log(`Under load: an emulated function (1 ms), ${LOAD_CONNECTIONS} connections, ${LOAD_S} s after a 2 s warm-up, one node at a time`)
    for (const s of subjects.filter(s => s.load != null)) {
      const r = await s.load!(LOAD_S)
      console.log(`${s.label.padEnd(34)}${r.callsPerSecond.toFixed(0).padStart(7)} calls/s  ${r.cpuMsPerCall.toFixed(3)} ms CPU/call  RSS max ${mib(r.rssMax)} MiB${r.errors > 0 ? `  (${r.errors} errors)` : ''}`)
    }
  }
} finally {
  await Promise.all(subjects.map(async s => { await s.stop().catch(() => {}) }))
}
