import { open } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { addMeshOptions, CliError, collect, EXIT, exitForCode, openSession, runCommand } from '../session.js'
import { poissonSchedule } from './arrivals.js'
import { httpTarget } from './http-target.js'
import { FUNCTION_NAME } from '../../rules.js'
import { meshNodes, reach } from '../mesh-client.js'
import { libp2pTarget } from './libp2p-target.js'
import { checkSize, LIMITS, loadPayloads, parseBenchFlags, ratesFor, type BenchFlags, type BenchPlan } from './options.js'
import { startProgress } from './progress.js'
import { newLiveCounts, runOpenLoop, type OpenLoopResult, type Target } from './runner.js'
import { csvChunks, jsonChunks, renderSummary, summarise, type BenchSummary, type CallRecord } from './summary.js'
import type { Command } from 'commander'

/** Reaching the nodes (and, with --all, asking for the mesh) before the run starts. */
const SETUP_TIMEOUT_MS = 30_000

/**
 * `p2pfaas bench`: the open-loop load generator of the original P2PFaaS experiments. Poisson
 * arrivals per target node, sent at their scheduled times whatever became of earlier calls, then
 * a summary and, for plotting, every call as JSON or CSV.
 */
export function registerBenchCommand (program: Command): void {
  addMeshOptions(program.command('bench <function>'))
    .description('open-loop load: Poisson arrivals to one node or every node of the mesh, then latency, rejections and hops')
    .option('--rate <per-second>', `arrivals per second to each target, or one per target in order (5,10,2); at most ${LIMITS.maxRate}`, '10')
    .option('--duration <time>', 'how long arrivals come: 500ms, 30s, 2m (at most 1h)', '10s')
    .option('--all', 'send to every node of the mesh as the --peer node sees it (connected peers), itself first')
    .option('--http <url>', 'call this node over HTTP (POST <url>/function/<name>) instead of libp2p; repeatable, one target each', collect, [])
    .option('--payload <file>', `a request body, repeatable: each call takes one, chosen by the seeded rng (at most ${LIMITS.payloadFiles} files of 16 MiB)`, collect, [])
    .option('-d, --data <text>', 'the request body for every call: text, or @file (default: empty)')
    .option('-H, --header <k:v>', 'a request header, repeatable', collect, [])
    .option('--concurrency-cap <n>', 'most calls outstanding; an arrival beyond it is not sent but counted as dropped (over libp2p one node takes at most 1000 at once: beyond, STREAM_LIMIT errors)', '1000')
    .option('--seed <n>', 'seed of the arrival schedule and payload choice (default: random, printed)')
    .option('--timeout <ms>', 'give up on one call after this long', '30000')
    .option('--json <file|->', 'write the summary and every call as JSON (- for stdout; the summary text then goes to stderr)')
    .option('--csv <file|->', 'write every call as CSV (- for stdout; the summary text then goes to stderr)')
    .addHelpText('after', `
Open loop: each target gets its own Poisson arrivals at its rate, sent at their scheduled times
whatever happened to earlier calls; a late timer sends what is overdue at once, never shifts the
schedule. The summary: sent, succeeded, rejected (overloaded), errors by code, dropped by the cap,
the share forwarded to another node, the rate achieved, latency p50/p95/p99/max of the succeeded
calls, how late sends were against the schedule, hops, and the CLI's own CPU use.
Each record: target, scheduledMs, startMs, latencyMs, outcome (ok|rejected|error|dropped), status,
code, hops, ranOn (the last node on the path), forwarded. A run keeps at most ${LIMITS.maxCalls} calls.
Exit 0 when any call succeeded; when none did, the code of the commonest failure (3 overloaded,
4 not found, 5 unreachable, 6 timeout, 1 other); 2 for bad flags.

Examples:
  p2pfaas bench echo --peer /ip4/192.168.1.10/tcp/4001/p2p/12D3KooW... --rate 20 --duration 30s
  p2pfaas bench imageproc --peer /ip4/.../p2p/12D3KooW... --all --rate 5,10,2 --payload a.jpg --payload b.jpg --seed 7
  p2pfaas bench echo --http http://10.0.0.1:18080 --http http://10.0.0.2:18080 --rate 50 --json - > calls.json
  p2pfaas bench sleep --peer ... --concurrency-cap 8 --csv calls.csv --duration 2m`)
    .action(async (fn: string, flags: BenchFlags) => { await runCommand('bench', async () => await bench(fn, flags)) })
}

async function bench (fn: string, flags: BenchFlags): Promise<number> {
  if (!FUNCTION_NAME.test(fn)) throw new CliError(EXIT.usage, `"${fn}" is not a function name (lower-case letters, digits and dashes)`)
  const plan = parseBenchFlags(flags)
  const payloads = await loadPayloads(plan.payloadSources)
  const outputs = await openOutputs(plan)
  try {
    const setup = await openTargets(fn, flags, plan)
    try {
      const summary = await runPlan(fn, plan, setup, payloads, outputs)
      return exitCodeOf(summary)
    } finally {
      await setup.close()
    }
  } finally {
    await outputs.close()
  }
}

