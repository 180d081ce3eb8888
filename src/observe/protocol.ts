import * as z from 'zod'

/**
 * /p2pfaas/observe/1.0.0: what a node's dashboard asks every connected peer once a second while
 * someone watches. Spec: protocols/observe.md. One request frame, one response frame, per stream.
 */
export const OBSERVE_PROTOCOL = '/p2pfaas/observe/1.0.0'
/** Two cursors and an optional secret (at most 1 KiB). */
export const MAX_REQUEST_BYTES = 8 * 1024
/** What the management protocol allowed the same answer when it travelled there. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024
/** Streams open at once per connection: one dashboard asks one at a time. */
export const MAX_STREAMS = 16
/** A peer must send its request within this (ms). */
export const READ_TIMEOUT_MS = 10_000

export const ObserveRequestSchema = z.object({
  /** The node's admin secret: lets a stranger read when the node's reads are private. */
  secret: z.string().min(1).max(1024).optional(),
  /** The last second the caller has (unix seconds): only later ones come back. */
  sinceT: z.number().int().min(0).optional(),
  /** The last call the caller has (the node's sequence): only later ones come back. */
  sinceSeq: z.number().int().min(0).optional()
}).strict()
export type ObserveRequest = z.infer<typeof ObserveRequestSchema>

/** Described once, as the schema a caller checks it with (below). */
export type ObserveResult = z.infer<typeof ObserveResultSchema>

export type ObserveResponse =
  | { ok: true, result: ObserveResult }
  /** Codes: BAD_REQUEST, UNAUTHORIZED, THROTTLED, INTERNAL. */
  | { ok: false, code: string, message: string }

/**
 * What a node answers is outside input to whoever asked (its dashboard shows it): checked field
 * by field, sizes bounded, before anyone uses it.
 */
const peerIdString = z.string().min(1).max(128)
const count = z.number().int().min(0).max(1e9)
const ms = z.number().min(0).max(1e9)

export const ObserveResultSchema = z.object({
  node: peerIdString,
  neighbours: z.array(peerIdString).max(1024),
  seconds: z.array(z.object({
    t: z.number().int().min(0),
    functions: z.array(z.object({
      name: z.string().max(63),
      arrivals: count,
      local: count,
      forwarded: count,
      rejected: count,
      errors: count,
      latency: z.array(z.tuple([z.number().int().min(0).max(1000), count])).max(1000)
    })).max(256)
  })).max(300),
  calls: z.array(z.object({
    seq: count,
    callId: z.string().max(256),
    function: z.string().max(63),
    at: z.number().min(0),
    outcome: z.enum(['local', 'forwarded', 'rejected', 'error']),
    status: z.number().int().min(0).max(999),
    code: z.string().max(64).optional(),
    path: z.array(peerIdString).max(16),
    totalMs: ms,
    hops: z.array(z.object({
      peer: peerIdString,
      decision: z.string().max(16),
      schedulingMs: ms,
      probingMs: ms,
      queueMs: ms,
      execMs: ms,
      totalMs: ms
    })).max(16)
  })).max(200)
})
