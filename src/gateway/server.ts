import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import Fastify, { type FastifyInstance } from 'fastify'
import { createRemoteWarn, type Logger } from '../log.js'

/** A route family served straight from node:http, before fastify (the invoke hot path). */
export interface FastPath {
  matches: (url: string | undefined) => boolean
  handle: (req: IncomingMessage, res: ServerResponse) => void
}

export interface GatewayInit {
  host: string
  port: number
  log: Logger
  /** Largest request body accepted by the fastify routes (bytes). */
  bodyLimit?: number
  fastPaths?: FastPath[]
  /** A client's repeated failure is logged at most once per this (ms). */
  warnEveryMs?: number
}

export interface Gateway {
  readonly app: FastifyInstance
  /** The URL it listens on, once started (port 0 resolved). */
  url(): string
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * No route declares a JSON schema: zod checks every input where it enters. Given these, fastify
 * never loads its own compilers (ajv and fast-json-stringify, half of what a node's start parsed;
 * scripts/bundle.mjs leaves them out of the bundle), and a schema added by mistake fails loudly at
 * start instead of validating beside zod.
 */
function noSchemas (): never {
  throw new Error('gateway routes take no JSON schemas: validate with zod where the input enters')
}

/**
 * The node's HTTP front door. Route families register themselves on `app` before start (one
 * module each: health, mesh, later functions, invoke, metrics). Every request is bounded in size
 * and time, and every error answers JSON with a stable code.
 */
export function createGateway (init: GatewayInit): Gateway {
  const log = init.log.child({ component: 'gateway' })
  // A request that fails is the node's bug, but any client can send it again and again.
  const warnError = createRemoteWarn(log, { everyMs: init.warnEveryMs, level: 'error' })
  const fastPaths = init.fastPaths ?? []
  const app = Fastify({
    logger: false,
    serverFactory: handler => createServer((req, res) => {
      const fast = fastPaths.find(f => f.matches(req.url))
      if (fast != null) fast.handle(req, res)
      else handler(req, res)
    }),
    bodyLimit: init.bodyLimit ?? 1024 * 1024,
    connectionTimeout: 60_000,
    requestTimeout: 60_000,
    keepAliveTimeout: 10_000,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    schemaController: { compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas } }
  })
  // `curl -d '{...}'` sends JSON labelled as a form, and the original's scripts do just that; its Go
  // server read the body as JSON whatever the label, so a form body that is JSON is read as JSON.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string))
    } catch {
      done(Object.assign(new Error('the body must be JSON (send Content-Type: application/json)'), { statusCode: 400 }), undefined)
    }
  })
  app.setErrorHandler((err: any, req, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500
    if (status >= 500) warnError(req.ip, `${req.method} ${req.routeOptions.url ?? 'unrouted'}`, { err }, 'request failed')
    void reply.status(status).send({ code: status === 413 ? 'PAYLOAD_TOO_LARGE' : status >= 500 ? 'INTERNAL' : 'BAD_REQUEST', message: err.message })
  })
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` })
  })
  let url = ''
  return {
    app,
    url: () => url,
    async start () {
      const address = await app.listen({ host: init.host, port: init.port })
      url = address
      log.info({ url }, 'http listening')
    },
    async stop () {
      await app.close()
    }
  }
}
