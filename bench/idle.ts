import '../src/polyfill.js'
import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { repoPath } from '../test/helpers/cli.js'
import { IN_FLIGHT, mapLimited, readMesh, startFleet, waitForMembership, type FleetVariant } from '../test/helpers/fleet.js'
import { nodeCounters, waitForQuiet, type NodeCounters } from '../test/helpers/fleet-sample.js'
import type { Lan } from '../test/helpers/lan.js'
import { cpuWindow, programPid } from '../test/helpers/proc.js'
import { startPulseRing, type PulseRing } from './pulse-ring.js'

/**
 * What an idle node costs, over minutes rather than one 10 s window, beside its floor in the same
 * run: N P2PFaaS nodes on a LAN of network namespaces, formed and settled, then their CPU read in
 * consecutive windows with the link frames they sent and the full collections they made (V8's, and
 * the node's own heap trims) in each. The floor is N bare libp2p nodes (bench/bare-pulse.mjs) on
 * a LAN of their own, with as many links per node, carrying frames on the same wall-clock
 * schedule (SCHEDULES): the cost of the links' liveness in libp2p itself, on this machine. Both
 * fleets run at once and every window reads both, so the ratio of the two (what the overlay adds)
 * is read under the same noise; the floor alone says what this machine charges for a frame (the
 * same code measures twice as much on some machines as on others).
 *   npm run bench:idle                          (N=8, bootstrap, 2 minutes of 10 s windows)
 *   npm run bench:idle -- 32 --variant mdns --minutes 3 --out DIR
 */

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: repoPath('test-artifacts', 'idle') },
    variant: { type: 'string', default: 'bootstrap' },
    minutes: { type: 'string', default: '2' },
    window: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '60' }
  }
})
const fail = (message: string): never => { process.stderr.write(`bench:idle: ${message}\n`); process.exit(2) }
const N = Number(positionals[0] ?? 8)
if (!Number.isInteger(N) || N < 2 || N > 64) fail('N is a whole number from 2 to 64')
const variant = values.variant as FleetVariant
if (variant !== 'mdns' && variant !== 'bootstrap') fail('--variant is mdns or bootstrap')
const WINDOW_S = Number(values.window)
if (!(WINDOW_S >= 2 && WINDOW_S <= 60)) fail('--window is 2 to 60 seconds')
const MINUTES = Number(values.minutes)
if (!(MINUTES > 0 && MINUTES <= 10)) fail('--minutes is more than 0 and at most 10')
const WINDOWS = Math.max(1, Math.round(MINUTES * 60 / WINDOW_S))
/**
 * Both fleets run this long before the first window. A node's first minute carries its start: V8
 * compiling on its worker threads and the memory reducer's collections (bench:idle-floor: a bare
 * libp2p node with no connection reads 0.24 % in its first window and 0.06 to 0.08 after).
 */
const WARMUP_S = Number(values.warmup)
if (!(WARMUP_S >= 0 && WARMUP_S <= 300)) fail('--warmup is 0 to 300 seconds')
/**
 * The floor's schedule, as the P2PFaaS fleet's once settled: watching every link, a link's opener
 * pings every 2 heartbeats (src/mesh/link-watch.ts PING_EVERY), answered; watching the ring
 * (every node reports p2pfaas_mesh_ring 1), each node sends one pulse a heartbeat to the next,
 * unanswered, and nothing on its other links. The heartbeat is 1 s by default.
 */
