import { randomUUID } from 'node:crypto'
import type { RuntimeResponse } from '../runtime/types.js'

/**
 * A call as it moves through the mesh. Built in one place per entry: `newCall` for a call that
 * enters here (HTTP, the CLI, the bench), `decodeRequest` (wire.ts) for one a peer hands over.
 */
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

/** What a new call needs; the rest has the defaults of a plain `POST /` with no P2PFaaS headers. */
export interface NewCall {
  function: string
  /** performance.now() time by which the answer must be back. */
  deadline: number
  /** Default: a fresh UUID. */
  callId?: string
  method?: string
  path?: string
  query?: string
  headers?: Record<string, string>
  body?: Uint8Array
  idempotent?: boolean
  bypass?: boolean
  forceForward?: boolean
}

/** A call entering the mesh at its first node: no hops yet, nobody visited. */
export function newCall (init: NewCall): Call {
  return {
    callId: init.callId ?? randomUUID(),
    function: init.function,
    method: init.method ?? 'POST',
    path: init.path ?? '/',
    query: init.query ?? '',
    headers: init.headers ?? {},
    body: init.body ?? new Uint8Array(),
    hops: 0,
    visited: [],
    deadline: init.deadline,
    idempotent: init.idempotent ?? false,
    bypass: init.bypass ?? false,
    forceForward: init.forceForward ?? false
  }
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
