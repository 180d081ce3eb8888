import { startFleet, readMesh, waitForMembership, type Fleet, type FleetNode } from './fleet.js'
import type { Lan } from './lan.js'
import { addDelay, addLoss, emulatedFunction, openLoad, tally, type CallRecord, type Tally } from './chaos.js'

/**
 * The chaos cases on fleets of real node processes, as functions the tests (test/chaos/, short) and
 * `npm run bench:chaos` (longer) both run: each starts its fleet, puts open-loop load and faults on
 * it, always removes everything, and returns the figures. The tests assert; the bench prints.
 */

const FN = 'emu'
/** The function's deadline (p2pfaas.timeout), queueing included. */
export const DEADLINE_MS = 3000
/** How late an answer may come after the deadline: the hop back and a loaded 2-core machine. */
export const SLACK_MS = 1500

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Waits on a condition, polling; throws with `what` when it does not hold within `timeoutMs`. */
export async function until<T> (what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(everyMs)
  }
}

async function chaosFleet (n: number, slots: number, queue: number, beforeSpawn?: (lan: Lan) => Promise<void>): Promise<Fleet> {
  const fleet = await startFleet({ n, variant: 'mdns', extraFunctions: emulatedFunction(FN, slots, queue, `${DEADLINE_MS}ms`), beforeSpawn })
  try {
    const m = await waitForMembership(fleet, 60_000)
    if (m.handOffReadyAt == null) throw new Error(`the fleet did not form: ${JSON.stringify(m.last)}`)
    await until('every node lists emu on every other', async () => await viewsAre(fleet, fleet.nodes, fleet.nodes, FN), 30_000, 250)
    return fleet
  } catch (err) {
    await fleet.destroy()
    throw err
  }
}

/** Each node in `at` lists exactly the nodes in `expected` (besides itself), each with `fn` if given. */
export async function viewsAre (fleet: Fleet, at: FleetNode[], expected: FleetNode[], fn?: string): Promise<boolean> {
  const views = await Promise.all(at.map(async node => await readMesh(fleet.lan, node.url, 2000)))
  return views.every((v, k) => {
    if (v == null) return false
    const want = expected.filter(e => e.peerId !== at[k]!.peerId).map(e => e.peerId).sort()
    const have = v.peers.filter(p => fn == null || p.functions.includes(fn)).map(p => p.peerId).sort()
    return have.length === want.length && have.every((p, i) => p === want[i])
  })
}

export interface SigkillFigures {
  all: Tally
  idempotent: Tally
  plain: Tally
  killedAtMs: number[]
  /** Calls running or queued on each victim just before it was killed (its /monitoring/load). */
  inFlightAtKill: number[]
}

/**
 * 5 nodes, 2 slots and 2 queue places each; node 1 offered 2.5× its capacity; nodes 4 and 5
 * killed with SIGKILL at 35 % and 60 % of the run. Every other call is marked idempotent.
 */
export async function sigkillCase (durationMs: number): Promise<SigkillFigures> {
  const serviceMs = 400
  const slots = 2
  const fleet = await chaosFleet(5, slots, 2)
  try {
    const killedAtMs: number[] = []
    const inFlightAtKill: number[] = []
    // Killed while it runs a call (a bounded wait for one), so that calls are lost with it.
    const kill = (node: FleetNode, atMs: number) => ({
      atMs,
      run: async () => {
        const t = performance.now()
        const busy = await until(`node ${node.index} running a call`, async () => {
          const res = await fleet.lan.get(`${node.url}/monitoring/load`, 1000)
          const n = Number(res.headers?.['x-p2pfaas-load'] ?? 0) + Number(res.headers?.['x-p2pfaas-queue-length'] ?? 0)
          return n > 0 ? n : undefined
        }, 5000, 20).catch(() => 0)
        await node.proc.kill('SIGKILL')
        killedAtMs.push(atMs + performance.now() - t)
        inFlightAtKill.push(busy)
      }
    })
    const records = await openLoad({
      lan: fleet.lan,
      origins: [fleet.nodes[0]!.url],
      fn: FN,
      ratePerSec: 2.5 * slots * 1000 / serviceMs,
      durationMs,
      serviceMs,
      clientTimeoutMs: DEADLINE_MS + 5000,
      idempotentEvery: 2,
      events: [kill(fleet.nodes[3]!, durationMs * 0.35), kill(fleet.nodes[4]!, durationMs * 0.6)]
    })
    return {
      all: tally(records, DEADLINE_MS, SLACK_MS),
      idempotent: tally(records.filter(r => r.idempotent), DEADLINE_MS, SLACK_MS),
      plain: tally(records.filter(r => !r.idempotent), DEADLINE_MS, SLACK_MS),
      killedAtMs,
      inFlightAtKill
    }
  } finally {
    await fleet.destroy()
  }
}