const SCHEDULES = {
  echo: { mode: 'echo', everyMs: 2000, about: (links: number) => `${links} links each, a 12-byte ping every 2 s on each link, echoed` },
  ring: { mode: 'ring', everyMs: 1000, about: (links: number) => `${links} links each, a 12-byte frame every 1 s to the next node only, unanswered (what a node does once its ring is complete)` }
} as const
type Schedule = keyof typeof SCHEDULES

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const log = (line: string): void => { process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`) }
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
const f = (x: number, digits = 2): string => Number.isFinite(x) ? x.toFixed(digits) : '–'

interface Window {
  /** % of one core, per node. */
  cpu: number[]
  /** Link frames each node sent per second (ours only). */
  framesOut?: number[]
  majorGcs?: number
  heapTrims?: number
}

async function countersOf (lan: Lan, urls: string[]): Promise<NodeCounters[]> {
  return await mapLimited(urls, IN_FLIGHT, async url => await nodeCounters(lan, url))
}

/** One fleet as the sampler sees it: its processes, and (ours only) the counters read between windows. */
interface Side { pids: Array<number | undefined>, counters?: () => Promise<NodeCounters[]> }

/**
 * Consecutive windows over both fleets at once: each window reads every process of ours and of the
 * floor at the same instants, so whatever else this shared machine does in a window weighs on both,
 * and the ratio is read window by window too. (It does not make the floor steady: in the same
 * windows where ours held 0.54 to 0.69 %, the bare nodes' ranged 0.35 to 1.02; that spread is
 * theirs.) Our nodes' counters are read between windows, outside them.
 */
async function sampleWindows (ours: Side, bare: Side): Promise<{ ours: Window[], bare: Window[] }> {
  const out = { ours: [] as Window[], bare: [] as Window[] }
  let before = ours.counters != null ? await ours.counters() : undefined
  for (let w = 0; w < WINDOWS; w++) {
    const { cpu: [oursCpu, bareCpu], secs } = await cpuWindow([ours.pids, bare.pids], WINDOW_S * 1000)
    const win: Window = { cpu: oursCpu! }
    if (ours.counters != null && before != null) {
      const after = await ours.counters()
      win.framesOut = after.map((c, i) => (c.framesOut - before![i]!.framesOut) / secs)
      win.majorGcs = after.reduce((s, c, i) => s + c.majorGcs - before![i]!.majorGcs, 0)
      win.heapTrims = after.reduce((s, c, i) => s + c.heapTrims - before![i]!.heapTrims, 0)
      before = after
    }
    const floor: Window = { cpu: bareCpu! }
    out.ours.push(win)
    out.bare.push(floor)
    log(`window ${w + 1}/${WINDOWS}: ${f(mean(win.cpu))} % of a core per node, floor ${f(mean(floor.cpu))} (busiest ${f(Math.max(...win.cpu))}, ${f(Math.max(...floor.cpu))})`)
  }
  return out
}

interface Sampled { links: number[], bareLinks: number, schedule: Schedule, ringNodes: number, ours: Window[], bare: Window[] }

/** Our fleet formed and settled, then the floor beside it, then both sampled together. */
async function run (): Promise<Sampled> {
  log(`N=${N} ${variant}: P2PFaaS nodes`)
  const fleet = await startFleet({ n: N, variant, wave: 4, pace: 'boot' })
  try {
    const m = await waitForMembership(fleet, 120_000)
    if (m.fullMembersAt == null) throw new Error(`no full membership within 120 s (${m.last.nodesFull}/${N} nodes full)`)
    if (await waitForQuiet(fleet) == null) throw new Error('the mesh was still changing after 60 s')
    const views = await mapLimited(fleet.nodes, IN_FLIGHT, async node => await readMesh(fleet.lan, node.url))
    const links = views.map(v => v?.peers.filter(p => p.link === true).length ?? NaN)
    const meanLinks = mean(links.filter(Number.isFinite))
    log(`settled; ${f(meanLinks, 1)} links per node`)
    const k = Math.max(1, Math.min(Math.floor((N - 1) / 2), Math.round(meanLinks / 2)))
    const ringNodes = (await countersOf(fleet.lan, fleet.nodes.map(n => n.url))).filter(c => c.ring === 1).length
    const schedule: Schedule = ringNodes === N ? 'ring' : 'echo'
    log(`${ringNodes} of ${N} nodes watch the ring: the floor's schedule is ${schedule}`)
    const bare = await startBare(k, schedule)
    try {
      log(`both fleets up; ${WARMUP_S} s of warm-up, then ${WINDOWS} windows of ${WINDOW_S} s`)
      await sleep(WARMUP_S * 1000)
      const counters = async (): Promise<NodeCounters[]> => await countersOf(fleet.lan, fleet.nodes.map(n => n.url))
      const windows = await sampleWindows({ pids: fleet.nodes.map(p => programPid(p.proc)), counters }, { pids: bare.procs.map(p => programPid(p)) })
      return { links, bareLinks: 2 * k, schedule, ringNodes, ...windows }
    } finally {
      await bare.lan.destroy()
    }
  } finally {
    await fleet.destroy()
  }
}

