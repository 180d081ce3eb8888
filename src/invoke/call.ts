import type { RuntimeResponse } from '../runtime/types.js'

export const INVOKE_PROTOCOL = '/p2pfaas/invoke/1.0.0'
export const PROBE_PROTOCOL = '/p2pfaas/load/1.0.0'

/** A call as it moves through the mesh; built in one place per entry (HTTP, stream), never by hand elsewhere. */
export interface Call {
  callId: string
  function: string
  method: string
  path: string
  query: string
  /** Lower-case names, hop-by-hop headers removed. */
  headers: Record<string, string>
  body: Uint8Array
  /** Hand-offs made to reach this node: 0 at the node the client called. */
  hops: number
  /** Peer ids visited before this node, origin first. */
  visited: string[]
  /** performance.now() time by which the answer must be back. */
  deadline: number
  idempotent: boolean
  bypass: boolean
  forceForward: boolean
}

/** One node's part in a call. */
export interface TraceEntry {
  peer: string
  decision: 'local' | 'forward' | 'reject'
  schedulingMs: number
  probingMs: number
  queueMs: number
  execMs: number
  totalMs: number
}

export interface CallOutcome {
  response: RuntimeResponse
  /** This node first, the executor last. */
  trace: TraceEntry[]
}
