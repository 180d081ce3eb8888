import { afterProbe, decideTraced } from '../../src/scheduler/rules.js'
import { seededRng } from '../../src/scheduler/seeded.js'
import type { Candidate, Decision, LocalLoad, Policy, Rng, TypeLoad } from '../../src/scheduler/types.js'

/**
 * A small discrete-event world for a scheduling policy, in virtual time (no clock, no timers): this
 * node ("SELF") and one peer ("PEER"), each with slots and a FIFO queue for one function; calls
 * arrive here as a Poisson stream, each of a task type with its own deadline; the peer has its own
 * Poisson background load. The policy is driven exactly as the node drives it: through the shared
 * rules (decideTraced, afterProbe), with the peer's current load as the candidate's, and told each
 * call's outcome (observe) when its answer would be back, so outcomes come late and out of order.
 * A hand-off costs `netMs` there and back; a refused one comes back and runs here (ifRefused local).
 * Arrivals come from the seed alone, so two policies run on the same seed see the same calls.
 */
export interface World {
  arrivalsPerS: number
  backgroundPerS: number
  serviceMs: number
  netMs: number
  /** Deadline per task type; a call's type is drawn with `typeShares`. */
  deadlinesMs: number[]
  typeShares: number[]
  here: { capacity: number, queue: number }
  peer: { capacity: number, queue: number }
}

export interface Result {
  calls: number
  withinDeadline: number
  /** withinDeadline / calls. */
  rate: number
  /** Per task type: calls, those within their deadline, those that ran on the peer. */
  perType: Array<{ calls: number, within: number, onPeer: number }>
}

interface Job { callId: string, type: number, arrived: number, done: (finishedAt: number, ok: boolean) => void }

class Station {
  readonly running: Job[] = []
  readonly queue: Job[] = []
  constructor (readonly capacity: number, readonly queueCapacity: number) {}
  /** True when the job got a slot or a place in the queue. */
  admit (job: Job, now: number, start: (job: Job, now: number) => void): boolean {
    if (this.running.length < this.capacity) { this.running.push(job); start(job, now); return true }
    if (this.queue.length < this.queueCapacity) { this.queue.push(job); return true }
    return false
  }

  finish (job: Job, now: number, start: (job: Job, now: number) => void): void {
    this.running.splice(this.running.indexOf(job), 1)
    const next = this.queue.shift()
    if (next !== undefined) { this.running.push(next); start(next, now) }
  }

  load (): { running: number, queued: number, capacity: number } {
    return { running: this.running.length, queued: this.queue.length, capacity: this.capacity }
  }
}

/** Events by time, then by order of scheduling: a binary heap. */
class Events {
  private readonly heap: Array<{ t: number, n: number, run: () => void }> = []
  private n = 0
  at (t: number, run: () => void): void {
    const h = this.heap
    h.push({ t, n: this.n++, run })
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1
      if (!this.before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!]
      i = p
    }
  }

  next (): { t: number, run: () => void } | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (top === undefined || last === undefined) return undefined
    if (h.length > 0) {
      h[0] = last
      for (let i = 0; ;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && this.before(h[l]!, h[m]!)) m = l
        if (r < h.length && this.before(h[r]!, h[m]!)) m = r
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!]
        i = m
      }
    }
    return top
  }

  private before (a: { t: number, n: number }, b: { t: number, n: number }): boolean {
    return a.t < b.t || (a.t === b.t && a.n < b.n)
  }
}

const exponential = (rng: Rng, meanMs: number): number => -Math.log(1 - rng()) * meanMs

function pickType (shares: number[], rng: Rng): number {
  let u = rng()
  for (let i = 0; i < shares.length; i++) { u -= shares[i]!; if (u < 0) return i }
  return shares.length - 1
}

