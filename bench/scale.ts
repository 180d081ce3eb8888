import '../src/polyfill.js'
import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { repoPath } from '../test/helpers/cli.js'
import { startFleet, waitForMembership, type FleetVariant, type MembershipResult } from '../test/helpers/fleet.js'
import {
  cpuSeconds, handOffCheck, sampleIdle, sampleStaleness, waitForQuiet, type HandOffResult, type IdleSample, type StalenessSample
} from '../test/helpers/fleet-sample.js'
import { startBareFleet, waitForBareMesh } from './bare-fleet.js'
import { renderSvg, seriesPlot } from '../src/plot/vega.js'
import { waitForCalm, type Calm } from '../test/helpers/proc.js'

/**
 * What the mesh costs per node as the fleet grows: N nodes (one per host of a LAN of network
 * namespaces), each deploying one emulated function only it has, in two variants (mDNS only; no
 * mDNS and every node given node 1's address). For each: how soon every node knows every other and
 * can hand a call to any other, what the idle fleet costs per node (traffic on its link, CPU,
 * memory), how old the load held of overlay neighbours is, and a hand-off check from every node.
 * Beside it, in the same run, the floor: bare libp2p nodes at the same N (a full mesh by stock
 * mDNS; a star on node 1 for the bootstrap variant).
 *   npm run bench:scale                       (N = 8, 16, 32, 64; both variants)
 *   npm run bench:scale -- 8 16 --out DIR     (other sizes, 2..64; results to DIR)
 *   npm run bench:scale -- 8 --variant mdns   (one variant)
 *   npm run bench:scale -- 32 --pace join     (next wave once the fleet lists the last and the CPU caught up)
 */

const MEMBERSHIP_BOUND_MS = 120_000
const SETTLE_MS = 2000
const IDLE_SECONDS = 10
const STALENESS_SECONDS = 10
const HANDOFF_PER_NODE = 3
const MAX_N = 64

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: repoPath('test-artifacts', 'scale') },
    variant: { type: 'string', multiple: true },
    'no-bare': { type: 'boolean', default: false },
    wave: { type: 'string', default: '4' },
    pace: { type: 'string', default: 'boot' }
  }
})
const sizes = positionals.length > 0 ? positionals.map(Number) : [8, 16, 32, 64]
const badSize = sizes.find(n => !Number.isInteger(n) || n < 2 || n > MAX_N)
if (badSize !== undefined) {
  process.stderr.write(`bench:scale: sizes are whole numbers from 2 to ${MAX_N} (got ${String(badSize)})\n`)
  process.exit(2)
}
const variants = (values.variant ?? ['mdns', 'bootstrap']) as FleetVariant[]
if (variants.some(v => v !== 'mdns' && v !== 'bootstrap')) {
  process.stderr.write('bench:scale: --variant is mdns or bootstrap\n')
  process.exit(2)
}
const outDir = resolve(values.out)
const WAVE = Number(values.wave)
if (!Number.isInteger(WAVE) || WAVE < 1 || WAVE > 64) {
  process.stderr.write('bench:scale: --wave is a whole number from 1 to 64\n')
  process.exit(2)
}

