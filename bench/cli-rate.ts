import '../src/polyfill.js'
import { setMaxListeners } from 'node:events'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { poissonSchedule } from '../src/cli/bench/arrivals.js'
import { fromHandOff } from '../src/cli/bench/libp2p-target.js'
import { percentile, type BenchSummary } from '../src/cli/bench/summary.js'
import { createInvokeClient } from '../src/invoke/client.js'
import { createMeshLibp2p, type MeshLibp2p } from '../src/mesh/libp2p.js'
import { startNodeProcess, type NodeProcess } from './node-process.js'
import { CLI } from '../test/helpers/cli.js'
import { newCall } from '../src/invoke/call.js'

/**
 * How many calls per second `p2pfaas bench` itself can generate before it, not the mesh, is the
 * limit. Three nodes, each its own process on loopback (mDNS off), run an emulated function of
 * 1 ms with room for 256 calls at once. At each offered rate (spread evenly with --all) two
 * generators send the same seeded schedule, one after the other:
 *  - the CLI: `p2pfaas bench --all` as a user runs it, a process of its own;
 *  - the floor: a bare open loop of handOff calls from one libp2p peer in this process (no
 *    per-call timer, record, or summary), the least a generator on this stack can cost.
 * Where the floor still gets its calls answered at the offered rate and the CLI does not, the CLI is
 * the limit; where both fall short together, the mesh (or the machine) is. Beside each, the
 * generator's CPU and the three nodes' CPU (from /proc), since on a small machine all four
 * processes share the same cores. Each rate is shown for the whole run and for the calls scheduled
 * after the first 2 s: a fresh CLI process spends its first second compiling its hot paths, and at
 * 1000/s and up the backlog it builds then takes about another second to drain (the floor, a warm
 * process, is warmed up once before the first rate).
 *   npm run bench:cli                    (200,500,1000,2000,4000 calls/s, 5 s each)
 *   npm run bench:cli -- 100,300 2       (the rates, seconds per rate)
 */

const RATES = (process.argv[2] ?? '200,500,1000,2000,4000').split(',').map(Number)
const SECONDS = Number(process.argv[3] ?? 5)
if (!RATES.every(r => r > 0 && r <= 15_000) || !(SECONDS >= 3 && SECONDS <= 10)) {
  throw new Error('usage: node dist/bench/cli-rate.js [rates per second, comma-separated, each up to 15000] [seconds per rate, 3-10]')
}
const NODES = 3
const SEED = 20240601
const FN = 'fast'
const TICKS = 100 // clock ticks per second of /proc/<pid>/stat (CLK_TCK on Linux)
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }


type NodeProc = NodeProcess
const startNode = async (bootstrap: string[]): Promise<NodeProc> => await startNodeProcess({ bootstrap, runtime: 'process', logLevel: 'error', stderr: 'inherit', tag: 'cli' })

/** CPU seconds a process has used so far (user + system), from /proc. */
async function cpuSeconds (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS
}

/** What a generator's run is judged by; the calls as the CLI's JSON has them (the floor keeps the same fields). */
interface Sent { scheduledMs: number, startMs: number, latencyMs: number | null, outcome: string, code: string }

interface Stats { done: number, failed: number, p50: number, p99: number, lagP99: number }

/** Rates and percentiles of the calls scheduled from `fromMs` on (done: answered per second of that window). */
function statsOf (calls: readonly Sent[], fromMs: number, windowMs: number): Stats {
  const mine = calls.filter(c => c.scheduledMs >= fromMs)
  const ok = Float64Array.from(mine.filter(c => c.outcome === 'ok').map(c => c.latencyMs!)).sort()
  const lag = Float64Array.from(mine.filter(c => c.outcome !== 'dropped').map(c => c.startMs - c.scheduledMs)).sort()
  return { done: ok.length / (windowMs / 1000), failed: mine.length - ok.length, p50: percentile(ok, 50), p99: percentile(ok, 99), lagP99: percentile(lag, 99) }
}

interface Phase {
  whole: Stats
  /** After the first WARMUP_MS: a new process spends its first second compiling its hot paths (JIT), and the next draining what piled up meanwhile. */
  steady: Stats
  /** Generator CPU, in cores, over its run; its event loop's busy share. */
  cpu: number
  /** Generator CPU per call sent, ms: what one call costs the process that sends it. */
  cpuPerCall: number
  loop: number
  /** The three nodes' CPU together, in cores, over the generator's run. */
  nodesCpu: number
  codes: string
}

const WARMUP_MS = 2000

function phaseOf (calls: readonly Sent[], cpu: number, cpuMs: number, loop: number, nodesCpu: number): Phase {
  const codes = new Map<string, number>()
  for (const c of calls) if (c.outcome !== 'ok') codes.set(c.code, (codes.get(c.code) ?? 0) + 1)
  return {
    whole: statsOf(calls, 0, SECONDS * 1000),
    steady: statsOf(calls, WARMUP_MS, SECONDS * 1000 - WARMUP_MS),
    cpu,
    cpuPerCall: cpuMs / Math.max(1, calls.filter(c => c.outcome !== 'dropped').length),
    loop,
    nodesCpu,
    codes: [...codes].map(([c, n]) => `${c} ${n}`).join(', ')
  }
}

