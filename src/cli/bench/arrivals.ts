import { seededRng } from '../../scheduler/seeded.js'

/** What one call carries beyond its body: extra request headers, a query string (without `?`). */
export interface CallOptions {
  headers?: Record<string, string>
  query?: string
}

/** One planned call: when (ms after the schedule starts), to which target, with which payload. */
export interface Arrival {
  atMs: number
  target: number
  payload: number
  /** Set by a caller that varies calls (the experiment's task types); the bench sends none. */
  options?: CallOptions
}

export interface ScheduleInit {
  /** Calls per second, one per target (index = target). */
  rates: readonly number[]
  durationMs: number
  seed: number
  /** How many payloads to choose from (at least 1). */
  payloads: number
}

/**
 * Each target's own stream: mixing the target's index into the seed (rather than drawing every
 * target from one stream) keeps target 0's arrivals the same when a target is added or its rate
 * changes, so runs that differ in one node stay comparable.
 */
const streamSeed = (seed: number, index: number): number => (Math.imul(seed >>> 0, 0x9E3779B1) + Math.imul(index + 1, 0x85EBCA77)) >>> 0

/**
 * Independent Poisson processes, one per target (exponential gaps at each target's rate), merged in
 * time order, each arrival with a payload drawn from its own seeded stream. The same init gives the
 * same schedule, to the bit: the arrival clock of an experiment can be replayed exactly.
 */
export function poissonSchedule (init: ScheduleInit): Arrival[] {
  const out: Arrival[] = []
  init.rates.forEach((rate, target) => {
    if (!(rate > 0)) return
    const rng = seededRng(streamSeed(init.seed, target))
    const meanGapMs = 1000 / rate
    // 1 - u is in (0, 1], so the log is finite.
    for (let t = -Math.log(1 - rng()) * meanGapMs; t < init.durationMs; t += -Math.log(1 - rng()) * meanGapMs) {
      out.push({ atMs: t, target, payload: 0 })
    }
  })
  out.sort((a, b) => a.atMs - b.atMs || a.target - b.target)
  if (init.payloads > 1) {
    const pick = seededRng(streamSeed(init.seed, -2))
    for (const a of out) a.payload = Math.floor(pick() * init.payloads)
  }
  return out
}

/** What a test or a user can expect: the mean count and its standard deviation (Poisson: sqrt of the mean). */
export function expectedCount (rates: readonly number[], durationMs: number): { mean: number, sd: number } {
  const mean = rates.reduce((sum, r) => sum + r, 0) * durationMs / 1000
  return { mean, sd: Math.sqrt(mean) }
}