/** Runs `calls` calls of `world` through `policy`; the seed fixes the arrivals, `policyRng` its choices. */
export function simulate (policy: Policy, world: World, calls: number, seed: number, policyRng: Rng = seededRng(seed + 1_000_003)): Result {
  const env = seededRng(seed)
  const events = new Events()
  const here = new Station(world.here.capacity, world.here.queue)
  const peer = new Station(world.peer.capacity, world.peer.queue)
  const result: Result = { calls: 0, withinDeadline: 0, rate: 0, perType: world.deadlinesMs.map(() => ({ calls: 0, within: 0, onPeer: 0 })) }
  const startAt = (station: Station) => (job: Job, now: number): void => {
    events.at(now + world.serviceMs, () => { station.finish(job, now + world.serviceMs, startAt(station)); job.done(now + world.serviceMs, true) })
  }

  const typeLoad = (): TypeLoad[] => world.deadlinesMs.map((_, taskType) => ({
    taskType,
    running: here.running.filter(j => j.type === taskType).length,
    queued: here.queue.filter(j => j.type === taskType).length
  }))
  const localLoad = (): LocalLoad => ({ ...here.load(), queueCapacity: here.queueCapacity })
  const candidates = (): Candidate[] => [{ peerId: 'PEER', ...peer.load(), ageMs: 0 }]

  const finish = (job: Job, t: number, ok: boolean, action: 'local' | 'forward' | 'reject', onPeer = false): void => {
    const totalMs = t - job.arrived
    const deadlineMs = world.deadlinesMs[job.type]!
    const within = ok && totalMs <= deadlineMs
    result.calls++
    result.perType[job.type]!.calls++
    if (within) { result.withinDeadline++; result.perType[job.type]!.within++ }
    if (onPeer) result.perType[job.type]!.onPeer++
    policy.observe?.({ function: 'fn', callId: job.callId, taskType: job.type, deadlineMs, hops: 0, action, byPolicy: true, ok, status: ok ? 200 : 429, totalMs, probes: 0 })
  }

  const runHere = (job: Job, now: number, action: 'local' | 'forward'): void => {
    job.done = (t, ok) => { finish(job, t, ok, action) }
    if (!here.admit(job, now, startAt(here))) finish(job, now, false, action)
  }

  const forward = (job: Job, now: number): void => {
    const half = world.netMs / 2
    events.at(now + half, () => {
      const there: Job = { ...job, done: t => { events.at(t + half, () => { finish(job, t + half, true, 'forward', true) }) } }
      // Refused there: the answer comes back and the call runs here after all.
      if (!peer.admit(there, now + half, startAt(peer))) events.at(now + world.netMs, () => { runHere(job, now + world.netMs, 'forward') })
    })
  }

  const act = (job: Job, d: Decision, now: number): void => {
    if (d.action === 'reject') finish(job, now, false, 'reject')
    else if (d.action === 'local') runHere(job, now, 'local')
    else if (d.action === 'forward') forward(job, now)
    else {
      // A probe: the peer's load as it is now, the answer back one round trip later.
      const answer = [{ peerId: 'PEER', load: peer.load() }]
      events.at(now + world.netMs, () => { act(job, afterProbe(policy, request(job), localLoad(), answer, policyRng), now + world.netMs) })
    }
  }

  const request = (job: Job): Parameters<Policy['decide']>[0] =>
    ({ function: 'fn', self: 'SELF', hops: 0, path: [], bypass: false, forceForward: false, callId: job.callId, taskType: job.type, deadlineMs: world.deadlinesMs[job.type], typeLoad: typeLoad() })

  const schedule = (t: number, run: (t: number) => void): void => { events.at(t, () => { run(t) }) }
  let arrivals = 0
  const arrive = (now: number): void => {
    const job: Job = { callId: `c${arrivals}`, type: pickType(world.typeShares, env), arrived: now, done: () => {} }
    act(job, decideTraced(policy, request(job), localLoad(), candidates(), policyRng).decision, now)
    if (++arrivals < calls) schedule(now + exponential(env, 1000 / world.arrivalsPerS), arrive)
  }
  const background = (now: number): void => {
    const job: Job = { callId: 'bg', type: 0, arrived: now, done: () => {} }
    peer.admit(job, now, startAt(peer))
    if (arrivals < calls) schedule(now + exponential(env, 1000 / world.backgroundPerS), background)
  }
  schedule(0, arrive)
  if (world.backgroundPerS > 0) schedule(0, background)
  for (let e = events.next(); e !== undefined; e = events.next()) e.run()
  result.rate = result.calls > 0 ? result.withinDeadline / result.calls : 0
  return result
}
