import { randomUUID } from 'node:crypto'
import { CallError } from '../executor/errors.js'
import { HOP_BY_HOP } from '../runtime/http-call.js'
import type { Executor } from '../executor/executor.js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

export interface InvokeRouteDeps {
  executor: Executor
  /** Largest request body passed to a function (bytes). */
  maxBodyBytes: number
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const

/**
 * `/function/{name}[/path]`: the OpenFaaS synchronous call. Method, path, query, headers and body
 * go to the function; its status, headers and body come back unchanged, plus X-Call-Id,
 * X-Start-Time and X-Duration-Seconds. Bodies are bytes whatever their content type.
 */
export async function registerInvokeRoutes (app: FastifyInstance, deps: InvokeRouteDeps): Promise<void> {
  await app.register(async scope => {
    // Every content type is the function's business: hand over raw bytes, never parse.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (_req, body, done) => { done(null, body) })
    const handler = async (req: FastifyRequest<{ Params: { name: string, '*'?: string } }>, reply: FastifyReply): Promise<FastifyReply> =>
      await invoke(deps, req, reply)
    scope.route({ method: [...METHODS], url: '/function/:name', handler })
    scope.route({ method: [...METHODS], url: '/function/:name/*', handler })
  })
}

async function invoke (deps: InvokeRouteDeps, req: FastifyRequest<{ Params: { name: string, '*'?: string } }>, reply: FastifyReply): Promise<FastifyReply> {
  const callId = (typeof req.headers['x-call-id'] === 'string' && /^[\w.-]{1,128}$/.test(req.headers['x-call-id'])) ? req.headers['x-call-id'] : randomUUID()
  const started = performance.now()
  const startNs = BigInt(Date.now()) * 1_000_000n
  void reply.header('x-call-id', callId).header('x-start-time', startNs.toString())
  const name = req.params.name
  if (!NAME.test(name)) {
    return await reply.status(400).send({ code: 'BAD_REQUEST', message: `"${name}" is not a function name` })
  }
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v == null || HOP_BY_HOP.has(k)) continue
    headers[k] = Array.isArray(v) ? v.join(', ') : v
  }
  const q = req.url.indexOf('?')
  // The caller hanging up cancels the call: nobody would read the answer.
  const gone = new AbortController()
  // (The response's 'close' before it ended means the connection went away.)
  reply.raw.once('close', () => { if (!reply.raw.writableEnded) gone.abort(new Error('client disconnected')) })
  try {
    const result = await deps.executor.call(name, {
      method: req.method,
      path: '/' + (req.params['*'] ?? ''),
      query: q >= 0 ? req.url.slice(q + 1) : '',
      headers,
      body: (req.body as Buffer | undefined) ?? new Uint8Array(),
      signal: gone.signal
    })
    for (const [k, v] of Object.entries(result.response.headers)) {
      if (!HOP_BY_HOP.has(k)) void reply.header(k, v)
    }
    void reply.header('x-duration-seconds', ((performance.now() - started) / 1000).toFixed(6))
    return await reply.status(result.response.status).send(Buffer.from(result.response.body.buffer, result.response.body.byteOffset, result.response.body.byteLength))
  } catch (err) {
    void reply.header('x-duration-seconds', ((performance.now() - started) / 1000).toFixed(6))
    if (err instanceof CallError) {
      return await reply.status(err.status).send({ code: err.code, message: err.message, callId })
    }
    throw err
  }
}
