/**
 * The invoke protocol's names, limits and defaults, in one place: the handler, the client, the
 * service and the gateway read them from here. Spec: protocols/invoke.md.
 */

/** One stream per call: a request frame, a verdict, a response. */
export const INVOKE_PROTOCOL = '/p2pfaas/invoke/1.0.0'
/** The threshold policy's load probe: one function's load, asked now. */
export const PROBE_PROTOCOL = '/p2pfaas/load/1.0.0'

/**
 * Calls in flight per connection, each way: far above libp2p's defaults (32 in, 64 out), which a
 * busy neighbour or a CLI's bench reaches at once (see the libp2p notes).
 */
export const MAX_CALL_STREAMS = 1024
/** A peer must send its request (or probe) frame within this (ms). */
export const READ_TIMEOUT_MS = 10_000
/** A probe and its answer are a function name and three counts. */
export const MAX_PROBE_FRAME_BYTES = 1024
/** Bytes around a body that a frame may add: headers, trace, ids. */
export const FRAME_OVERHEAD_BYTES = 256 * 1024
/** Hand-offs a request frame may record; a longer path is refused as malformed. */
export const MAX_HOPS_ON_WIRE = 16

/**
 * How long a call may take when nothing says otherwise: the deadline of a call whose function is
 * not deployed on the node it entered (a deployed function's own timeout applies otherwise).
 */
export const DEFAULT_CALL_TIMEOUT_MS = 60_000
