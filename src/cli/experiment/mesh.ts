import { LABELS } from '../../functions/types.js'
import type { Target } from '../bench/runner.js'
import type { ExperimentSpec, NodeSpec, PolicyChoice } from './spec.js'

/**
 * The nodes an experiment runs on, behind one interface whether the CLI started them (a local mesh
 * of node processes) or found them (--url, --peer): the calls' targets, and the few controls a run
 * needs between phases.
 */
export interface ExperimentNode {
  index: number
  peerId: string
  /** Its HTTP API, when known. */
  url?: string
  /** Its process, when this CLI started it. */
  pid?: number
}

export interface ExperimentMesh {
  readonly mode: 'local' | 'url' | 'peer'
  readonly nodes: readonly ExperimentNode[]
  /** One per node, in the spec's order. */
  readonly targets: readonly Target[]
  /** Puts the emulated function on every node, each with its own slots, queue and speed. */
  deploy: (spec: ExperimentSpec, signal: AbortSignal) => Promise<void>
  /** Waits until every node sees the function on every other node. */
  waitReady: (fn: string, signal: AbortSignal) => Promise<void>
  /** Sets the policy on every node (a fresh instance: its state starts over). */
  setPolicy: (policy: PolicyChoice, signal: AbortSignal) => Promise<void>
  /**
   * Waits until nothing runs or waits anywhere (each node's own count), then a few heartbeats for
   * every node's view of the others to say so. A view still showing a peer busy after that is
   * returned as a warning rather than waited on: a view corrects itself only on the peer's next
   * load change, which an idle mesh never makes (a hand-off counted against a peer that refused
   * it, for one, stays counted until then).
   */
  waitIdle: (signal: AbortSignal) => Promise<string | undefined>
  /** The policy each node says it runs (its label). */
  policiesInForce: () => Promise<string[]>
  /** Each node's CPU seconds so far (null where it cannot be read). */
  cpuSeconds: () => Promise<Array<number | null>>
  /** Stops what this CLI started, and closes connections. */
  close: () => Promise<void>
  /** Last resort on a second Ctrl-C: kills what this CLI started, at once, synchronously. */
  killNow: () => void
}

/**
 * The deploy body of the experiment's function on one node: an emulated function, no container.
 * The task types' deadlines go with it (`p2pfaas.task-deadlines`, a type without one taking the
 * calls' timeout), so a policy that learns from deadlines (learning) is rewarded for the ones the
 * experiment measures against.
 */
export function functionBody (spec: ExperimentSpec, node: NodeSpec): { service: string, labels: Record<string, string> } {
  const deadlines: Record<string, string> = spec.tasks.some(t => t.deadlineMs != null)
    ? { [LABELS.taskDeadlines]: spec.tasks.map(t => `${Math.max(1, Math.round(t.deadlineMs ?? spec.timeoutMs))}ms`).join(',') }
    : {}
  return {
    service: spec.function,
    labels: {
      ...deadlines,
      [LABELS.runtime]: 'emulated',
      // Each call says its own work (?ms=); this is only what a call without it would take.
      [LABELS.serviceTime]: `exp:${Math.max(1, Math.round(spec.meanServiceMs))}ms`,
      [LABELS.concurrency]: String(node.slots),
      [LABELS.queue]: String(node.queue),
      [LABELS.speed]: String(node.speed),
      [LABELS.timeout]: `${spec.timeoutMs}ms`
    }
  }
}

/** Own loads are the truth and are waited on long; views get this long to agree with them. */
export const IDLE_MS = 120_000
export const VIEW_SETTLE_MS = 5000

/** Waits for every node's own load to be zero, then (briefly) for the views; returns what stayed stale. */
export async function waitIdleAndViews (ownBusy: () => Promise<string[]>, staleViews: () => Promise<string[]>, signal: AbortSignal): Promise<string | undefined> {
  await pollUntil('every node idle', async () => { const busy = await ownBusy(); return busy.length === 0 || busy.join('; ') }, IDLE_MS, signal)
  let stale: string[] = []
  try {
    await pollUntil('every view of the others idle', async () => { stale = await staleViews(); return stale.length === 0 }, VIEW_SETTLE_MS, signal)
    return undefined
  } catch (err) {
    signal.throwIfAborted()
    return stale.length > 0 ? stale.join('; ') : (err as Error).message
  }
}

const sleep = async (ms: number, signal: AbortSignal): Promise<void> => {
  await new Promise<void>(resolve => {
    const timer = setTimeout(done, ms)
    function done (): void { clearTimeout(timer); signal.removeEventListener('abort', done); resolve() }
    signal.addEventListener('abort', done, { once: true })
  })
}

/**
 * Polls `check` until it holds (true), the signal aborts (throws its reason) or `timeoutMs` passes
 * (throws, saying what was awaited and what the last look found: a string from `check` says it).
 */
export async function pollUntil (what: string, check: () => Promise<boolean | string>, timeoutMs: number, signal: AbortSignal, everyMs = 50): Promise<void> {
  const deadline = performance.now() + timeoutMs
  let last = ''
  for (;;) {
    signal.throwIfAborted()
    const seen = await check().catch((err: Error) => err.message)
    if (seen === true) return
    if (typeof seen === 'string') last = seen
    if (performance.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last !== '' ? ` (last seen: ${last})` : ''}`)
    await sleep(everyMs, signal)
  }
}