const PACE = values.pace as 'join' | 'boot'
if (PACE !== 'join' && PACE !== 'boot') {
  process.stderr.write('bench:scale: --pace is join (next wave once the fleet lists the last) or boot (once it answers /healthz)\n')
  process.exit(2)
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** A case starts once the machine is this calm (busy share of all cores over a second, twice in a row)... */
const CALM_BUSY_PCT = 20
/** ...or after this long, whatever it is. */
const CALM_BOUND_MS = 90_000
/**
 * Waits for the machine to finish what the previous case left (64 processes exiting, a load
 * average of 10 or more): a fleet spawned into that formed up to half again slower, so its figures
 * would measure the previous case as much as this one.
 */
const waitCalm = async (): Promise<Calm> => await waitForCalm({ busyBelow: CALM_BUSY_PCT / 100, inARow: 2, boundMs: CALM_BOUND_MS })
const log = (line: string): void => { process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`) }
const since = (from: number, to: number | null): number | null => to == null ? null : Math.round(to - from)
const message = (err: unknown): string => err instanceof Error ? err.message : String(err)

interface OursRun {
  error?: string
  /** First spawn to last spawn: how long starting the fleet in waves took. */
  spawnMs?: number
  firstSpawnToFullMs?: number | null
  lastSpawnToFullMs?: number | null
  lastSpawnToHandOffReadyMs?: number | null
  /** Last spawn to the last /healthz: booting, before any joining. */
  bootMs?: number
  /** Last /healthz to full membership: joining alone. */
  healthyToFullMs?: number | null
  /** CPU seconds each node used from its spawn to full membership: its start and its part in forming. */
  formCpuSec?: { mean: number, max: number }
  /** Full membership to no more link or record changes. */
  settleMs?: number | null
  membership?: Omit<MembershipResult, 'fullMembersAt' | 'handOffReadyAt'>
  idle?: IdleSample
  staleness?: StalenessSample
  handOff?: HandOffResult
}

interface BareRun {
  error?: string
  firstSpawnToFullMs?: number | null
  lastSpawnToFullMs?: number | null
  idle?: IdleSample
}

interface Run {
  n: number
  variant: FleetVariant
  startedAt: string
  loadAvgAtStart: number[]
  /** The machine before our fleet started (the bare fleet's start waits likewise). */
  calm: Calm
  ours: OursRun
  bare?: BareRun
}

async function runOurs (n: number, variant: FleetVariant): Promise<OursRun> {
  const run: OursRun = {}
  let fleet
  try {
    log(`N=${n} ${variant}: starting P2PFaaS nodes in waves of ${WAVE}`)
    fleet = await startFleet({ n, variant, wave: WAVE, pace: PACE, logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn' })
    run.bootMs = Math.round(fleet.lastHealthyAt - fleet.lastSpawnAt)
    run.spawnMs = Math.round(fleet.lastSpawnAt - fleet.firstSpawnAt)
    log(`N=${n} ${variant}: all answer /healthz; waiting for membership (at most ${MEMBERSHIP_BOUND_MS / 1000} s after the last spawn)`)
    const m = await waitForMembership(fleet, MEMBERSHIP_BOUND_MS)
    const cpu = fleet.nodes.map(node => cpuSeconds(node.proc)).filter(Number.isFinite)
    run.formCpuSec = { mean: cpu.reduce((a, b) => a + b, 0) / cpu.length, max: Math.max(...cpu) }
    const { fullMembersAt, handOffReadyAt, ...rest } = m
    run.membership = rest
    run.firstSpawnToFullMs = since(fleet.firstSpawnAt, fullMembersAt)
    run.lastSpawnToFullMs = since(fleet.lastSpawnAt, fullMembersAt)
    run.lastSpawnToHandOffReadyMs = since(fleet.lastSpawnAt, handOffReadyAt)
    run.healthyToFullMs = since(fleet.lastHealthyAt, fullMembersAt)
    log(`N=${n} ${variant}: full membership ${fmtMs(run.lastSpawnToFullMs)}, hand-off ready ${fmtMs(run.lastSpawnToHandOffReadyMs)} after the last spawn; waiting for the mesh to settle`)
    const settled = await waitForQuiet(fleet)
    run.settleMs = settled == null ? null : Math.round(settled)
    log(`N=${n} ${variant}: ${settled == null ? 'still changing after 60 s' : `settled in ${fmtMs(run.settleMs)}`}; idle window`)
    run.idle = await sampleIdle(fleet, IDLE_SECONDS)
    log(`N=${n} ${variant}: staleness`)
    run.staleness = await sampleStaleness(fleet, STALENESS_SECONDS)
    log(`N=${n} ${variant}: hand-off check`)
    run.handOff = await handOffCheck(fleet, HANDOFF_PER_NODE)
  } catch (err) {
    run.error = message(err)
    log(`N=${n} ${variant}: ${run.error.split('\n')[0]!}`)
  } finally {
    await fleet?.destroy()
  }
  return run
}

async function runBare (n: number, variant: FleetVariant): Promise<BareRun> {
  const run: BareRun = {}
  let fleet
  try {
    log(`N=${n} ${variant}: bare libp2p nodes`)
    fleet = await startBareFleet({ n, variant })
    const full = await waitForBareMesh(fleet, MEMBERSHIP_BOUND_MS)
    run.firstSpawnToFullMs = since(fleet.firstSpawnAt, full)
    run.lastSpawnToFullMs = since(fleet.lastSpawnAt, full)
    await sleep(SETTLE_MS)
    run.idle = await sampleIdle(fleet, IDLE_SECONDS)
  } catch (err) {
    run.error = message(err)
    log(`N=${n} ${variant} bare: ${run.error.split('\n')[0]!}`)
  } finally {
    await fleet?.destroy()
  }
  return run
}

function fmtMs (ms: number | null | undefined): string {
  if (ms === undefined) return '–'
  return ms == null ? `not within ${MEMBERSHIP_BOUND_MS / 1000} s` : `${(ms / 1000).toFixed(1)} s`
}
const f = (x: number | null | undefined, digits = 0): string => x == null || !Number.isFinite(x) ? '–' : x.toFixed(digits)
const pair = (a: string, b: string): string => `${a} / ${b}`

function tableOf (runs: Run[]): string {
  const rows = [
    '| N | variant | at start: machine busy % (waited s) · load avg (1 min) | first spawn → full | last spawn → full (boot + join) | last spawn → hand-off ready | CPU s per node to full, mean·max | full → settled | bare: last spawn → connected | traffic B/s per node (ours / bare) | idle CPU % of a core per node, mean·max (ours / bare) | machine busy % (ours / bare window) | RSS MiB per node, mean·max (ours / bare) | heap MiB | staleness p50 / p99 ms | links per node, mean·max | hand-off ok / tried (not linked) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|'
  ]
  for (const r of runs) {
    const o = r.ours
    const b = r.bare
    const m = o.membership
    const notFull = m != null && o.lastSpawnToFullMs == null ? ` (${m.last.nodesFull}/${r.n} full; fewest listed ${m.last.minListed}/${r.n - 1})` : ''
    const notReady = m != null && o.lastSpawnToHandOffReadyMs == null ? ` (${m.last.nodesReady}/${r.n} ready)` : ''
    const cpu = (s?: IdleSample): string => s == null ? '–' : `${f(s.cpuPctPerNode.mean, 1)}·${f(s.cpuPctPerNode.max, 1)}`
    const rss = (s?: IdleSample): string => s == null ? '–' : `${f(s.rssMiB.mean)}·${f(s.rssMiB.max)}`
    const staleness = (s?: StalenessSample): string => s == null
      ? '–'
      : s.samples === 0 ? `no sample (${s.unanswered}/${s.reads} reads unanswered)` : `${f(s.p50)} / ${f(s.p99)}${s.unanswered > 0 ? ` (${s.unanswered}/${s.reads} reads unanswered)` : ''}`
    rows.push('| ' + [
      r.n,
      r.variant,
      `${f(r.calm.busyPct)} (${f(r.calm.waitedMs / 1000)}) · ${f(r.loadAvgAtStart[0], 1)}`,
      o.error != null && m == null ? `failed: ${o.error.split('\n')[0]!.slice(0, 80)}` : fmtMs(o.firstSpawnToFullMs),
      fmtMs(o.lastSpawnToFullMs) + (o.bootMs != null && o.healthyToFullMs != null ? ` (${fmtMs(o.bootMs)} + ${fmtMs(o.healthyToFullMs)})` : '') + notFull,
      fmtMs(o.lastSpawnToHandOffReadyMs) + notReady,
      o.formCpuSec != null ? `${f(o.formCpuSec.mean, 2)}·${f(o.formCpuSec.max, 2)}` : '–',
      o.settleMs === undefined ? '–' : o.settleMs === null ? 'not within 60 s' : fmtMs(o.settleMs),
      b == null ? '–' : b.error != null ? `failed: ${b.error.split('\n')[0]!.slice(0, 60)}` : fmtMs(b.lastSpawnToFullMs),
      pair(f(o.idle?.bytesPerNodePerSec), f(b?.idle?.bytesPerNodePerSec)),
      pair(cpu(o.idle), cpu(b?.idle)),
      pair(f(o.idle?.machineBusyPct), f(b?.idle?.machineBusyPct)),
      pair(rss(o.idle), rss(b?.idle)),
      o.idle?.heapUsedMiB != null ? `${f(o.idle.heapUsedMiB.mean)}·${f(o.idle.heapUsedMiB.max)}` : 'not exported',
      staleness(o.staleness),
      m != null ? `${f(m.last.meanLinks, 1)}·${m.last.maxLinks}` : '–',
      o.handOff != null ? `${o.handOff.ok} / ${o.handOff.tried} (${o.handOff.notLinked})` : '–'
    ].join(' | ') + ' |')
  }
  return rows.join('\n')
}

function notesOf (runs: Run[]): string {
  const lines: string[] = []
  for (const r of runs) {
    const o = r.ours
    if (o.error != null) lines.push(`- N=${r.n} ${r.variant}: ${o.error.split('\n')[0]!}`)
    if (o.membership != null && o.membership.exited.length > 0) lines.push(`- N=${r.n} ${r.variant}: nodes ${o.membership.exited.join(', ')} exited`)
    if (o.handOff != null && o.handOff.errors.length > 0) {
      lines.push(`- N=${r.n} ${r.variant}: ${o.handOff.errors.length} hand-off failures (${o.handOff.wrongExecutor} run by the wrong node), e.g.:`)
      for (const e of o.handOff.errors.slice(0, 4)) lines.push(`  - ${e}`)
    }
    const busy = o.idle?.busiest
    if (busy != null && o.idle != null) {
      const full = `; full collections in the window: ${f(o.idle.majorGcs)} by V8 and ${f(o.idle.heapTrims)} heap trims over all nodes, ${f(busy.majorGcs)} and ${f(busy.heapTrims)} on this node`
      lines.push(`- N=${r.n} ${r.variant}: busiest node in the idle window is node ${busy.node + 1}, ${f(busy.cpuPct, 1)} % of a core${full}`)
    }
    const big = o.idle?.largest
    if (big != null) {
      const heap = big.heapUsedMiB != null ? `, V8 heap ${f(big.heapUsedMiB)} MiB used of ${f(big.heapTotalMiB)}` : ''
      lines.push(`- N=${r.n} ${r.variant}: largest node is node ${big.node + 1}${big.node === 0 && r.variant === 'bootstrap' ? ' (the one every node bootstraps to)' : ''}: RSS ${f(big.rssMiB)} MiB${heap}`)
    }
    if (r.bare?.error != null) lines.push(`- N=${r.n} ${r.variant} bare floor: ${r.bare.error.split('\n')[0]!}`)
  }
  return lines.join('\n')
}

async function plotOf (runs: Run[]): Promise<string> {
  const series = (r: Run, bare: boolean): string => `${bare ? 'floor (bare libp2p)' : 'P2PFaaS'}, ${r.variant}`
  const points = (pick: (s: IdleSample) => number): Array<{ x: number, y: number, series: string }> => runs.flatMap(r => [
    ...(r.ours.idle != null ? [{ x: r.n, y: pick(r.ours.idle), series: series(r, false) }] : []),
    ...(r.bare?.idle != null ? [{ x: r.n, y: pick(r.bare.idle), series: series(r, true) }] : [])
  ]).filter(p => Number.isFinite(p.y))
  return await renderSvg(seriesPlot({
    title: `Idle cost per node against N (${new Date().toISOString().slice(0, 10)}, ${availableParallelism()} cores)`,
    xTitle: 'N (nodes)',
    log2X: true,
    dashed: s => s.startsWith('floor'),
    colors: { 'P2PFaaS, mdns': '#e45756', 'floor (bare libp2p), mdns': '#f2a09d', 'P2PFaaS, bootstrap': '#4c78a8', 'floor (bare libp2p), bootstrap': '#9ecae9' },
    panels: [
      { title: 'Traffic per node (rx+tx on its link)', yTitle: 'bytes per second', points: points(s => s.bytesPerNodePerSec) },
      { title: 'Idle CPU per node', yTitle: '% of one core', points: points(s => s.cpuPctPerNode.mean) }
    ]
  }))
}

const header = [
  `# Scale: N nodes on a LAN of network namespaces (${new Date().toISOString()})`,
  '',
  `Node ${process.version}, ${availableParallelism()} cores, load average at start ${loadavg().map(l => l.toFixed(2)).join(' ')}.`,
  `Each node deploys one emulated function only it has; mdns = mDNS only (interval 5 s); bootstrap = no mDNS, every node given node 1's address.`,
  `Nodes started in waves of ${WAVE}, ${PACE === 'join' ? 'the next wave once every node started lists every other ready to hand off to (a rolling start: the last wave joins a formed fleet)' : 'the next wave once the last answers /healthz'}. Membership bound ${MEMBERSHIP_BOUND_MS / 1000} s after the last spawn, polled every ~0.5 s;`,
  `"boot" = last spawn to its /healthz, "join" = the rest; settled = no link made or lost and no record taken for 4 s (bare floors: ${SETTLE_MS / 1000} s after connecting);`,
  `idle window ${IDLE_SECONDS} s with nobody polling, once settled; staleness = age of link peers' load, ${STALENESS_SECONDS} s from 4 nodes at a time every 250 ms;`,
  `hand-off check: from every node, ${HANDOFF_PER_NODE} calls to functions of other nodes (i+1, i+N/2, i-1), "not linked" = calls to a node the caller had no direct link to.`,
  'Floors: bare libp2p nodes (bench/bare-node.mjs) at the same N: a full mesh by stock @libp2p/mdns; for bootstrap, a star on node 1.',
  'Machine busy = the whole machine (all processes, all cores) during each idle window.',
  `Each fleet starts once the machine is calm (under ${CALM_BUSY_PCT} % busy over a second, twice in a row; at most ${CALM_BOUND_MS / 1000} s): "at start" is that last second.`
].join('\n')

process.stderr.write(header + '\n\n')
const runs: Run[] = []
for (const n of sizes) {
  for (const variant of variants) {
    const calm = await waitCalm()
    log(`N=${n} ${variant}: machine ${f(calm.busyPct)} % busy after waiting ${fmtMs(calm.waitedMs)}`)
    const run: Run = { n, variant, startedAt: new Date().toISOString(), loadAvgAtStart: loadavg(), calm, ours: await runOurs(n, variant) }
    if (values['no-bare'] !== true) {
      await waitCalm()
      run.bare = await runBare(n, variant)
    }
    runs.push(run)
  }
}

const report = `${header}\n\n${tableOf(runs)}\n\n${notesOf(runs)}\n\nLoad average at the end: ${loadavg().map(l => l.toFixed(2)).join(' ')}.\n`
console.log('\n' + report)
await mkdir(outDir, { recursive: true })
await writeFile(join(outDir, 'results.md'), report)
await writeFile(join(outDir, 'results.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: availableParallelism(), runs }, null, 2) + '\n')
try {
  await writeFile(join(outDir, 'scale.svg'), await plotOf(runs))
} catch (err) {
  process.stderr.write(`bench:scale: the plot failed: ${message(err)}\n`)
}
process.stderr.write(`Written to ${outDir}: results.md, results.json, scale.svg\n`)
