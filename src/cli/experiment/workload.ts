import { seededRng } from '../../scheduler/seeded.js'
import { poissonSchedule, type Arrival } from '../bench/arrivals.js'
import { offeredRates, type ExperimentSpec, type ServiceTime, type TaskType } from './spec.js'

// The offered rates are the spec's own arithmetic (spec.ts checks a spec with them); callers find them here too.
export { offeredRates }

/**
 * What one run sends: each node's Poisson arrivals (the bench's own generator), and for each call
 * a task type drawn from the mix and the work it takes, drawn here rather than at the node. So the
 * runs of one repetition and one load give every policy the very same calls, the same work
 * included (common random numbers: the policies' differences are not noise of the draws).
 */

/** The header the original's LearningScheduler reads: the call's task type, 0-based. */
export const TASK_TYPE_HEADER = 'x-p2pfaas-scheduler-learning-task-type'

/** An arrival with what the experiment needs to record about it. */
export interface ExperimentArrival extends Arrival {
  task: number
  /** Work at nominal speed, ms: the executing node divides it by its speed. */
  workMs: number
}

/** The mesh's offered load: the work offered per second over the work its slots can do per second. */
export function meshRho (spec: ExperimentSpec, rates: readonly number[]): number {
  const capacity = spec.nodes.reduce((s, n) => s + n.slots * n.speed, 0)
  return rates.reduce((s, r) => s + r, 0) * spec.meanServiceMs / 1000 / capacity
}

/** The loads a run is made at: the sweep's ρ values, or one point for fixed rates (null). */
export const loadPoints = (spec: ExperimentSpec): Array<number | null> => spec.load.kind === 'rho' ? spec.load.values : [null]

/** ρ on the x axis: the swept value, or the mesh's offered load for fixed rates. */
export const rhoOf = (spec: ExperimentSpec, rho: number | null): number => rho ?? meshRho(spec, offeredRates(spec, null))

const mix = (a: number, b: number): number => (Math.imul(a >>> 0, 0x9E3779B1) ^ Math.imul(b + 0x7F4A7C15, 0x85EBCA77)) >>> 0

/** The seed of one (repetition, load point): shared by every policy, different for each rep. */
export const runSeed = (seed: number, rep: number, point: number): number => mix(mix(seed, rep), point)

/** The seed of node i's own scheduler and runtime (its --seed). */
export const nodeSeed = (seed: number, node: number): number => mix(seed ^ 0x5bd1e995, node)

/** One draw of a service time, ms, at nominal speed. */
export function drawService (s: ServiceTime, rng: () => number): number {
  switch (s.distribution) {
    case 'exponential': return -s.meanMs * Math.log(1 - rng())
    case 'deterministic': return s.meanMs
    case 'uniform': return s.minMs + (s.maxMs - s.minMs) * rng()
    case 'lognormal': {
      const sigma2 = Math.log(1 + s.cv * s.cv)
      // Box-Muller; 1 - u is in (0, 1], so the log is finite.
      const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())
      return Math.exp(Math.log(s.meanMs) - sigma2 / 2 + Math.sqrt(sigma2) * z)
    }
  }
}

function pickTask (tasks: readonly TaskType[], u: number): TaskType {
  let acc = 0
  for (const t of tasks) { acc += t.share; if (u < acc) return t }
  return tasks[tasks.length - 1]!
}

/** The emulated runtime reads ?ms= with up to 7 digits before the point and 6 after. */
const MAX_WORK_MS = 9_999_999

/** Every call of one run (warm-up included), in time order, each with its task type and work. */
export function buildArrivals (spec: ExperimentSpec, rates: readonly number[], seed: number): ExperimentArrival[] {
  const schedule = poissonSchedule({ rates, durationMs: spec.warmupMs + spec.durationMs, seed, payloads: 1 })
  const types = seededRng(mix(seed, 0x7a5c))
  const work = seededRng(mix(seed, 0x3e11))
  return schedule.map(a => {
    const task = pickTask(spec.tasks, types())
    const workMs = Math.min(MAX_WORK_MS, Math.max(0.001, drawService(task.service, work)))
    return {
      ...a,
      task: task.index,
      workMs,
      options: { headers: { [TASK_TYPE_HEADER]: String(task.index) }, query: `ms=${workMs.toFixed(3)}` }
    }
  })
}
