import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { INDEX_HTML, STYLE_CSS } from '../dashboard/page.js'
import { readOptions, type AdminGuard } from './auth.js'
import type { MeshObserver } from '../observe/observer.js'
import type { ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

export interface DashboardRouteDeps {
  observer: MeshObserver
  /** How often the live stream sends a snapshot (ms). */
  intervalMs?: number
  /** Live streams served at once; more get 503 (each costs a snapshot per interval). */
  maxStreams?: number
  /**
   * Present when reads are private (`--private-reads`). The page is guarded too, though it holds
   * no data: a browser asks for the credentials on the page and sends them with its requests.
   */
  readGuard?: AdminGuard
}

/**
 * The browser modules, compiled by the build from src/dashboard/ into dist/src/dashboard/: beside
 * this file when it runs compiled, under dist/ when it runs from the sources (tests).
 */
function loadModules (): Map<string, string> {
  const compiled = fileURLToPath(new URL('../dashboard/', import.meta.url))
  const dir = existsSync(`${compiled}main.js`) ? compiled : fileURLToPath(new URL('../../dist/src/dashboard/', import.meta.url))
  if (!existsSync(`${dir}main.js`)) throw new Error(`the dashboard is not built (no ${dir}main.js): run npm run build`)
  const modules = new Map<string, string>()
  for (const name of readdirSync(dir)) {
    if (/^[a-z-]+\.js$/.test(name) && name !== 'page.js') modules.set(name, readFileSync(`${dir}${name}`, 'utf8'))
  }
  return modules
}

/**
 * The dashboard: `GET /` (and `/ui`) serves the page, `/ui/*.js` its modules (bundled with the node,
 * no CDN), `GET /api/dashboard` the mesh-wide picture as JSON and `GET /api/dashboard/stream` the
 * same as Server-Sent Events, one snapshot per interval.
 */
export function registerDashboardRoutes (app: FastifyInstance, deps: DashboardRouteDeps): void {
  const modules = loadModules()
  const intervalMs = deps.intervalMs ?? 1000
  const maxStreams = deps.maxStreams ?? 64
  // Open live streams, each with what closes it; one timer feeds them all, and none runs when
  // nobody watches (a timer per stream would wake the node once per dashboard per interval).
  const streams = new Map<ServerResponse, () => void>()
  let timer: ReturnType<typeof setInterval> | undefined
  // One snapshot per interval, however many dashboards are open: each costs a write, not a rebuild.
  let cached: { at: number, event: string } | undefined
  const currentEvent = (): string => {
    const now = performance.now()
    if (cached == null || now - cached.at > intervalMs / 2) cached = { at: now, event: `event: snapshot\ndata: ${JSON.stringify(deps.observer.snapshot())}\n\n` }
    return cached.event
  }
  // Live streams never end by themselves: end them before the server waits for its connections.
  app.addHook('preClose', async () => { for (const end of [...streams.values()]) end() })

  const send = (res: ServerResponse): void => {
    // A slow reader: skip this snapshot rather than buffer without bound.
    if (res.writableLength > 1024 * 1024) return
    res.write(currentEvent())
  }
  const tick = (): void => { for (const res of streams.keys()) send(res) }

  const serve = (type: string, body: string) => async (_req: FastifyRequest, reply: FastifyReply) =>
    await reply.type(type).header('cache-control', 'no-cache').send(body)
  const read = readOptions(deps.readGuard)
  app.get('/', read, serve('text/html; charset=utf-8', INDEX_HTML))
  app.get('/ui', read, serve('text/html; charset=utf-8', INDEX_HTML))
  app.get('/ui/style.css', read, serve('text/css; charset=utf-8', STYLE_CSS))
  app.get<{ Params: { name: string } }>('/ui/:name', read, async (req, reply) => {
    const body = modules.get(req.params.name)
    if (body == null) return await reply.status(404).send({ code: 'NOT_FOUND', message: `no such dashboard file: ${req.params.name}` })
    return await reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(body)
  })

  app.get('/api/dashboard', read, async () => {
    await deps.observer.poll()
    return deps.observer.snapshot()
  })

  app.get('/api/dashboard/stream', read, async (req, reply) => {
    if (streams.size >= maxStreams) return await reply.status(503).send({ code: 'OVERLOADED', message: `${maxStreams} dashboards are already open on this node; open another node's` })
    const release = deps.observer.watch()
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' })
    send(res)
    const close = (): void => {
      if (!streams.delete(res)) return
      if (streams.size === 0) {
        clearInterval(timer)
        timer = undefined
      }
      release()
      res.end()
    }
    streams.set(res, close)
    timer ??= setInterval(tick, intervalMs)
    res.once('close', close)
  })
}
