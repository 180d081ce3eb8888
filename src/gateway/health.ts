import type { FastifyInstance } from 'fastify'

/** `GET /healthz`: 200 once the node has started, 503 while it starts or stops. */
export function registerHealthRoutes (app: FastifyInstance, deps: { isReady: () => boolean }): void {
  app.get('/healthz', async (_req, reply) => {
    if (!deps.isReady()) return await reply.status(503).send({ status: 'starting' })
    return { status: 'ok' }
  })
}