/** The schedule for these targets, the run, then the summary and the records where they were asked for. */
async function runPlan (fn: string, plan: BenchPlan, setup: Setup, payloads: Uint8Array[], outputs: Outputs): Promise<BenchSummary> {
  const rates = ratesFor(plan.rates, setup.targets.length)
  checkSize(rates, plan.durationMs)
  const arrivals = poissonSchedule({ rates, durationMs: plan.durationMs, seed: plan.seed, payloads: payloads.length })
  const { run, cpu, maxInFlight } = await measure(async live => await runOpenLoop({
    arrivals, targets: setup.targets, payloads, cap: plan.cap, timeoutMs: plan.timeoutMs, stop: live.stop, live: live.counts
  }), plan.durationMs)
  const summary = summarise(run.records, {
    function: fn, transport: setup.transport, seed: plan.seed, durationMs: plan.durationMs, rates,
    targets: setup.targets.map(t => t.label), interrupted: run.interrupted, maxInFlight, wallMs: run.wallMs, cpu
  })
  // With records on stdout, the summary must not mix into them.
  const toStdout = plan.json === '-' || plan.csv === '-'
  ;(toStdout ? process.stderr : process.stdout).write(renderSummary(summary))
  await outputs.write(summary, run.records)
  return summary
}

interface Setup { targets: Target[], transport: 'libp2p' | 'http', close: () => Promise<void> }

/** The targets: the --http URLs, or the --peer node (and with --all its peers) over one libp2p session. */
async function openTargets (fn: string, flags: BenchFlags, plan: BenchPlan): Promise<Setup> {
  if (plan.http.length > 0) {
    const targets = await Promise.all(plan.http.map(async url => await httpTarget(url, { fn, headers: plan.headers, connections: plan.cap })))
    return { targets, transport: 'http', close: async () => { await Promise.all(targets.map(async t => { await t.close?.() })) } }
  }
  const signal = AbortSignal.timeout(SETUP_TIMEOUT_MS)
  const session = await openSession(flags, { signal })
  try {
    // --all sends straight to each node the session's node is linked to; it does not ask one to relay.
    const nodes = plan.all ? await meshNodes(session, { connectedOnly: true }) : [{ peerId: session.peer, addrs: [] }]
    await Promise.all(nodes.map(async node => { await reach(session, node) }))
    const peers = nodes.map(n => n.peerId)
    const targets = peers.map(peer => libp2pTarget(session.libp2p, peer, { fn, headers: plan.headers, timeoutMs: plan.timeoutMs }))
    return { targets, transport: 'libp2p', close: async () => { await session.close() } }
  } catch (err) {
    await session.close()
    throw err
  }
}

/** Runs the schedule with the progress line and Ctrl-C handling, and what it cost this process. */
async function measure (body: (live: { counts: ReturnType<typeof newLiveCounts>, stop: AbortSignal }) => Promise<OpenLoopResult>, durationMs: number): Promise<{ run: OpenLoopResult, cpu: BenchSummary['cpu'], maxInFlight: number }> {
  const counts = newLiveCounts()
  const stop = new AbortController()
  // The first Ctrl-C ends the run early and still prints what it measured; a second one kills.
  const onSigint = (): void => { stop.abort() }
  process.once('SIGINT', onSigint)
  const stopProgress = startProgress({ stream: process.stderr, durationMs, live: counts })
  const cpu0 = process.cpuUsage()
  const elu0 = performance.eventLoopUtilization()
  try {
    const run = await body({ counts, stop: stop.signal })
    const used = process.cpuUsage(cpu0)
    const userMs = used.user / 1000
    const systemMs = used.system / 1000
    const eventLoopBusy = performance.eventLoopUtilization(elu0).utilization
    return { run, cpu: { userMs, systemMs, share: (userMs + systemMs) / Math.max(1, run.wallMs), eventLoopBusy }, maxInFlight: counts.maxInFlight }
  } finally {
    stopProgress()
    process.off('SIGINT', onSigint)
  }
}

interface Outputs { write: (summary: BenchSummary, records: readonly CallRecord[]) => Promise<void>, close: () => Promise<void> }

/** Opens the --json and --csv files before the run, so a bad path fails in a second, not after it. */
async function openOutputs (plan: BenchPlan): Promise<Outputs> {
  const files = new Map<string, Awaited<ReturnType<typeof open>>>()
  try {
    for (const path of [plan.json, plan.csv]) {
      if (path != null && path !== '-' && !files.has(path)) files.set(path, await open(path, 'w'))
    }
  } catch (err: any) {
    await Promise.all([...files.values()].map(async f => { await f.close() }))
    throw new CliError(EXIT.usage, `cannot write ${err?.path ?? ''}: ${err?.message ?? err}`)
  }
  const sink = (path: string) => async (chunk: string): Promise<void> => {
    if (path === '-') await new Promise<void>((resolve, reject) => { process.stdout.write(chunk, err => { err != null ? reject(err) : resolve() }) })
    else await files.get(path)!.write(chunk)
  }
  return {
    async write (summary, records) {
      if (plan.json != null) { const put = sink(plan.json); for (const c of jsonChunks(summary, records)) await put(c) }
      if (plan.csv != null) { const put = sink(plan.csv); for (const c of csvChunks(records)) await put(c) }
    },
    async close () { await Promise.all([...files.values()].map(async f => { await f.close() })) }
  }
}

/** 0 when anything succeeded (a load test measures failures, it does not fail on them). */
export function exitCodeOf (s: BenchSummary): number {
  if (s.succeeded > 0 || s.sent === 0) return EXIT.ok
  const failures = { ...s.errorsByCode, ...(s.rejected > 0 ? { OVERLOADED: s.rejected } : {}) }
  const commonest = Object.entries(failures).sort((a, b) => b[1] - a[1])[0]?.[0] ?? ''
  return exitForCode(commonest)
}
