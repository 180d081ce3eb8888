import { TypedEventEmitter } from 'main-event'
import type { SlotLoad } from '../rules.js'

/** What one function looks like on one node right now. */
export interface FunctionLoad extends SlotLoad {
  name: string
}

/** A node's functions' loads added up. */
export type LoadTotals = SlotLoad

/** A node's load as it gossips it and as schedulers read it. */
export interface NodeLoad {
  functions: FunctionLoad[]
  totals: LoadTotals
}

export const EMPTY_LOAD: NodeLoad = Object.freeze({
  functions: [],
  totals: Object.freeze({ queued: 0, running: 0, capacity: 0 })
}) as NodeLoad

export interface LoadSourceEvents {
  change: CustomEvent<void>
}

/**
 * The owner of "my load" (the executor, from the next issue on). The mesh reads snapshots and
 * listens for changes; it never writes.
 */
export interface LoadSource extends TypedEventEmitter<LoadSourceEvents> {
  snapshot(): NodeLoad
}

/** A node that runs nothing yet: it gossips an empty load so peers still see it alive. */
export function createIdleLoadSource (): LoadSource {
  return Object.assign(new TypedEventEmitter<LoadSourceEvents>(), {
    snapshot: (): NodeLoad => EMPTY_LOAD
  })
}
