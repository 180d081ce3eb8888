import type { Agent } from './agent.js'

/**
 * SARSA learns from (S, A, R, S', A'), but a node learns a call's reward only when the call ends,
 * long after later calls were decided, and calls end in any order. The choice made here:
 *
 * The agent's time steps are this node's decisions, in the order they were made. The transition of
 * decision t is (S_t, A_t, R_t, S_t+1, A_t+1): its successor is the next decision the node made,
 * whatever call that was for. Each decision is kept, by its call id, until its reward is known; the
 * update is applied as soon as both its reward and its successor are known: at the outcome when the
 * next decision was already made (the usual case under load), or at the next decision when the
 * outcome came first. So every transition is SARSA's own, only applied late and out of order (the
 * Q(S', A') read may already reflect later updates). Treating each call as a one-step episode would
 * drop the bootstrap term, and with it the cost a decision leaves to the calls after it (a slot
 * taken, a queue grown), which is what an average-reward agent is for.
 *
 * Memory is bounded: the last `maxPending` decisions are kept; a decision whose reward has not come
 * by the time it falls out (a call that never ended, or was decided by another policy's instance)
 * is dropped and counted, as is a reward whose successor fell out before it came.
 */
export interface Transitions {
  /** A decision the agent made for a call; what its outcome will be matched with. */
  decided(callId: string, state: string, action: number): void
  /** The call's reward; false when no decision of this instance is kept for it. */
  rewarded(callId: string, reward: number): boolean
  /** The state a kept decision was made in (for afterProbe's fallback). */
  stateOf(callId: string): string | undefined
  /** Drops a kept decision without learning from it (a shared rule overrode it). */
  forget(callId: string): void
  /** Drops everything kept, uncounted (the table was reset: these were decided from it). */
  clear(): void
  readonly pending: number
  /** Decisions dropped before their reward came, or rewards whose successor was gone. */
  readonly dropped: number
  /** Rewards for calls this instance has no decision for. */
  readonly unmatched: number
}

interface Step { state: string, action: number, callId: string, rewarded: boolean }

export function createTransitions (agent: Pick<Agent, 'update'>, maxPending: number): Transitions {
  /** The last decisions by sequence number, oldest first (a Map keeps insertion order). */
  const steps = new Map<number, Step>()
  /** Decisions whose reward has not come, by call id. */
  const pending = new Map<string, number>()
  /** The latest decision's reward when it came before any later decision: awaits its successor. */
  let waiting: { seq: number, reward: number } | undefined
  let last = 0
  let dropped = 0
  let unmatched = 0

  const apply = (seq: number, reward: number): void => {
    const step = steps.get(seq)
    const next = steps.get(seq + 1)
    if (step === undefined) { dropped++; return }
    step.rewarded = true
    if (next !== undefined) agent.update(step.state, step.action, reward, next.state, next.action)
    else if (seq === last) waiting = { seq, reward }
    else dropped++
  }

  return {
    decided (callId, state, action) {
      const seq = ++last
      steps.set(seq, { state, action, callId, rewarded: false })
      pending.set(callId, seq)
      dropped += dropOldest(steps, pending, maxPending)
      if (waiting !== undefined && waiting.seq === seq - 1) {
        const { seq: before, reward } = waiting
        waiting = undefined
        apply(before, reward)
      }
    },
    rewarded (callId, reward) {
      const seq = pending.get(callId)
      if (seq === undefined) { unmatched++; return false }
      pending.delete(callId)
      apply(seq, reward)
      return true
    },
    stateOf (callId) {
      const seq = pending.get(callId)
      return seq === undefined ? undefined : steps.get(seq)?.state
    },
    forget (callId) {
      const seq = pending.get(callId)
      if (seq === undefined) return
      pending.delete(callId)
      const step = steps.get(seq)
      if (step !== undefined) step.rewarded = true
    },
    clear () {
      steps.clear()
      pending.clear()
      waiting = undefined
    },
    get pending () { return pending.size },
    get dropped () { return dropped },
    get unmatched () { return unmatched }
  }
}

/** Keeps the last `max` steps; returns how many of those let go were still waiting for their reward. */
function dropOldest (steps: Map<number, Step>, pending: Map<string, number>, max: number): number {
  let dropped = 0
  while (steps.size > max) {
    const [seq, oldest] = steps.entries().next().value as [number, Step]
    steps.delete(seq)
    if (!oldest.rewarded && pending.get(oldest.callId) === seq) {
      pending.delete(oldest.callId)
      dropped++
    }
  }
  return dropped
}
