import { randomUUID } from 'node:crypto'
import { CallError } from '../executor/errors.js'
import { FUNCTION_NAME, isTruthy } from '../rules.js'
import { newCall } from '../invoke/call.js'
import { traceOf } from '../invoke/errors.js'
import { HOP_BY_HOP } from '../runtime/http-call.js'
import { REQUEST, traceHeaders } from './p2pfaas-headers.js'
import type { InvokeService } from '../invoke/service.js'
import type { IncomingMessage, ServerResponse } from 'node:http'

export interface InvokeRouteDeps {
  /** Routes the call, and says by when it must be answered. */
  service: Pick<InvokeService, 'route' | 'deadlineFor' | 'self'>
  /** Largest request body passed to a function (bytes). */
  maxBodyBytes: number
  version: string
  schedulerLabel: () => string
}

const PREFIX = '/function/'
const CALL_ID = /^[\w.-]{1,128}$/

export type RawHandler = (req: IncomingMessage, res: ServerResponse) => void

/** True for the URLs the invoke handler owns. */
export const isInvokeUrl = (url: string | undefined): boolean => url?.startsWith(PREFIX) === true

/**
 * `/function/{name}[/path]`: the OpenFaaS synchronous call. Method, path, query, headers and body
 * go to the function; its status, headers and body come back unchanged, plus X-Call-Id,
 * X-Start-Time and X-Duration-Seconds. This is the hot path, so it is plain node:http (the
 * management API keeps fastify): measured, it halves the node's own CPU per call.
 */
export function createInvokeHandler (deps: InvokeRouteDeps): RawHandler {
  return (req, res) => {
    const started = performance.now()
    const presented = req.headers['x-call-id']
    const callId = typeof presented === 'string' && CALL_ID.test(presented) ? presented : randomUUID()
    res.setHeader('x-call-id', callId)
    res.setHeader('x-start-time', `${Date.now()}000000`)
    const fail = (status: number, code: string, message: string): void => {
      res.setHeader('x-duration-seconds', ((performance.now() - started) / 1000).toFixed(6))
      sendJson(res, status, { code, message, callId })
    }

    const url = req.url!
    const q = url.indexOf('?')
    const pathname = q >= 0 ? url.slice(0, q) : url
    const slash = pathname.indexOf('/', PREFIX.length)
    const name = slash >= 0 ? pathname.slice(PREFIX.length, slash) : pathname.slice(PREFIX.length)
    if (!FUNCTION_NAME.test(name)) { fail(400, 'BAD_REQUEST', `"${name.slice(0, 80)}" is not a function name`); return }

    const declared = Number(req.headers['content-length'] ?? 0)
    if (declared > deps.maxBodyBytes) { fail(413, 'PAYLOAD_TOO_LARGE', `the body is larger than ${deps.maxBodyBytes} bytes`); req.resume(); return }
    const chunks: Buffer[] = []
    let size = 0
    let refused = false
    req.on('data', (chunk: Buffer) => {
      if (refused) return
      size += chunk.length
      if (size > deps.maxBodyBytes) {
        refused = true
        fail(413, 'PAYLOAD_TOO_LARGE', `the body is larger than ${deps.maxBodyBytes} bytes`)
        return
      }
      chunks.push(chunk)
    })
    req.on('error', () => { refused = true })
    req.on('end', () => {
      if (refused) return
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) {
        if (v != null && !HOP_BY_HOP.has(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v
      }
      const tracingId = req.headers[REQUEST.tracingId]
      if (typeof tracingId === 'string') res.setHeader('X-P2pfaas-Scheduler-Task-Tracing-Id', tracingId.slice(0, 256))
      const call = newCall({
        callId,
        function: name,
        method: req.method ?? 'GET',
        path: slash >= 0 ? pathname.slice(slash) : '/',
        query: q >= 0 ? url.slice(q + 1) : '',
        headers,
        body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
        deadline: deps.service.deadlineFor(name, started),
        idempotent: isTruthy(req.headers[REQUEST.idempotent]),
        bypass: isTruthy(req.headers[REQUEST.bypass]),
        forceForward: isTruthy(req.headers[REQUEST.forward])
      })
      const setTrace = (trace: Parameters<typeof traceHeaders>[0] | undefined): void => {
        if (trace == null) return
        for (const [k, v] of Object.entries(traceHeaders(trace, deps.service.self, deps.version, deps.schedulerLabel()))) res.setHeader(k, v)
      }
      deps.service.route(call).then(outcome => {
        const r = outcome.response
        for (const [k, v] of Object.entries(r.headers)) if (!HOP_BY_HOP.has(k)) res.setHeader(k, v)
        setTrace(outcome.trace)
        res.setHeader('x-duration-seconds', ((performance.now() - started) / 1000).toFixed(6))
        res.setHeader('content-length', r.body.byteLength)
        res.writeHead(r.status)
        res.end(r.body)
      }, err => {
        if (err instanceof CallError) {
          setTrace(traceOf(err))
          fail(err.status, err.code, err.message)
        } else fail(500, 'INTERNAL', 'the node failed to run the call')
      })
    })
  }
}

function sendJson (res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) { res.destroy(); return }
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
