import { describePolicy, parsePolicy, PolicyError, policyFromOriginal } from '../scheduler/registry.js'
import { readOptions, type AdminGuard } from './auth.js'
import type { PolicyCatalog } from '../scheduler/catalog.js'
import type { LearningKeeper } from '../scheduler/learning/keeper.js'
import type { Policy } from '../scheduler/types.js'
import type { FastifyInstance } from 'fastify'

export interface SchedulerRouteDeps {
  guard: AdminGuard
  /** The node's policies, its plugins included; default: the built-ins only. */
  catalog?: Pick<PolicyCatalog, 'parse' | 'fromOriginal'>
  current: () => Policy
  replace: (policy: Policy) => Promise<void>
  /** What a learning policy learnt; without it, /configuration/scheduler/learning is not served. */
  learning?: Pick<LearningKeeper, 'stats' | 'reset'>
  /** Present when reads are private (`--private-reads`). */
  readGuard?: AdminGuard
}

/**
 * `GET|POST /configuration/scheduler`: the policy in force, changeable at run time by an operator.
 * Takes P2PFaaS's own body, `{"name": "PowerOfNScheduler", "parameters": ["1","2","true","1"]}`,
 * or ours, `{"policy": "threshold:F=1,T=2"}`; a plugin's name works in both, `{"name": "jsq-d",
 * "parameters": ["d=3"]}`.
 */
export function registerSchedulerRoutes (app: FastifyInstance, deps: SchedulerRouteDeps): void {
  const { parse, fromOriginal } = deps.catalog ?? { parse: parsePolicy, fromOriginal: policyFromOriginal }
  app.get('/configuration/scheduler', readOptions(deps.readGuard), async () => describePolicy(deps.current()))
  app.post('/configuration/scheduler', { preHandler: deps.guard }, async (req, reply) => {
    const body = req.body as { name?: unknown, parameters?: unknown, policy?: unknown } | undefined
    let policy: Policy
    try {
      if (typeof body?.policy === 'string') policy = parse(body.policy)
      else if (typeof body?.name === 'string' && (body.parameters == null || (Array.isArray(body.parameters) && body.parameters.every(p => typeof p === 'string' || typeof p === 'number' || typeof p === 'boolean')))) {
        policy = fromOriginal({ name: body.name, parameters: ((body.parameters ?? []) as unknown[]).map(String) })
      } else {
        return await reply.status(400).send({ code: 'BAD_REQUEST', message: 'body must be {"name": "<scheduler>", "parameters": ["..."]} or {"policy": "<name>[:k=v,...]"}' })
      }
    } catch (err) {
      if (err instanceof PolicyError) return await reply.status(400).send({ code: 'BAD_REQUEST', message: err.message })
      throw err
    }
    await deps.replace(policy)
    return describePolicy(policy)
  })
  if (deps.learning !== undefined) registerLearningRoutes(app, deps.guard, deps.learning, deps.readGuard)
}

/**
 * `GET /configuration/scheduler/learning`: what the learning policy in force learnt (its table's
 * size, average reward, ε, decisions, exploration share, reward rate), `{"inForce": false}` when the
 * policy in force does not learn. `DELETE` (admin): forget it, in the policy in force and in the
 * data dir; the policy goes on learning from scratch. Reads need the admin secret too under
 * --private-reads.
 */
function registerLearningRoutes (app: FastifyInstance, guard: AdminGuard, learning: Pick<LearningKeeper, 'stats' | 'reset'>, readGuard?: AdminGuard): void {
  const shown = (stats: ReturnType<LearningKeeper['stats']>): Record<string, unknown> => stats === undefined ? { inForce: false } : { inForce: true, ...stats }
  app.get('/configuration/scheduler/learning', readOptions(readGuard), async () => shown(learning.stats()))
  app.delete('/configuration/scheduler/learning', { preHandler: guard }, async () => ({ reset: true, ...shown(await learning.reset()) }))
}
