import * as z from 'zod'
import type { ManageRequest } from './request.js'
import type { SlotLoad } from '../rules.js'

/**
 * What a node answers is outside input to whoever asked (the CLI prints it, `top` draws
 * it): every result is checked field by field, sizes bounded, before anyone uses it.
 */
const peerIdString = z.string().min(1).max(128)
const count = z.number().int().min(0).max(1e9)
const ms = z.number().min(0).max(1e9)

const text = (max: number): z.ZodString => z.string().max(max)
const totals = z.object({ queued: count, running: count, capacity: count }) satisfies z.ZodType<SlotLoad>
const addrs = z.array(text(512)).max(64)

export const FunctionLoadViewSchema = totals.extend({ name: text(63) })

export const LocalFunctionSchema = z.object({
  name: text(63),
  image: text(512).optional(),
  runtime: text(16),
  concurrency: count,
  queue: count,
  replicas: count,
  availableReplicas: count,
  invocationCount: count,
  load: FunctionLoadViewSchema.optional()
})

export const NodeSelfSchema = z.object({ peerId: peerIdString, addrs, version: text(32), policy: text(256), functions: z.array(FunctionLoadViewSchema).max(256), totals })

export const PeerViewSchema = z.object({
  peerId: peerIdString,
  addrs,
  connected: z.boolean(),
  /** One of the node's overlay neighbours (its load is fresh). */
  link: z.boolean().optional(),
  /** Milliseconds since the node last heard from or of it. */
  lastSeenMs: ms,
  /** Milliseconds since its load was reported to the node; null when the node does not know it. */
  loadAgeMs: ms.nullable().optional(),
  /** Round trip from the node, when asked to ping and the ping answered. */
  latencyMs: ms.optional(),
  functions: z.array(FunctionLoadViewSchema).max(256),
  totals
})

/** One schema per op: the result types in protocol.ts are inferred from these, so they cannot drift. */
export const RESULT_SCHEMAS = {
  whoami: z.object({ you: peerIdString, admin: z.boolean(), node: peerIdString }),
  list: z.object({
    node: peerIdString,
    functions: z.array(LocalFunctionSchema).max(1024),
    peers: z.array(z.object({ peerId: peerIdString, functions: z.array(text(63)).max(256) })).max(1024)
  }),
  peers: z.object({ self: NodeSelfSchema, peers: z.array(PeerViewSchema).max(1024) }),
  load: z.object({ node: peerIdString, functions: z.array(FunctionLoadViewSchema).max(256), totals }),
  deploy: z.object({ deployed: z.array(text(63)).max(256) }),
  remove: z.object({ removed: text(63) })
} satisfies { [Op in ManageRequest['op']]: z.ZodType }
