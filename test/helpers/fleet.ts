import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI } from './cli.js'
import { createLan, type Host, type HostProcess, type Lan, type LanAnswer } from './lan.js'

/**
 * A fleet of P2PFaaS node processes, one per host of a LAN of network namespaces, and the
 * measurements a scale experiment takes of it: how soon every node knows every other, whether each
 * can hand a call to any other, what an idle fleet costs (traffic, CPU, memory) and how old the
 * load each node holds of its overlay neighbours is. Used by `npm run bench:scale` and by
 * test/lan/fleet-lan.test.ts.
 *
 * Times are `performance.now()` values of this process. Everything is read from inside the LAN
 * through the LAN's probe host, gently: 64 nodes may share 2 cores with this process.
 */

/** mdns: mDNS only, no bootstrap. bootstrap: no mDNS, every node given node 1's address. */
export type FleetVariant = 'mdns' | 'bootstrap'

export interface FleetInit {
  n: number
  variant: FleetVariant
  /** Spawn this many nodes, wait for their /healthz, then the next wave (default 8). */
  wave?: number
  /** Appended to every node's command line. */
  extraArgs?: string[]
  /** The nodes' --log-level (default warn). */
  logLevel?: string
  /** How long one wave may take to answer /healthz (default 120 s). */
  waveTimeoutMs?: number
  /** More functions for every node's stack file, as YAML lines under `functions:` (indented two spaces). */
  extraFunctions?: string[]
  /** Runs once the LAN exists and before any node starts: faults every connection must cross. */
  beforeSpawn?: (lan: Lan) => Promise<void>
}

/** A process on a host of the LAN: what the idle sampler reads (bare libp2p nodes are such too). */
export interface FleetProcess {
  host: Host
  proc: HostProcess
  /** Its HTTP API on the LAN, if it has one. */
  url?: string
}

export interface FleetNode extends FleetProcess {
  /** 1-based: node j runs on the LAN's host j and deploys `fn-<j>`. */
  index: number
  url: string
  peerId: string
  /** The one function this node deploys at start, and no other node has. */
  fn: string
  dataDir: string
}

export interface Fleet {
  lan: Lan
  variant: FleetVariant
  nodes: FleetNode[]
  firstSpawnAt: number
  lastSpawnAt: number
  /** When the last node answered /healthz: the fleet is booted; what follows is joining. */
  lastHealthyAt: number
  /** Kills every node, removes every namespace and data directory; safe to call twice. */
  destroy(): Promise<void>
}

/** One peer of `GET /mesh`, today's shape and the rebuilt mesh's (link, loadAgeMs) alike. */
export interface FleetMeshPeer {
  peerId: string
  addrs: string[]
  connected: boolean
  /** A direct overlay neighbour (the rebuilt mesh); absent today, when it means `connected`. */
  link?: boolean
  lastSeenMs: number
  /** Age of the peer's load as this node knows it (the rebuilt mesh); absent today: lastSeenMs. */
  loadAgeMs?: number | null
  functions: string[]
}

export interface FleetMeshView {
  self: { peerId: string, addrs: string[] }
  peers: FleetMeshPeer[]
}

export interface MembershipResult {
  /** First time every node listed all n-1 others; null if not within the bound. */
  fullMembersAt: number | null
  /** First time every node listed every other with addresses and its fn-<j>; null if not within the bound. */
  handOffReadyAt: number | null
  /** How many polling rounds it took; each round reads every node's /mesh once. */
  rounds: number
  /** The last round, for a report on a fleet that did not get there. */
  last: {
    answering: number
    /** Others listed, fewest and mean over the nodes that answered. */
    minListed: number
    meanListed: number
    nodesFull: number
    nodesReady: number
    /** Direct links (link, or connected today) per node, mean and max. */
    meanLinks: number
    maxLinks: number
  }
  /** Nodes (1-based) whose process had exited. */
  exited: number[]
}

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

const HTTP_PORT = 18080
const P2P_PORT = 4001
/** At most this many requests in flight through the probe host. */
const IN_FLIGHT = 8
const POLL_MS = 500

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const mean = (xs: number[]): number => xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length
const lastOctet = (host: Host): string => host.ip.split('.').pop()!
const tail = (p: HostProcess, lines = 15): string => p.output.slice(-lines).join('\n')

