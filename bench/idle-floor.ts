import '../src/polyfill.js'
import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { repoPath } from '../test/helpers/cli.js'
import { createLan, type HostProcess, type Lan } from '../test/helpers/lan.js'
import { cpuWindow, programPid } from '../test/helpers/proc.js'
import { startPulseRing } from './pulse-ring.js'

/**
 * What an idle libp2p node costs on this machine, taken apart: fleets of N bare libp2p nodes
 * (bench/bare-pulse.mjs: tcp, noise, yamux, identify) on LANs of their own, run at once and sampled
 * in the same windows, that differ in one thing each:
 *   - null:    a Node.js process with one 2 s timer and no libp2p (what the runtime costs);
 *   - alone:   a libp2p node with no connection;
 *   - quiet:   2k links (a long-lived stream on each connection), no frame on them;
 *   - echo@k:  2k links, a 12-byte ping every 2 s on each, echoed: what a P2PFaaS link does idle.
 * `--flag` adds an echo fleet run with a Node.js/V8 option (e.g. --single-threaded-gc), to see
 * whether the runtime can be told to spend less. The floor the overlay's idle cost sits on is
 * echo@k at P2PFaaS's links (bench:idle puts the two side by side); this says what part of it is
 * the process, the connections and the frames. Sampled after a warm-up: a libp2p node's first
 * minute carries its start (compilation on V8's worker threads, the memory reducer's collections).
 *   npm run bench:idle-floor
 *   npm run bench:idle-floor -- --links 1,2,3 --flag=--single-threaded-gc --minutes 3
 */

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '8' },
    links: { type: 'string', default: '1,3' },
    flag: { type: 'string', multiple: true, default: [] },
    warmup: { type: 'string', default: '60' },
    minutes: { type: 'string', default: '2' },
    window: { type: 'string', default: '20' },
    out: { type: 'string', default: repoPath('test-artifacts', 'idle-floor') }
  }
})
const fail = (message: string): never => { process.stderr.write(`bench:idle-floor: ${message}\n`); process.exit(2) }
const N = Number(values.nodes)
if (!Number.isInteger(N) || N < 3 || N > 32) fail('--nodes is a whole number from 3 to 32')
const LINK_HALVES = values.links.split(',').map(Number)
if (LINK_HALVES.some(k => !Number.isInteger(k) || k < 1 || 2 * k > N - 1)) fail(`--links: half-link counts k, each 1 to ${Math.floor((N - 1) / 2)} (every node gets 2k links)`)
if (values.flag.some(f => !/^--[a-z0-9-]+(=[\w.-]+)?$/.test(f))) fail('--flag: one Node.js option each, like --single-threaded-gc or --max-semi-space-size=4')
const WARMUP_S = Number(values.warmup)
const WINDOW_S = Number(values.window)
const MINUTES = Number(values.minutes)
if (!(WARMUP_S >= 0 && WARMUP_S <= 300)) fail('--warmup is 0 to 300 seconds')
if (!(WINDOW_S >= 5 && WINDOW_S <= 60)) fail('--window is 5 to 60 seconds')
if (!(MINUTES > 0 && MINUTES <= 10)) fail('--minutes is more than 0 and at most 10')
const WINDOWS = Math.max(1, Math.round(MINUTES * 60 / WINDOW_S))
const EVERY_MS = 2000
const NULL_NODE = `const t = () => setTimeout(t, ${EVERY_MS} - (Date.now() % ${EVERY_MS})); t()`

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const log = (line: string): void => { process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`) }
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
const f = (x: number, digits = 2): string => Number.isFinite(x) ? x.toFixed(digits) : '–'

interface FleetSpec { name: string, mode: 'null' | 'quiet' | 'echo', k: number, nodeOptions: string[] }
interface RunningFleet { spec: FleetSpec, lan: Lan, procs: HostProcess[], cpu: number[] }

/** Frames a node sends a second on 2k links pinged every EVERY_MS: k pings, and k answers to its neighbours' pings. */
const framesOutPerS = (k: number): number => 2 * k / (EVERY_MS / 1000)

const specs: FleetSpec[] = [
  { name: 'null', mode: 'null', k: 0, nodeOptions: [] },
  { name: 'alone', mode: 'quiet', k: 0, nodeOptions: [] },
  { name: `quiet@${Math.max(...LINK_HALVES)}`, mode: 'quiet', k: Math.max(...LINK_HALVES), nodeOptions: [] },
  ...LINK_HALVES.map(k => ({ name: `echo@${k}`, mode: 'echo' as const, k, nodeOptions: [] })),
  ...values.flag.map(flag => ({ name: `echo@${Math.max(...LINK_HALVES)} ${flag}`, mode: 'echo' as const, k: Math.max(...LINK_HALVES), nodeOptions: [flag] }))
]

/** One fleet on a LAN of its own (bench/pulse-ring.ts); null is the same ring of hosts running a bare timer. */
async function startFleet (spec: FleetSpec, subnet: string): Promise<RunningFleet> {
  if (spec.mode !== 'null') {
    const ring = await startPulseRing({ n: N, k: spec.k, mode: spec.mode, everyMs: EVERY_MS, nodeOptions: spec.nodeOptions, subnet })
    return { spec, lan: ring.lan, procs: ring.procs, cpu: [] }
  }
  const lan = createLan(N, subnet)
  return { spec, lan, procs: lan.hosts.map(host => host.spawn(process.execPath, ['-e', NULL_NODE])), cpu: [] }
}

const fleets: RunningFleet[] = []
const startedAt = new Date().toISOString()
const loadAtStart = loadavg()
try {
  for (const [i, spec] of specs.entries()) {
    log(`${spec.name}: ${N} nodes, ${2 * spec.k} links each`)
    fleets.push(await startFleet(spec, `10.${120 + i}.0`))
  }
  log(`all up; ${WARMUP_S} s of warm-up, then ${WINDOWS} windows of ${WINDOW_S} s`)
  await sleep(WARMUP_S * 1000)
  const pids = fleets.map(fl => fl.procs.map(programPid))
  for (let w = 0; w < WINDOWS; w++) {
    const { cpu } = await cpuWindow(pids, WINDOW_S * 1000)
    fleets.forEach((fl, i) => { fl.cpu.push(mean(cpu[i]!)) })
    log(`window ${w + 1}/${WINDOWS}: ${fleets.map(fl => `${fl.spec.name} ${f(fl.cpu.at(-1)!)}`).join(', ')}`)
  }
} finally {
  for (const fl of fleets) await fl.lan.destroy()
}

const nullCpu = mean(fleets[0]!.cpu)
const rows = fleets.map(fl => {
  const cpu = mean(fl.cpu)
  const framesOut = fl.spec.mode === 'echo' ? framesOutPerS(fl.spec.k) : 0
  const perFrame = framesOut > 0 ? (cpu - nullCpu) / 100 * 1000 / framesOut : NaN
  return `| ${fl.spec.name} | ${2 * fl.spec.k} | ${f(framesOut, 1)} | ${f(cpu)} | ${f(Math.min(...fl.cpu))} to ${f(Math.max(...fl.cpu))} | ${f(perFrame)} |`
})
// The frames' own cost: the slope between the fewest and the most links pinged (the connections and
// the process cost the same in both), and where that line meets no frames at all.
const echoes = fleets.filter(fl => fl.spec.mode === 'echo' && fl.spec.nodeOptions.length === 0).sort((a, b) => a.spec.k - b.spec.k)
const lo = echoes[0]
const hi = echoes.at(-1)
const slopeLine = lo != null && hi != null && hi.spec.k > lo.spec.k
  ? (() => {
      const perFrame = (mean(hi.cpu) - mean(lo.cpu)) / (framesOutPerS(hi.spec.k) - framesOutPerS(lo.spec.k))
      const atZero = mean(lo.cpu) - perFrame * framesOutPerS(lo.spec.k)
      return `From ${lo.spec.name} to ${hi.spec.name}: each frame out a second (and its answer in) adds ${f(perFrame, 3)} % of a core (${f(perFrame * 10, 2)} ms of CPU per frame); the line meets no frames at ${f(atZero)} %. At that rate a node under 0.5 % sends at most ${f((0.5 - atZero) / perFrame, 1)} frames out a second.`
    })()
  : 'Give --links two or more counts for the frames\' own cost.'
const report = [
  `# An idle libp2p node's cost, taken apart (${startedAt})`,
  '',
  `Node ${process.version}, ${availableParallelism()} cores, load average at start ${loadAtStart.map(l => l.toFixed(2)).join(' ')}. ${fleets.length} fleets of ${N} nodes, each on a LAN of its own, all running at once; ${WARMUP_S} s of warm-up, then ${WINDOWS} windows of ${WINDOW_S} s in which every fleet is read at the same instants.`,
  '',
  '| fleet | links per node | frames out per node per s | CPU % of a core per node, mean | windows | ms of CPU per frame out (and its answer in), above null |',
  '|---|---|---|---|---|---|',
  ...rows,
  '',
  slopeLine,
  ''
].join('\n')
console.log('\n' + report)
await mkdir(values.out, { recursive: true })
await writeFile(join(values.out, 'results.md'), report)
await writeFile(join(values.out, 'results.json'), JSON.stringify({ date: startedAt, node: process.version, n: N, fleets: fleets.map(fl => ({ name: fl.spec.name, links: 2 * fl.spec.k, cpu: fl.cpu })) }, null, 2))
log(`wrote ${values.out}/results.md`)