async function nodesCpuSeconds (nodes: NodeProc[]): Promise<number> {
  return (await Promise.all(nodes.map(async n => await cpuSeconds(n.proc.pid!)))).reduce((a, b) => a + b, 0)
}

/** The CLI as users run it; its JSON carries every call and its own CPU use. */
async function cliPhase (nodes: NodeProc[], total: number, configHome: string): Promise<Phase> {
  const file = join(configHome, 'calls.json')
  const args = [CLI, 'bench', FN, '--peer', nodes[0]!.addr, '--all', '--rate', String(total / NODES), '--duration', `${SECONDS}s`,
    '--seed', String(SEED), '--concurrency-cap', '20000', '--timeout', '10000', '--json', file]
  const cpu0 = await nodesCpuSeconds(nodes)
  const code = await new Promise<number>(resolve => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, XDG_CONFIG_HOME: configHome, P2PFAAS_NO_MDNS: '1', P2PFAAS_PEER: '' } })
    child.on('exit', c => { resolve(c ?? 1) })
  })
  const nodesCpu = await nodesCpuSeconds(nodes) - cpu0
  if (code !== 0) throw new Error(`p2pfaas bench exited ${code}`)
  const { summary, calls } = JSON.parse(await readFile(file, 'utf8')) as { summary: BenchSummary, calls: Sent[] }
  // The nodes work while the schedule runs (the CLI's start-up and exit are idle time for them).
  return phaseOf(calls, summary.cpu.share, summary.cpu.userMs + summary.cpu.systemMs, summary.cpu.eventLoopBusy, nodesCpu / (summary.wallMs / 1000))
}

/** The floor: the same schedule from a bare loop of hand-offs, as little work per call as the protocol allows. */
async function floorPhase (nodes: NodeProc[], libp2p: MeshLibp2p, total: number, seconds = SECONDS): Promise<Phase> {
  const peers = nodes.map(n => n.peerId)
  const arrivals = poissonSchedule({ rates: peers.map(() => total / NODES), durationMs: seconds * 1000, seed: SEED, payloads: 1 })
  const calls: Sent[] = []
  const signal = AbortSignal.timeout(seconds * 1000 + 10_000)
  setMaxListeners(Infinity, signal)
  const body = new Uint8Array()
  const client = createInvokeClient({ libp2p })
  const nodes0 = await nodesCpuSeconds(nodes)
  const cpu0 = process.cpuUsage()
  const elu0 = performance.eventLoopUtilization()
  const t0 = performance.now()
  await new Promise<void>(resolve => {
    let next = 0
    let inFlight = 0
    const fire = (peer: string, atMs: number): void => {
      const start = performance.now()
      inFlight++
      const call = newCall({ function: FN, body, deadline: start + 10_000 })
      void client.handOff({ peer, call, maxBodyBytes: 1 << 20, signal, fromClient: true }).then(r => {
        const ok = r.outcome === 'answered' && r.errorCode == null && r.response.status < 400
        calls.push({ scheduledMs: atMs, startMs: start - t0, latencyMs: performance.now() - start, outcome: ok ? 'ok' : 'error', code: ok ? '' : fromHandOff(r, peer).code })
        if (--inFlight === 0 && next >= arrivals.length) resolve()
      })
    }
    const tick = (): void => {
      const now = performance.now() - t0
      while (next < arrivals.length && arrivals[next]!.atMs <= now) { const a = arrivals[next++]!; fire(peers[a.target]!, a.atMs) }
      if (next < arrivals.length) setTimeout(tick, Math.max(0, arrivals[next]!.atMs - (performance.now() - t0)))
    }
    tick()
  })
  const wall = (performance.now() - t0) / 1000
  const used = process.cpuUsage(cpu0)
  const loop = performance.eventLoopUtilization(elu0).utilization
  return phaseOf(calls, (used.user + used.system) / 1e6 / wall, (used.user + used.system) / 1000, loop, (await nodesCpuSeconds(nodes) - nodes0) / wall)
}

const f0 = (n: number): string => Number.isFinite(n) ? n.toFixed(0) : '-'
const f1 = (n: number): string => Number.isFinite(n) ? n.toFixed(1) : '-'
const pc = (n: number): string => `${(100 * n).toFixed(0)}%`
const stat = (s: Stats): string => `${f0(s.done).padStart(6)} ${String(s.failed).padStart(5)} ${f1(s.p50).padStart(6)} ${f1(s.p99).padStart(7)} ${f1(s.lagP99).padStart(7)}`
const row = (offered: number, name: string, p: Phase): string =>
  `${String(offered).padStart(7)}  ${name.padEnd(5)} | ${stat(p.whole)} | ${stat(p.steady)} | ${pc(p.cpu).padStart(5)} ${p.cpuPerCall.toFixed(2).padStart(6)} ${pc(p.loop).padStart(5)} ${pc(p.nodesCpu).padStart(6)}${p.codes !== '' ? `  (${p.codes})` : ''}`
