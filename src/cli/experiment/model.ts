import type { ExperimentSpec } from './spec.js'
import { offeredRates } from './workload.js'

/**
 * The queueing models an experiment is read against (the papers' method): each node alone as an
 * M/M/c/K (no cooperation), and the whole mesh as one pooled M/M/(N·c)/(N·(c+q)) (the ideal no
 * decentralised policy can beat). With no queue (K = c) blocking is Erlang B, which holds for any
 * service-time distribution; with a queue the formulas assume exponential service times.
 */

/** Erlang B: blocking of c servers offered `a` Erlangs, by the stable recurrence B(n) = a·B(n-1) / (n + a·B(n-1)). */
export function erlangB (servers: number, erlangs: number): number {
  let b = 1
  for (let n = 1; n <= servers; n++) b = erlangs * b / (n + erlangs * b)
  return b
}

export interface MmckResult {
  /** P(an arrival finds the system full). */
  blocking: number
  /** Mean calls in the system. */
  meanInSystem: number
}

/**
 * M/M/c/K with `a` = λ·E[S] Erlangs: p_n ∝ a^n/n! up to c, then times (a/c) per extra place up to K.
 * Terms are rescaled as they grow, so thousands of servers at high load stay finite.
 */
export function mmck (servers: number, capacity: number, erlangs: number): MmckResult {
  if (capacity < servers) throw new RangeError(`capacity ${capacity} is below the ${servers} servers`)
  let term = 1
  let sum = 1
  let weighted = 0
  for (let n = 1; n <= capacity; n++) {
    term *= erlangs / Math.min(n, servers)
    sum += term
    weighted += n * term
    if (sum > 1e250) { term /= sum; weighted /= sum; sum = 1 }
  }
  return { blocking: term / sum, meanInSystem: weighted / sum }
}

/** Mean response of the accepted calls, by Little's law: L / (λ (1 - P_K)), with λ = a / E[S]. */
export function mmckMeanResponse (servers: number, capacity: number, erlangs: number, meanServiceMs: number): number {
  if (erlangs <= 0) return meanServiceMs
  const { blocking, meanInSystem } = mmck(servers, capacity, erlangs)
  return meanInSystem * meanServiceMs / (erlangs * (1 - blocking))
}

/**
 * The pooled loss system (`servers` slots, no queue, exponential service) simulated on one given
 * sequence of arrivals (ms, sorted), `replications` times: the share of arrivals from `countFromMs`
 * on that find every slot busy. Erlang B is the same system's blocking over an endless Poisson
 * stream; a finite run's own arrivals come above or below the nominal rate and in their own
 * bursts, and blocking moves steeply with both (at 24 slots and 16.5 Erlangs, 4 % more arrivals
 * raise it by a fifth). A policy run on these arrivals is best judged against the ideal on the
 * same arrivals.
 */
export function pooledLossOnArrivals (arrivalsMs: readonly number[], servers: number, meanServiceMs: number,
  opts: { rng: () => number, countFromMs?: number, replications?: number }): number {
  const countFrom = opts.countFromMs ?? 0
  const ends = new Float64Array(servers)
  let blocked = 0
  let counted = 0
  for (let r = 0; r < (opts.replications ?? 100); r++) {
    ends.fill(-Infinity)
    for (const t of arrivalsMs) {
      let free = -1
      for (let i = 0; i < servers; i++) if (ends[i]! <= t) { free = i; break }
      const counts = t >= countFrom
      if (counts) counted++
      if (free < 0) { if (counts) blocked++; continue }
      ends[free] = t - Math.log(1 - opts.rng()) * meanServiceMs
    }
  }
  return counted === 0 ? NaN : blocked / counted
}

export interface ModelPoint {
  rho: number
  /** Each node alone: the share of all calls blocked, and the mean response of the accepted ones. */
  localBlocking: number
  localMeanMs: number
  /** One pooled system of every slot and queue place. */
  pooledBlocking: number
  pooledMeanMs: number
}

/**
 * Both models at one load point, from the spec's nodes (slots, queue, speed) and the rates offered.
 * Pooled with unequal speeds: its servers are taken at the slot-weighted mean speed (exact when
 * every node has the same speed).
 */
export function modelAt (spec: ExperimentSpec, rates: readonly number[], rho: number): ModelPoint {
  const meanS = spec.meanServiceMs
  const total = rates.reduce((s, r) => s + r, 0)
  let blocked = 0
  let accepted = 0
  let responseSum = 0
  spec.nodes.forEach((n, i) => {
    const rate = rates[i] ?? 0
    const a = rate * meanS / n.speed / 1000
    const { blocking } = mmck(n.slots, n.slots + n.queue, a)
    blocked += rate * blocking
    accepted += rate * (1 - blocking)
    responseSum += rate * (1 - blocking) * mmckMeanResponse(n.slots, n.slots + n.queue, a, meanS / n.speed)
  })
  const servers = spec.nodes.reduce((s, n) => s + n.slots, 0)
  const capacity = spec.nodes.reduce((s, n) => s + n.slots + n.queue, 0)
  const speed = spec.nodes.reduce((s, n) => s + n.slots * n.speed, 0) / servers
  const pooledA = total * meanS / speed / 1000
  return {
    rho,
    localBlocking: total > 0 ? blocked / total : 0,
    localMeanMs: accepted > 0 ? responseSum / accepted : meanS,
    pooledBlocking: mmck(servers, capacity, pooledA).blocking,
    pooledMeanMs: mmckMeanResponse(servers, capacity, pooledA, meanS / speed)
  }
}

/**
 * The model curves for figure 1 and 2: for a ρ sweep, a fine grid from 0 to a little past the
 * largest ρ (smooth lines); for fixed rates, the one point the spec offers.
 */
export function modelCurve (spec: ExperimentSpec, points = 60): ModelPoint[] {
  if (spec.load.kind === 'rate') {
    const rates = offeredRates(spec, null)
    const capacity = spec.nodes.reduce((s, n) => s + n.slots * n.speed, 0)
    return [modelAt(spec, rates, rates.reduce((s, r) => s + r, 0) * spec.meanServiceMs / 1000 / capacity)]
  }
  const top = Math.max(...spec.load.values) * 1.1
  const grid = Array.from({ length: points + 1 }, (_, i) => top * i / points).filter(r => r > 0)
  const rhos = [...new Set([...grid, ...spec.load.values])].sort((a, b) => a - b)
  return rhos.map(rho => modelAt(spec, offeredRates(spec, rho), rho))
}
