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
  /** Waits until nothing runs or waits anywhere, and every node's view of the others says so. */
  waitIdle: (signal: AbortSignal) => Promise<void>
  /** The policy each node says it runs (its label). */
  policiesInForce: () => Promise<string[]>
  /** Each node's CPU seconds so far (null where it cannot be read). */
  cpuSeconds: () => Promise<Array<number | null>>
  /** Stops what this CLI started, and closes connections. */
  close: () => Promise<void>
  /** Last resort on a second Ctrl-C: kills what this CLI started, at once, synchronously. */
  killNow: () => void
}

/** The deploy body of the experiment's function on one node: an emulated function, no container. */
export function functionBody (spec: ExperimentSpec, node: NodeSpec): { service: string, labels: Record<string, string> } {
  return {
    service: spec.function,
    labels: {
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

const sleep = async (ms: number, signal: AbortSignal): Promise<void> => {
  await new Promise<void>(resolve => {
    const timer = setTimeout(done, ms)
    function done (): void { clearTimeout(timer); signal.removeEventListener('abort', done); resolve() }
    signal.addEventListener('abort', done, { once: true })
  })
}

/** Polls `check` until it holds, the signal aborts (throws its reason) or `timeoutMs` passes (throws, saying what). */
export async function pollUntil (what: string, check: () => Promise<boolean>, timeoutMs: number, signal: AbortSignal, everyMs = 50): Promise<void> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    signal.throwIfAborted()
    if (await check().catch(() => false)) return
    if (performance.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`)
    await sleep(everyMs, signal)
  }
}
