import { readOptions, type AdminGuard } from './auth.js'
import type { Executor } from '../executor/executor.js'
import type { FastifyInstance } from 'fastify'

/**
 * `GET /monitoring/load`: the original's load probe, in its headers (X-P2pfaas-Load = running,
 * X-P2pfaas-Queue-Length, X-P2pfaas-Maxload = slots), with the per-function detail as JSON.
 */
export function registerMonitoringRoutes (app: FastifyInstance, deps: { executor: Executor, readGuard?: AdminGuard }): void {
  app.get('/monitoring/load', readOptions(deps.readGuard), async (_req, reply) => {
    const load = deps.executor.snapshot()
    void reply.header('X-P2pfaas-Load', String(load.totals.running))
      .header('X-P2pfaas-Queue-Length', String(load.totals.queued))
      .header('X-P2pfaas-Maxload', String(load.totals.capacity))
    return load
  })
}