/** Keeping up, after warm-up: answered at 95 % of the offered rate, under 1 % failed, sends on time. */
const keepsUp = (p: Phase, offered: number): boolean => p.steady.done >= 0.95 * offered && p.steady.failed <= 0.01 * offered * (SECONDS - WARMUP_MS / 1000) && p.steady.lagP99 < 50

const nodes: NodeProc[] = []
const configHome = await mkdtemp(join(tmpdir(), 'p2pfaas-bench-cli-home-'))
let floor: MeshLibp2p | undefined
const started = performance.now()
try {
  for (let i = 0; i < NODES; i++) nodes.push(await startNode(nodes.map(n => n.addr)))
  for (const n of nodes) {
    const res = await fetch(`${n.url}/system/functions`, {
      method: 'POST',
      headers: { authorization: n.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ service: FN, labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': 'fixed:1ms', 'p2pfaas.concurrency': '256', 'p2pfaas.queue': '256' } })
    })
    if (res.status !== 202) throw new Error(`deploy: ${res.status} ${await res.text()}`)
  }
  for (let i = 0; ; i++) {
    const views = await Promise.all(nodes.map(async n => await (await fetch(`${n.url}/mesh`)).json() as { peers: Array<{ connected: boolean, functions: string[] }> }))
    if (views.every(v => v.peers.filter(p => p.connected && p.functions.includes(FN)).length === NODES - 1)) break
    if (i > 300) throw new Error('the mesh did not form')
    await sleep(50)
  }
  floor = await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: [], role: 'cli' })
  await floor.start()
  for (const n of nodes) await floor.dial(multiaddr(n.addr))
  process.stderr.write(`${NODES} nodes up, ${FN} (1 ms, 256 slots) on each (${((performance.now() - started) / 1000).toFixed(1)} s); ${SECONDS} s per rate\n`)

  // One unmeasured second warms this process's hand-off path, as the CLI's own first second does its.
  await floorPhase(nodes, floor, 200, 1)
  const results: Array<{ offered: number, cli: Phase, floor: Phase }> = []
  for (const offered of RATES) {
    const cli = await cliPhase(nodes, offered, configHome)
    await sleep(500)
    const bare = await floorPhase(nodes, floor, offered)
    await sleep(500)
    results.push({ offered, cli, floor: bare })
    process.stderr.write(`  ${offered}/s done\n`)
  }

  console.log(`p2pfaas bench --all against ${NODES} loopback nodes (emulated ${FN}, 1 ms, 256 slots each), the same seeded Poisson schedule per rate, ${SECONDS} s each; ${availableParallelism()} CPU cores shared by the nodes and the generator`)
  console.log(`calls/s and ms. whole = every call; steady = calls scheduled after the first ${WARMUP_MS / 1000} s. cpu = generator process (100% = one core), ms/call = its CPU per call sent, loop = its event loop busy, nodes = the 3 nodes together`)
  console.log('offered  gen   |   done  fail    p50     p99 lag p99 |   done  fail    p50     p99 lag p99 |   cpu ms/call  loop  nodes')
  console.log(`               |               whole                 |         steady (after ${WARMUP_MS / 1000} s)          |`)
  for (const r of results) {
    console.log(row(r.offered, 'CLI', r.cli))
    console.log(row(r.offered, 'floor', r.floor))
  }
  const cliMax = Math.max(0, ...results.filter(r => keepsUp(r.cli, r.offered)).map(r => r.offered))
  const floorMax = Math.max(0, ...results.filter(r => keepsUp(r.floor, r.offered)).map(r => r.offered))
  const cliLimited = results.filter(r => keepsUp(r.floor, r.offered) && !keepsUp(r.cli, r.offered)).map(r => r.offered)
  console.log(`keeps up after warm-up (answered >= 95% of offered, < 1% failed, send lag p99 < 50 ms): CLI up to ${cliMax || 'none'} calls/s, floor up to ${floorMax || 'none'} calls/s`)
  console.log(cliLimited.length > 0
    ? `the CLI, not the mesh, is the limit at ${cliLimited.join(', ')} calls/s (the bare generator kept up there)`
    : 'at no tested rate did the CLI fall short where the bare generator kept up: where the CLI fell short, the mesh (or the machine) was the limit')
  console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`)
} finally {
  await floor?.stop()
  for (const n of nodes) n.proc.kill('SIGTERM')
  await sleep(500)
  for (const n of nodes) await rm(n.dir, { recursive: true, force: true })
  await rm(configHome, { recursive: true, force: true })
}
