import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI } from './cli.js'
import { createLan, type Host, type HostProcess, type Lan } from './lan.js'
import { waitForCalm } from './proc.js'

/**
 * A fleet of P2PFaaS node processes, one per host of a LAN of network namespaces, and the
 * measurements a scale experiment takes of it: how soon every node knows every other, whether each
 * can hand a call to any other, what an idle fleet costs (traffic, CPU, memory) and how old the
 * load each node holds of its overlay neighbours is (those in fleet-sample.ts). Used by
 * `npm run bench:scale` and by test/lan/fleet-lan.test.ts.
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
  /**
   * When the next wave starts: `boot`, once this wave answers /healthz (default); `join`, as in a
   * rolling start, once every node started so far lists every other ready to hand off to and the
   * machine has caught up (under half its CPU busy for a second, waited for at most 30 s). On a
   * machine whose few cores run the whole fleet, `join` keeps a wave's boot from waiting for the CPU
   * the earlier waves use to form, which on real hardware (a computer per node) is their own.
   */
  pace?: 'boot' | 'join'
  /** How long one wave may take to answer /healthz, and with `pace: 'join'` to join (default 120 s). */
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

const HTTP_PORT = 18080
const P2P_PORT = 4001
/** At most this many requests in flight through the probe host. */
export const IN_FLIGHT = 8
const POLL_MS = 500
/** With `pace: 'join'`, the machine counts as caught up under this share of its CPU busy, waited for at most this long. */
const CALM_BUSY = 0.5
const CALM_BOUND_MS = 30_000

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const mean = (xs: number[]): number => xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length
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

export const isLink = (p: FleetMeshPeer): boolean => p.link ?? p.connected

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
    const waitJoined = async (upTo: number): Promise<void> => {
      const started = all.slice(0, upTo).map(j => ({ url: `http://${lan.hosts[j - 1]!.ip}:${HTTP_PORT}`, peerId: peerIds[j - 1]!, fn: `fn-${j}` }))
      const deadline = performance.now() + (init.waveTimeoutMs ?? 120_000)
      for (;;) {
        const round = await membershipRound(lan, started)
        if (round.nodesReady === started.length) return
        if (performance.now() > deadline) throw new Error(`nodes 1 to ${upTo} did not all list each other within ${init.waveTimeoutMs ?? 120_000} ms (fewest listed: ${round.minListed} of ${upTo - 1})`)
        // Gentler than the measurement's polling: this only paces the start.
        await sleep(2 * POLL_MS)
      }
    }
    for (let k = 0; k < rest.length; k += wave) {
      const js = rest.slice(k, k + wave)
      for (const j of js) spawn(j, bootstrap)
      const w0 = performance.now()
      await waitHealthy(js)
      const healthy = performance.now() - w0
      const last = k + wave >= rest.length
      if (init.pace === 'join' && !last) { await waitJoined(js.at(-1)!); await waitForCalm({ busyBelow: CALM_BUSY, inARow: 1, boundMs: CALM_BOUND_MS }) }
      if (process.env.FLEET_DEBUG != null) process.stderr.write(`wave ${js.join(',')}: healthy in ${Math.round(healthy)} ms, next after ${Math.round(performance.now() - w0)} ms\n`)
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
  const result: MembershipResult = {
    fullMembersAt: null,
    handOffReadyAt: null,
    rounds: 0,
    last: { answering: 0, minListed: 0, meanListed: 0, nodesFull: 0, nodesReady: 0, meanLinks: 0, maxLinks: 0 },
    exited: []
  }
  for (;;) {
    const roundStart = performance.now()
    result.last = await membershipRound(lan, nodes)
    const at = performance.now()
    result.rounds++
    if (result.fullMembersAt == null && result.last.nodesFull === n) result.fullMembersAt = at
    if (result.handOffReadyAt == null && result.last.nodesReady === n) result.handOffReadyAt = at
    result.exited = nodes.filter(node => node.proc.proc.exitCode != null || node.proc.proc.signalCode != null).map(node => node.index)
    if (result.fullMembersAt != null && result.handOffReadyAt != null) return result
    if (result.exited.length > 0 || at - fleet.lastSpawnAt > timeoutMs) return result
    await sleep(Math.max(0, POLL_MS - (performance.now() - roundStart)))
  }
}

type RoundNode = Pick<FleetNode, 'url' | 'peerId' | 'fn'>

/** One read of every node's /mesh: how many of the others each lists, and lists ready to hand off to. */
async function membershipRound (lan: Lan, nodes: readonly RoundNode[]): Promise<MembershipResult['last']> {
  const n = nodes.length
  const fnOf = new Map(nodes.map(node => [node.peerId, node.fn]))
  const views = await mapLimited(nodes, IN_FLIGHT, async node => await readMesh(lan, node.url))
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
  return {
    answering: listed.length,
    minListed: listed.length > 0 ? Math.min(...listed) : 0,
    meanListed: mean(listed),
    nodesFull,
    nodesReady,
    meanLinks: mean(links),
    maxLinks: links.length > 0 ? Math.max(...links) : 0
  }
}