export interface PartitionFigures {
  sideA: Tally
  sideB: Tally
  /** From the cut until each side listed only itself. */
  dropMs: number
  /** From the heal until every node listed all others again. */
  healMs: number
}

/**
 * 6 nodes split 3+3 for `holdMs` under load entering on one node of each side, then healed. The
 * view checks are conditions polled every 100 ms with generous bounds; the tests assert the times.
 */
export async function partitionCase (holdMs: number, boundMs = 30_000): Promise<PartitionFigures> {
  const serviceMs = 100
  const fleet = await chaosFleet(6, 2, 2)
  try {
    const a = fleet.nodes.slice(0, 3)
    const b = fleet.nodes.slice(3)
    const durationMs = holdMs + 4000
    let dropMs = NaN
    let healMs = NaN
    fleet.lan.preparePartition(b.map(node => node.host))
    const faults = async (): Promise<void> => {
      await sleep(2000)
      fleet.lan.partition(b.map(node => node.host))
      const cut = performance.now()
      await until('each side alone', async () => await viewsAre(fleet, a, a) && await viewsAre(fleet, b, b), boundMs)
      dropMs = performance.now() - cut
      // The scenario: the split lasts holdMs whatever the views do.
      await sleep(Math.max(0, holdMs - (performance.now() - cut)))
      fleet.lan.heal()
      const healed = performance.now()
      await until('whole again', async () => await viewsAre(fleet, fleet.nodes, fleet.nodes), boundMs)
      healMs = performance.now() - healed
    }
    const load = async (origin: FleetNode): Promise<CallRecord[]> => await openLoad({
      lan: fleet.lan, origins: [origin.url], fn: FN, ratePerSec: 15, durationMs, serviceMs, clientTimeoutMs: DEADLINE_MS + 5000
    })
    const [ra, rb] = await Promise.all([load(a[0]!), load(b[0]!), faults()])
    return { sideA: tally(ra, DEADLINE_MS, SLACK_MS), sideB: tally(rb, DEADLINE_MS, SLACK_MS), dropMs, healMs }
  } finally {
    await fleet.destroy()
  }
}

export interface BadLinksFigures {
  all: Tally
  /** Calls run by a host with loss, and by a host with delay. */
  onLossy: number
  onDelayed: number
}

/**
 * 5 nodes: hosts 2 and 3 lose ~2 % of packets each way, hosts 4 and 5 have 50 ± 10 ms on every
 * P2P and HTTP connection (both directions, the relay in chaos.ts). Node 1 is offered 4x its
 * capacity: more than it and the lossy hosts can take, so the delayed hosts get calls too.
 */
export async function badLinksCase (durationMs: number): Promise<BadLinksFigures> {
  const serviceMs = 200
  const slots = 2
  // The faults go in before the nodes start, so every connection the mesh makes crosses them.
  const fleet = await chaosFleet(5, slots, 2, async lan => {
    for (const host of lan.hosts.slice(1, 3)) addLoss(host, 0.02)
    await addDelay(lan.hosts, lan.hosts.slice(3), { ms: 50, jitterMs: 10 })
  })
  try {
    const records = await openLoad({
      lan: fleet.lan, origins: [fleet.nodes[0]!.url], fn: FN, ratePerSec: 4 * slots * 1000 / serviceMs, durationMs, serviceMs, clientTimeoutMs: DEADLINE_MS + 5000
    })
    const executor = (r: CallRecord): string | undefined => r.path?.at(-1)
    const ids = (nodes: FleetNode[]): Set<string> => new Set(nodes.map(node => node.peerId))
    const lossy = ids(fleet.nodes.slice(1, 3))
    const delayed = ids(fleet.nodes.slice(3))
    return {
      all: tally(records, DEADLINE_MS, SLACK_MS),
      onLossy: records.filter(r => lossy.has(executor(r) ?? '')).length,
      onDelayed: records.filter(r => delayed.has(executor(r) ?? '')).length
    }
  } finally {
    await fleet.destroy()
  }
}
