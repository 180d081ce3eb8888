import { learnerOf, type Learner, type LearningStats } from './policy.js'
import type { TableStore } from './table-store.js'
import type { Logger } from '../../log.js'
import type { Policy } from '../types.js'

/** Between the first update after a save and the next save: a few writes a minute however busy the node. */
export const DEFAULT_SAVE_DELAY_MS = 10_000

export interface LearningKeeperInit {
  store: TableStore
  log: Logger
  saveDelayMs?: number
}

/** Counts over every learning policy this node had since it started: what counters that only go up read. */
export interface LearningTotals {
  decisions: number
  explored: number
  rewards: number
  rewardSum: number
}

export interface LearningKeeper {
  /**
   * The policy about to be put in force: what the learning policy before it learnt is saved, and a
   * learning policy takes up the stored table. Await it before switching, so no call is decided
   * from an empty table that a stored one was about to fill.
   */
  adopt(policy: Policy): Promise<void>
  /** Forgets what was learnt, in the policy in force and on disk; the stats after, if one learns. */
  reset(): Promise<LearningStats | undefined>
  /** The learning policy in force, if it is one. */
  stats(): LearningStats | undefined
  totals(): LearningTotals
  /** Saves now, if anything was learnt since the last save. */
  flush(): Promise<void>
  start(): Promise<void>
  /** Saves what is unsaved and lets go of the policy. */
  stop(): Promise<void>
}

const TOTALS = ['decisions', 'explored', 'rewards', 'rewardSum'] as const

/**
 * The node's side of the learning policy: the I/O its pure instance cannot do. Saves are debounced
 * (the first update after a save schedules the next, `saveDelayMs` later) and made on every change
 * of policy and at stop; a table that cannot be read or written is logged, never fatal (learning
 * starts afresh, or the next save tries again). Every step runs in turn, so a save never races a
 * restore or a reset.
 */
export function createLearningKeeper (init: LearningKeeperInit): LearningKeeper {
  const { store } = init
  const log = init.log.child({ component: 'learning' })
  const saveDelayMs = init.saveDelayMs ?? DEFAULT_SAVE_DELAY_MS
  const retired: LearningTotals = { decisions: 0, explored: 0, rewards: 0, rewardSum: 0 }
  let current: { learner: Learner, unwatch: () => void } | undefined
  let dirty = false
  const inTurn = oneAtATime()

  const save = async (): Promise<void> => {
    if (current === undefined || !dirty) return
    dirty = false
    const table = current.learner.exportTable()
    try {
      await store.save(table)
      log.debug({ file: store.path, states: Object.keys(table.states).length }, 'learning table saved')
    } catch (err) {
      dirty = true
      log.warn({ file: store.path, err: (err as Error).message }, 'could not save the learning table; trying again at the next save')
    }
  }

  const later = debounced(saveDelayMs, () => { void inTurn(save) })
  const changed = (): void => {
    dirty = true
    later.schedule()
  }

  const letGo = async (): Promise<void> => {
    if (current === undefined) return
    current.unwatch()
    later.cancel()
    await save()
    const stats = current.learner.stats()
    for (const key of TOTALS) retired[key] += stats[key]
    current = undefined
    dirty = false
  }

  return {
    adopt: async policy => {
      await inTurn(async () => {
        const learner = learnerOf(policy)
        if (learner !== undefined && learner === current?.learner) return
        await letGo()
        if (learner === undefined) return
        await restoreInto(learner, store, log)
        current = { learner, unwatch: learner.watch(changed) }
      })
    },
    reset: async () => await inTurn(async () => {
      later.cancel()
      dirty = false
      current?.learner.reset()
      await store.remove()
      log.info({ file: store.path, inForce: current !== undefined }, 'learning reset: the table and the average reward start afresh')
      return current?.learner.stats()
    }),
    stats: () => current?.learner.stats(),
    totals: () => {
      const now = current?.learner.stats()
      const out = { ...retired }
      if (now !== undefined) for (const key of TOTALS) out[key] += now[key]
      return out
    },
    flush: async () => { await inTurn(save) },
    async start () {},
    stop: async () => { await inTurn(letGo) }
  }
}

/** Takes up the stored table, if there is one this learner can use; whatever happens, the node goes on. */
async function restoreInto (learner: Learner, store: TableStore, log: Logger): Promise<void> {
  try {
    const loaded = await store.load()
    if (loaded.kind === 'none') { log.info({ file: store.path }, 'no learning table stored: learning starts afresh'); return }
    if (loaded.kind === 'set-aside') {
      log.warn({ file: store.path, movedTo: loaded.movedTo, reason: loaded.reason }, 'the stored learning table is damaged: set aside, learning starts afresh')
      return
    }
    const mismatch = learner.importTable(loaded.table)
    if (mismatch === undefined) {
      log.info({ file: store.path, states: Object.keys(loaded.table.states).length, averageReward: loaded.table.averageReward }, 'learning table restored')
      return
    }
    const movedTo = await store.setAside('other-settings')
    log.warn({ file: store.path, movedTo, reason: mismatch }, 'the stored learning table was learnt with other settings: set aside, learning starts afresh')
  } catch (err) {
    log.warn({ file: store.path, err: (err as Error).message }, 'could not read the learning table: learning starts afresh')
  }
}

/** Runs async steps one after the other, in the order given, whatever each step's fate. */
function oneAtATime (): <T>(step: () => Promise<T>) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve()
  return async step => {
    const run = chain.then(step)
    chain = run.catch(() => {})
    return await run
  }
}

/** `run` once, `ms` after the first `schedule()` since it last ran; never holds the process open. */
function debounced (ms: number, run: () => void): { schedule(): void, cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined
  return {
    schedule () {
      timer ??= setTimeout(() => { timer = undefined; run() }, ms)
      timer.unref?.()
    },
    cancel () {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
    }
  }
}
