import * as z from 'zod'
import { readOptions, type AdminGuard } from './auth.js'
import type { FunctionRegistry, NodeDefaults } from '../registry/registry.js'
import type { FastifyInstance } from 'fastify'

/** P2PFaaS's own shape, kept so the original's experiment scripts work unchanged. */
const configurationBody = z.object({
  parallel_running_functions_max: z.number().int().min(1).max(1024).optional(),
  queue_length_max: z.number().int().min(0).max(100_000).optional(),
  queue_enabled: z.boolean().optional()
}).strict()

export interface ConfigurationRouteDeps {
  registry: FunctionRegistry
  guard: AdminGuard
  persist: (defaults: NodeDefaults) => Promise<void>
  /** Present when reads are private (`--private-reads`). */
  readGuard?: AdminGuard
}

const toWire = (d: NodeDefaults): Record<string, unknown> => ({
  parallel_running_functions_max: d.concurrency,
  queue_length_max: d.queue,
  queue_enabled: d.queue > 0
})

/**
 * `GET|POST /configuration`: the node-wide slots and queue, for every function that does not set
 * its own with p2pfaas.concurrency / p2pfaas.queue labels. Applied at once, kept across restarts.
 */
export function registerConfigurationRoutes (app: FastifyInstance, deps: ConfigurationRouteDeps): void {
  app.get('/configuration', readOptions(deps.readGuard), async () => toWire(deps.registry.getDefaults()))
  app.post('/configuration', { preHandler: deps.guard }, async (req, reply) => {
    const parsed = configurationBody.safeParse(req.body)
    if (!parsed.success) {
      return await reply.status(400).send({ code: 'BAD_REQUEST', message: parsed.error.issues.map(i => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') })
    }
    const current = deps.registry.getDefaults()
    const b = parsed.data
    const queueLength = b.queue_length_max ?? (current.queue > 0 ? current.queue : 4)
    const next: NodeDefaults = {
      concurrency: b.parallel_running_functions_max ?? current.concurrency,
      queue: b.queue_enabled === false ? 0 : b.queue_enabled === true || b.queue_length_max != null ? queueLength : current.queue
    }
    deps.registry.setDefaults(next)
    await deps.persist(next)
    return toWire(next)
  })
}