/** Like Promise.all over `items`, with at most `limit` calls of `fn` running at once. */
export async function mapLimited<T, R> (items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/** The stack file of node j: one emulated function only it has. */
function stackFile (fn: string, extra: string[] = []): string {
  return [
    'version: 1.0',
    'functions:',
    `  ${fn}:`,
    '    labels:',
    '      p2pfaas.runtime: emulated',
    '      p2pfaas.service-time: fixed:5ms',
    ...extra,
    ''
  ].join('\n')
}

export async function readMesh (lan: Lan, url: string, timeoutMs = 5000): Promise<FleetMeshView | undefined> {
  const res = await lan.get(`${url}/mesh`, timeoutMs)
  if (res.status !== 200) return undefined
  try {
    const view = JSON.parse(res.body) as FleetMeshView
    return Array.isArray(view?.peers) ? view : undefined
  } catch {
    return undefined
  }
}

const isLink = (p: FleetMeshPeer): boolean => p.link ?? p.connected

/**
 * Starts n nodes, in waves, each waiting for the previous wave's /healthz; with the bootstrap
 * variant node 1 comes first, alone, and its address (with its peer id) is given to all the others.
 * On any failure everything started is removed before the error is thrown.
 */
export async function startFleet (init: FleetInit): Promise<Fleet> {
  const { n, variant } = init
  if (!Number.isInteger(n) || n < 2 || n > 250) throw new Error(`a fleet has 2 to 250 nodes (got ${n})`)
  const wave = Math.max(1, init.wave ?? 8)
  const dir = mkdtempSync(join(tmpdir(), 'p2pfaas-fleet-'))
  let lan: Lan
  try {
    lan = createLan(n)
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  // Removed after the processes are gone, on destroy() and on Ctrl-C alike.
  lan.defer(() => { rmSync(dir, { recursive: true, force: true, maxRetries: 3 }) })
  let destroyed: Promise<void> | undefined
  const destroy = async (): Promise<void> => { destroyed ??= lan.destroy(); await destroyed }

  try {
    await init.beforeSpawn?.(lan)
    const procs: HostProcess[] = []
    let firstSpawnAt = 0
    let lastSpawnAt = 0
    const spawn = (j: number, bootstrap?: string): void => {
      const host = lan.hosts[j - 1]!
      const stack = join(dir, `${host.name}.yml`)
      writeFileSync(stack, stackFile(`fn-${j}`, init.extraFunctions))
      const args = [CLI, 'node', '--runtime', 'process', '--data-dir', join(dir, host.name), '--log-level', init.logLevel ?? 'warn', '--functions', stack]
      if (variant === 'bootstrap') args.push('--no-mdns')
      if (bootstrap != null) args.push('--bootstrap', bootstrap)
      if (variant === 'mdns') args.push('--mdns-interval', '5000')
      args.push(...init.extraArgs ?? [])
      // The node's own log level wins over one the caller's environment may carry.
      procs[j - 1] = host.spawn(process.execPath, args, { P2PFAAS_LOG_LEVEL: undefined })
      lastSpawnAt = performance.now()
      if (j === 1) firstSpawnAt = lastSpawnAt
    }
    const peerIds: string[] = []
    const waitHealthy = async (js: number[]): Promise<void> => {
      const deadline = performance.now() + (init.waveTimeoutMs ?? 120_000)
      let pending = [...js]
      while (pending.length > 0) {
        const dead = pending.find(j => procs[j - 1]!.proc.exitCode != null || procs[j - 1]!.proc.signalCode != null)
        if (dead != null) throw new Error(`node ${dead} exited while starting:\n${tail(procs[dead - 1]!)}`)
        if (performance.now() > deadline) {
          throw new Error(`nodes ${pending.join(', ')} did not answer /healthz within ${init.waveTimeoutMs ?? 120_000} ms:\n${tail(procs[pending[0]! - 1]!)}`)
        }
        const answers = await mapLimited(pending, IN_FLIGHT, async j => {
          const url = `http://${lan.hosts[j - 1]!.ip}:${HTTP_PORT}`
          if ((await lan.get(`${url}/healthz`, 2000)).status !== 200) return false
          const view = await readMesh(lan, url)
          if (view == null) return false
          peerIds[j - 1] = view.self.peerId
          return true
        })
        pending = pending.filter((_, k) => !answers[k])
        if (pending.length > 0) await sleep(250)
      }
    }

    const all = Array.from({ length: n }, (_, k) => k + 1)
    let bootstrap: string | undefined
    let rest = all
    if (variant === 'bootstrap') {
      spawn(1)
      await waitHealthy([1])
      bootstrap = `/ip4/${lan.hosts[0]!.ip}/tcp/${P2P_PORT}/p2p/${peerIds[0]!}`
      rest = all.slice(1)
    }
    for (let k = 0; k < rest.length; k += wave) {
      const js = rest.slice(k, k + wave)
      for (const j of js) spawn(j, bootstrap)
      const w0 = performance.now()
      await waitHealthy(js)
      if (process.env.FLEET_DEBUG != null) process.stderr.write(`wave ${js.join(',')}: healthy in ${Math.round(performance.now() - w0)} ms\n`)
    }

    const nodes: FleetNode[] = all.map(j => ({
      index: j,
      host: lan.hosts[j - 1]!,
      proc: procs[j - 1]!,
      url: `http://${lan.hosts[j - 1]!.ip}:${HTTP_PORT}`,
      peerId: peerIds[j - 1]!,
      fn: `fn-${j}`,
      dataDir: join(dir, lan.hosts[j - 1]!.name)
    }))
    return { lan, variant, nodes, firstSpawnAt, lastSpawnAt, lastHealthyAt: performance.now(), destroy }
  } catch (err) {
    await destroy()
    throw err
  }
}

/**
 * Polls every node's /mesh (every ~500 ms, a few requests at a time) until every node lists all
 * others (full membership) and lists each with addresses and its function (ready to hand off), or
 * until `timeoutMs` after the last spawn (the origin the figures are measured from). Never throws on
 * a fleet that does not get there: the result says how far it got.
 */
export async function waitForMembership (fleet: Fleet, timeoutMs: number): Promise<MembershipResult> {
  const { lan, nodes } = fleet
  const n = nodes.length
  const fnOf = new Map(nodes.map(node => [node.peerId, node.fn]))
  const result: MembershipResult = {
    fullMembersAt: null,
    handOffReadyAt: null,
    rounds: 0,
    last: { answering: 0, minListed: 0, meanListed: 0, nodesFull: 0, nodesReady: 0, meanLinks: 0, maxLinks: 0 },
    exited: []
  }
  for (;;) {
    const roundStart = performance.now()
    const views = await mapLimited(nodes, IN_FLIGHT, async node => await readMesh(lan, node.url))
    const at = performance.now()
    result.rounds++
    const listed: number[] = []
    const links: number[] = []
    let nodesFull = 0
    let nodesReady = 0
    views.forEach((view, i) => {
      if (view == null) return
      const self = nodes[i]!.peerId
      const others = view.peers.filter(p => p.peerId !== self && fnOf.has(p.peerId))
      const count = new Set(others.map(p => p.peerId)).size
      listed.push(count)
      links.push(others.filter(isLink).length)
      if (count === n - 1) nodesFull++
      const ready = others.filter(p => p.addrs.length > 0 && p.functions.includes(fnOf.get(p.peerId)!))
      if (new Set(ready.map(p => p.peerId)).size === n - 1) nodesReady++
    })
    result.last = {
      answering: listed.length,
      minListed: listed.length > 0 ? Math.min(...listed) : 0,
      meanListed: mean(listed),
      nodesFull,
      nodesReady,
      meanLinks: mean(links),
      maxLinks: links.length > 0 ? Math.max(...links) : 0
    }
    if (result.fullMembersAt == null && nodesFull === n) result.fullMembersAt = at
    if (result.handOffReadyAt == null && nodesReady === n) result.handOffReadyAt = at
    result.exited = nodes.filter(node => node.proc.proc.exitCode != null || node.proc.proc.signalCode != null).map(node => node.index)
    if (result.fullMembersAt != null && result.handOffReadyAt != null) return result
    if (result.exited.length > 0 || at - fleet.lastSpawnAt > timeoutMs) return result
    await sleep(Math.max(0, POLL_MS - (performance.now() - roundStart)))
  }
}

let clockTicks: number | undefined
function ticksPerSecond (): number {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
  } catch {
    clockTicks = 100
  }
  return clockTicks
}

/**
 * The pid of the program a host runs: `ip netns exec` execs it in place today, but if a version
 * of ip forks instead, the program is its only child.
 */
export function programPid (proc: HostProcess): number | undefined {
  const pid = proc.proc.pid
  if (pid == null) return undefined
  try {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'ip') return pid
    const child = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]
    return child != null && child !== '' ? Number(child) : pid
  } catch {
    return undefined
  }
}

