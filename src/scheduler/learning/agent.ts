import { pickOne } from '../sampling.js'
import type { Rng } from '../types.js'

/**
 * Tabular differential (average-reward) SARSA, Sutton & Barto (2nd ed.) §10.3, for a continuing
 * task: there is no episode end and no discount; values are measured against the average reward R̄.
 *
 *   δ  = R − R̄ + Q(S', A') − Q(S, A)
 *   R̄ ← R̄ + β δ
 *   Q(S, A) ← Q(S, A) + α δ
 *
 * Pure: no clock, no I/O, random choices from the rng given. States are short strings (see
 * state.ts), actions small integers; the table is sparse (a state gets a row the first time an
 * update writes it) and bounded by `maxStates`.
 */
export interface AgentSettings {
  /** Step size of Q, in [0, 1]. */
  alpha: number
  /** Step size of the average reward R̄, in [0, 1]. */
  beta: number
  /** Chance of choosing an action at random rather than greedily, in [0, 1]. */
  epsilon: number
  /** Actions per state: 0 .. actions-1. */
  actions: number
  /** States the table holds at most; a new state past that is read as all zeros and never written. */
  maxStates: number
}

/** What an update or a choice did, for the counters. */
export interface Choice {
  action: number
  /** True when ε sent it to a random action (which may happen to be the greedy one). */
  explored: boolean
}

/** The table as it is saved and restored: rows of Q by state, and R̄. */
export interface LearntValues {
  averageReward: number
  /** Updates applied since the table was new. */
  updates: number
  states: Record<string, number[]>
}

export interface Agent {
  readonly settings: Readonly<AgentSettings>
  /** Q(s, ·): zeros for a state never written. */
  values(state: string): readonly number[]
  /** ε-greedy among `valid` actions (not empty): ties between the best broken at random. */
  choose(state: string, valid: readonly number[], rng: Rng): Choice
  /** The best of `valid` in this state (ties: the first listed); no exploration. */
  greedy(state: string, valid: readonly number[]): number
  /** One differential SARSA step; returns δ. */
  update(s: string, a: number, reward: number, next: string, nextAction: number): number
  readonly averageReward: number
  /** States with a row. */
  readonly size: number
  readonly updates: number
  /** Updates whose state could not get a row (the table was full): R̄ still moved. */
  readonly tableFull: number
  exportValues(): LearntValues
  /** Replaces everything learnt; rows must have one value per action (the caller checked the shape). */
  importValues(values: LearntValues): void
  /** Forgets everything learnt: the table, R̄ and the update count. */
  reset(): void
}

export function createAgent (settings: AgentSettings): Agent {
  const table = new Map<string, number[]>()
  const zeros: readonly number[] = Object.freeze(Array.from({ length: settings.actions }, () => 0))
  let averageReward = 0
  let updates = 0
  let tableFull = 0

  const q = (s: string, a: number): number => table.get(s)?.[a] ?? 0
  /** The row to write; undefined when a new state would pass maxStates. */
  const row = (s: string): number[] | undefined => {
    let r = table.get(s)
    if (r === undefined && table.size < settings.maxStates) {
      r = [...zeros]
      table.set(s, r)
    }
    return r
  }
  const greedy = (s: string, valid: readonly number[]): number => {
    let best = valid[0] as number
    for (const a of valid) if (q(s, a) > q(s, best)) best = a
    return best
  }

  return {
    settings: Object.freeze({ ...settings }),
    values: s => table.get(s) ?? zeros,
    choose (s, valid, rng) {
      if (valid.length === 0) throw new Error('learning agent: no valid action to choose from')
      // rng() < 0 never holds and rng() < 1 always does: ε = 0 is greedy, ε = 1 always explores.
      if (rng() < settings.epsilon) return { action: pickOne(valid, rng), explored: true }
      const top = q(s, greedy(s, valid))
      return { action: pickOne(valid.filter(a => q(s, a) === top), rng), explored: false }
    },
    greedy,
    update (s, a, reward, next, nextAction) {
      const delta = reward - averageReward + q(next, nextAction) - q(s, a)
      averageReward += settings.beta * delta
      const r = row(s)
      if (r === undefined) tableFull++
      else r[a] = (r[a] ?? 0) + settings.alpha * delta
      updates++
      return delta
    },
    get averageReward () { return averageReward },
    get size () { return table.size },
    get updates () { return updates },
    get tableFull () { return tableFull },
    exportValues: () => ({ averageReward, updates, states: Object.fromEntries([...table].map(([s, r]) => [s, [...r]])) }),
    importValues (values) {
      table.clear()
      for (const [s, r] of Object.entries(values.states)) {
        if (table.size >= settings.maxStates) break
        table.set(s, [...r])
      }
      averageReward = values.averageReward
      updates = values.updates
    },
    reset () {
      table.clear()
      averageReward = 0
      updates = 0
    }
  }
}