/**
 * The floor, on a LAN of its own (bench/pulse-ring.ts): every node has 2k links, k = half the
 * P2PFaaS fleet's mean links rounded (at least 1).
 */
async function startBare (k: number, schedule: Schedule): Promise<PulseRing> {
  const { mode, everyMs, about } = SCHEDULES[schedule]
  log(`N=${N}: bare libp2p nodes, ${about(2 * k)}`)
  const ring = await startPulseRing({ n: N, k, mode, everyMs })
  await sleep(2 * everyMs)
  return ring
}

const startedAt = new Date().toISOString()
const loadAtStart = loadavg()
const sampled = await run()
const ours = { links: sampled.links, windows: sampled.ours }
const bare = { links: sampled.bareLinks, schedule: sampled.schedule, windows: sampled.bare }
const meanLinks = mean(ours.links.filter(Number.isFinite))

const perWindow = (ws: Window[]): number[] => ws.map(w => mean(w.cpu))
const oursCpu = mean(perWindow(ours.windows))
const bareCpu = mean(perWindow(bare.windows))
const framesOut = mean(ours.windows.map(w => mean(w.framesOut ?? [NaN])))
const windowRatios = ours.windows.map((w, i) => mean(w.cpu) / mean(bare.windows[i]!.cpu))
const ratios = [...windowRatios].sort((a, b) => a - b)
const medianRatio = (ratios[(ratios.length - 1) >> 1]! + ratios[ratios.length >> 1]!) / 2
const rows = ours.windows.map((w, i) => `| ${i + 1} | ${f(mean(w.cpu))} | ${f(Math.max(...w.cpu))} | ${f(mean(w.framesOut ?? [NaN]), 1)} | ${w.majorGcs ?? '–'} | ${w.heapTrims ?? '–'} | ${f(mean(bare.windows[i]!.cpu))} | ${f(Math.max(...bare.windows[i]!.cpu))} | ${f(windowRatios[i]!, 1)} |`)
const report = [
  `# Idle cost per node over ${WINDOWS} windows of ${WINDOW_S} s (${startedAt})`,
  '',
  `Node ${process.version}, ${availableParallelism()} cores, load average at start ${loadAtStart.map(l => l.toFixed(2)).join(' ')}. N=${N}, ${variant}; P2PFaaS nodes with default flags, started in waves of 4, sampled once formed and settled and after ${WARMUP_S} s more, in the same windows as the floor (both fleets running).`,
  `P2PFaaS nodes watching the ring when sampling began: ${sampled.ringNodes} of ${N}.`,
  `Floor: ${N} bare libp2p nodes (bench/bare-pulse.mjs: tcp, noise, yamux, identify), ${SCHEDULES[bare.schedule].about(bare.links)} (P2PFaaS: ${f(meanLinks, 1)} links on average).`,
  '',
  '| window | P2PFaaS CPU % per node, mean | busiest | link frames out per node per s | V8 major collections (all nodes) | heap trims (all nodes) | floor CPU % per node, mean | busiest | ratio |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  `Over all windows: P2PFaaS ${f(oursCpu)} % of a core per node, floor ${f(bareCpu)} %: **${f(oursCpu / bareCpu, 1)}×** the bare links' cost (median of the windows' ratios ${f(medianRatio, 2)}, from ${f(ratios[0]!, 2)} to ${f(ratios.at(-1)!, 2)}).`,
  `P2PFaaS sent ${f(framesOut, 2)} link frames a second per node; CPU per frame sent (and its answer received), all of a node's idle work counted: ${f(oursCpu / 100 * 1000 / framesOut, 2)} ms.`,
  ''
].join('\n')
console.log('\n' + report)
const outDir = resolve(values.out)
await mkdir(outDir, { recursive: true })
await writeFile(join(outDir, 'results.md'), report)
await writeFile(join(outDir, 'results.json'), JSON.stringify({ date: startedAt, node: process.version, cores: availableParallelism(), n: N, variant, windowSeconds: WINDOW_S, ours, bare }, null, 2) + '\n')
process.stderr.write(`Written to ${outDir}: results.md, results.json\n`)
