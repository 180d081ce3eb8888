import { z } from 'zod'
import type { ManageRequest } from './protocol.js'

/**
 * What a node answers is outside input to whoever asked (the CLI prints it, `top` draws
 * it): every result is checked field by field, sizes bounded, before anyone uses it.
 */
const peerIdString = z.string().min(1).max(128)
const count = z.number().int().min(0).max(1e9)
const ms = z.number().min(0).max(1e9)

const text = (max: number): z.ZodString => z.string().max(max)
const load = z.object({ name: text(63), queued: count, running: count, capacity: count })
const totals = z.object({ queued: count, running: count, capacity: count })
const addrs = z.array(text(512)).max(64)

export const RESULT_SCHEMAS: { [Op in ManageRequest['op']]: z.ZodType } = {
  whoami: z.object({ you: peerIdString, admin: z.boolean(), node: peerIdString }),
  list: z.object({
    node: peerIdString,
    functions: z.array(z.object({
      name: text(63),
      image: text(512).optional(),
      runtime: text(16),
      concurrency: count,
      queue: count,
      replicas: count,
      availableReplicas: count,
      invocationCount: count,
      load: load.optional()
    })).max(1024),
    peers: z.array(z.object({ peerId: peerIdString, functions: z.array(text(63)).max(256) })).max(1024)
  }),
  peers: z.object({
    self: z.object({ peerId: peerIdString, addrs, version: text(32), policy: text(256), functions: z.array(load).max(256), totals }),
    peers: z.array(z.object({
      peerId: peerIdString,
      addrs,
      connected: z.boolean(),
      link: z.boolean().optional(),
      lastSeenMs: ms,
      loadAgeMs: ms.nullable().optional(),
      latencyMs: ms.optional(),
      functions: z.array(load).max(256),
      totals
    })).max(1024)
  }),
  load: z.object({ node: peerIdString, functions: z.array(load).max(256), totals }),
  deploy: z.object({ deployed: z.array(text(63)).max(256) }),
  remove: z.object({ removed: text(63) })
}
