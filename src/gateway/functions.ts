import { parseDeployBody, toFunctionStatus, FunctionSpecError } from '../functions/openfaas.js'
import { parseStackYaml } from '../functions/stack.js'
import { deployAll } from '../registry/deploy-all.js'
import { FUNCTION_NAME } from '../rules.js'
import type { AdminGuard } from './auth.js'
import type { FunctionRegistry } from '../registry/registry.js'
import type { FunctionSpec } from '../functions/types.js'
import type { FastifyInstance, FastifyReply } from 'fastify'

export interface FunctionRouteDeps {
  registry: FunctionRegistry
  guard: AdminGuard
  invocations: (name: string) => number
}

/**
 * The OpenFaaS management API, `/system/functions` and `/system/function/{name}`, so faas-cli and
 * existing scripts work unchanged. A stack.yml body (Content-Type application/yaml) deploys every
 * function in it. Every route needs the admin credentials.
 */
export function registerFunctionRoutes (app: FastifyInstance, deps: FunctionRouteDeps): void {
  const { registry } = deps
  const status = (spec: FunctionSpec): unknown => {
    const { total, ready } = registry.instances(spec.name)
    return toFunctionStatus(spec, { replicas: total, availableReplicas: ready, invocationCount: deps.invocations(spec.name) })
  }

  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'], { parseAs: 'string' }, (_req, body, done) => { done(null, { yaml: body }) })

  app.get('/system/functions', { preHandler: deps.guard }, async () => registry.list().map(fn => status(fn.spec)))

  app.get<{ Params: { name: string } }>('/system/function/:name', { preHandler: deps.guard }, async (req, reply) => {
    const fn = registry.get(req.params.name)
    if (fn == null) return await notFound(reply, req.params.name)
    return status(fn.spec)
  })

  const deploy = (mode: 'create' | 'update') => async (req: { body: unknown }, reply: FastifyReply) => {
    let specs: FunctionSpec[]
    try {
      const body = req.body as { yaml?: string } | undefined
      specs = typeof body?.yaml === 'string' ? parseStackYaml(body.yaml) : [parseDeployBody(req.body)]
    } catch (err) {
      if (err instanceof FunctionSpecError) return await reply.status(400).send({ code: 'BAD_REQUEST', message: err.message })
      throw err
    }
    if (mode === 'update') {
      const missing = specs.find(s => registry.get(s.name) == null)
      if (missing != null) return await notFound(reply, missing.name)
    }
    const result = await deployAll(registry, specs)
    if (!result.ok) {
      return await reply.status(result.code === 'RUNTIME_UNAVAILABLE' ? 503 : 400).send({ code: result.code, message: result.message, deployed: result.deployed })
    }
    const deployed = result.deployed
    return await reply.status(202).send({ deployed })
  }
  app.post('/system/functions', { preHandler: deps.guard }, deploy('create'))
  app.put('/system/functions', { preHandler: deps.guard }, deploy('update'))

  app.delete<{ Body: { functionName?: unknown } }>('/system/functions', { preHandler: deps.guard }, async (req, reply) => {
    const name = req.body?.functionName
    if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) {
      return await reply.status(400).send({ code: 'BAD_REQUEST', message: 'body must be {"functionName": "<name>"}' })
    }
    if (!await registry.remove(name)) return await notFound(reply, name)
    return await reply.status(202).send({ removed: name })
  })
}

async function notFound (reply: FastifyReply, name: string): Promise<FastifyReply> {
  return await reply.status(404).send({ code: 'FUNCTION_NOT_FOUND', message: `function ${name} is not deployed on this node` })
}