/** utime + stime of a process, in clock ticks (NaN once it is gone). */
function cpuTicks (pid: number | undefined): number {
  if (pid == null) return NaN
  try {
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return NaN
  }
}

/** Busy and total jiffies of the whole machine. */
function machineTicks (): { busy: number, total: number, cores: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n')
  const cpu = lines[0]!.trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0)
  const idle = cpu[3]! + (cpu[4] ?? 0)
  return { busy: total - idle, total, cores: lines.filter(l => /^cpu\d+ /.test(l)).length }
}

function rssMiB (pid: number | undefined): number {
  if (pid == null) return NaN
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024
  } catch {
    return NaN
  }
}

/** rx+tx of every host's link, read on the bridge side: one `ip` call for the whole LAN. */
function linkBytes (lan: Lan): Map<string, number> {
  const links = JSON.parse(execFileSync('ip', ['-n', `pf${lan.id}br`, '-s', '-j', 'link']).toString()) as Array<{ ifname: string, stats64?: { rx: { bytes: number }, tx: { bytes: number } } }>
  return new Map(links.map(l => [l.ifname, (l.stats64?.rx.bytes ?? 0) + (l.stats64?.tx.bytes ?? 0)]))
}

const stats = (xs: number[]): { mean: number, max: number } => {
  const ok = xs.filter(Number.isFinite)
  return { mean: mean(ok), max: ok.length > 0 ? Math.max(...ok) : NaN }
}

