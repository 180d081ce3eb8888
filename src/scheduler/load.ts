import type { SlotLoad } from '../rules.js'
import type { Candidate, Decision, LocalLoad } from './types.js'

/** The original's load: tasks here, running or waiting. */
export function totalLoad (l: SlotLoad): number {
  return l.running + l.queued
}

/**
 * Load per slot, so a node with 8 slots and 4 tasks counts as less loaded than one with 2 slots and
 * 2 tasks. A node with no slot cannot run anything: infinitely loaded.
 */
export function normalisedLoad (l: SlotLoad): number {
  return l.capacity > 0 ? totalLoad(l) / l.capacity : Number.POSITIVE_INFINITY
}

export function hasFreeSlot (l: SlotLoad): boolean {
  return l.running < l.capacity
}

/**
 * The outcome "run here". In loss mode (NoScheduler(true), PowerOfNScheduler(…, true, …)) a call
 * that finds no free slot is rejected rather than queued: a pure loss system, as in the papers'
 * Erlang-B experiments.
 */
export function runHere (local: LocalLoad, loss: boolean, reason: string): Decision {
  if (loss && !hasFreeSlot(local)) {
    return { action: 'reject', reason: `${reason}; no free slot here (${local.running}/${local.capacity} running) and loss mode rejects` }
  }
  return { action: 'local', reason }
}

/** Lower load first; the sort is stable, so equal loads keep the order they came in. */
export function byNormalisedLoad (a: Candidate, b: Candidate): number {
  const d = normalisedLoad(a) - normalisedLoad(b)
  return Number.isNaN(d) ? 0 : d
}

export function describeLoad (l: SlotLoad): string {
  return `${l.running}+${l.queued}/${l.capacity}`
}