/**
 * What the fleet costs while nobody asks it anything: nothing is sent to the nodes during the
 * window, so only what they send each other (and mDNS) crosses their links. Memory and heap are
 * read after the window.
 */
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
    for (const m of res.body.matchAll(/^p2pfaas_(?:link_events|member_records)_total\{[^}]*\} (\d+)/gm)) sum += Number(m[1])
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

export async function sampleIdle (fleet: { lan: Lan, nodes: FleetProcess[] }, seconds: number): Promise<IdleSample> {
  const { lan, nodes } = fleet
  const veths = nodes.map(node => `pf${lan.id}p${lastOctet(node.host)}`)
  const pids = nodes.map(node => programPid(node.proc))
  const hz = ticksPerSecond()

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
  const cpu = pids.map((_, i) => (cpuAfter[i]! - cpuBefore[i]!) / hz / secs * 100)
  const sample: IdleSample = {
    seconds: secs,
    bytesPerNodePerSec: stats(bytes).mean,
    bytesPerNodePerSecMax: stats(bytes).max,
    cpuPctPerNode: stats(cpu),
    machineBusyPct: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total) * 100,
    cores: machineAfter.cores,
    rssMiB: stats(pids.map(rssMiB))
  }
  const withHttp = nodes.filter(node => node.url != null)
  if (withHttp.length > 0) {
    const heaps = await mapLimited(withHttp, IN_FLIGHT, async node => heapUsedMiB(await lan.get(`${node.url!}/metrics`, 3000)))
    const known = heaps.filter((h): h is number => h != null)
    if (known.length > 0) sample.heapUsedMiB = stats(known)
  }
  return sample
}

function heapUsedMiB (res: LanAnswer): number | undefined {
  if (res.status !== 200) return undefined
  const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})?\s+(\S+)/m.exec(res.body)
  return m != null ? Number(m[1]) / 1024 / 1024 : undefined
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
