// of-watchdog "http" mode in one file: a warm node:http server on :8080 (env PORT overrides) that
// answers the watchdog's health probes itself and passes every other request to ./handler.mjs.
//
//   GET /_/health, GET /_/ready  -> 200 "OK" (ready turns 503 while draining after SIGTERM)
//   anything else                -> handle({ method, path, query, headers, body, signal })
//
// The handler gets the raw path and query (no '?'), lower-case headers and the whole body as a
// Buffer (16 MiB cap, env MAX_BODY_BYTES; beyond it 413). It returns { status, headers, body }.
// OpenFaaS knobs honoured: max_inflight (beyond it 429), exec_timeout (then 504; "10s", "500ms",
// "2m" or plain seconds). X-Duration-Seconds is added like the watchdog does.
// This file is identical in every function folder; only handler.mjs differs.
import http from 'node:http'
import { handle } from './handler.mjs'

const PORT = Number.parseInt(process.env.PORT ?? '8080', 10)
const MAX_BODY = Number.parseInt(process.env.MAX_BODY_BYTES ?? String(16 * 1024 * 1024), 10)
const MAX_INFLIGHT = Number.parseInt(process.env.max_inflight ?? '0', 10) || 0
const EXEC_TIMEOUT_MS = parseDuration(process.env.exec_timeout)
const GRACE_MS = parseDuration(process.env.write_timeout) || 10_000

let inflight = 0
let draining = false

function parseDuration (v) {
  if (v == null || v === '') return 0
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(v)
  if (m == null) return 0
  const n = Number(m[1])
  return Math.round(n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']))
}

function send (res, status, headers, body) {
  if (res.headersSent || res.destroyed) return
  const buf = body == null ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const out = {}
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v == null) continue
    const key = k.toLowerCase()
    if (key === 'content-length' || key === 'transfer-encoding' || key === 'connection') continue
    out[key] = Array.isArray(v) ? v.map(String) : String(v)
  }
  out['content-length'] = String(buf.length)
  res.writeHead(status, out)
  res.end(buf)
}

function sendJson (res, status, obj, extra = {}) {
  send(res, status, { 'content-type': 'application/json', ...extra }, JSON.stringify(obj))
}

/**
 * Reads the whole body, or resolves null after answering 413 when it is too big. The rest of an
 * oversized body is drained (up to 4x the cap) so the client sees the 413 instead of a reset
 * connection; beyond that, or when Content-Length already says so, the connection is closed.
 */
function readBody (req, res) {
  return new Promise((resolve, reject) => {
    const tooBig = () => sendJson(res, 413, { error: `body larger than ${MAX_BODY} bytes` })
    const declared = Number.parseInt(req.headers['content-length'] ?? '', 10)
    if (Number.isFinite(declared) && declared > MAX_BODY) {
      if (declared > 4 * MAX_BODY) res.setHeader('connection', 'close')
      tooBig()
      req.resume()
      resolve(null)
      return
    }
    const chunks = []
    let size = 0
    let done = false
    req.on('data', (chunk) => {
      size += chunk.length
      if (done) {
        if (size > 4 * MAX_BODY) req.socket.destroy()
        return
      }
      if (size > MAX_BODY) {
        done = true
        chunks.length = 0
        tooBig()
        resolve(null)
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => { if (!done) { done = true; resolve(Buffer.concat(chunks, size)) } })
    req.on('error', (err) => { if (!done) { done = true; reject(err) } })
  })
}

function headersOf (req) {
  const h = {}
  for (const [k, v] of Object.entries(req.headers)) h[k] = Array.isArray(v) ? v.join(', ') : v
  return h
}

const server = http.createServer(async (req, res) => {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  const query = q === -1 ? '' : url.slice(q + 1)

  if (path === '/_/health' || path === '/_/ready') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { allow: 'GET, HEAD' }, '')
    const ok = path === '/_/health' || !draining
    return send(res, ok ? 200 : 503, { 'content-type': 'text/plain' }, ok ? 'OK' : 'draining')
  }
  if (MAX_INFLIGHT > 0 && inflight >= MAX_INFLIGHT) {
    req.resume()
    return sendJson(res, 429, { error: `max_inflight ${MAX_INFLIGHT} reached` })
  }

  inflight++
  const started = process.hrtime.bigint()
  const ac = new AbortController()
  res.on('close', () => { if (!res.writableFinished) ac.abort(new Error('client went away')) })
  let timer
  try {
    const body = await readBody(req, res)
    if (body == null) return
    const call = handle({ method: req.method, path, query, headers: headersOf(req), body, signal: ac.signal })
    const result = EXEC_TIMEOUT_MS > 0
      ? await Promise.race([call, new Promise((resolve) => {
        timer = setTimeout(() => { ac.abort(new Error('exec_timeout')); resolve(null) }, EXEC_TIMEOUT_MS)
      })])
      : await call
    const secs = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(6)
    if (result == null) return sendJson(res, 504, { error: `exec_timeout ${EXEC_TIMEOUT_MS} ms exceeded` }, { 'x-duration-seconds': secs })
    send(res, Number(result.status) || 200, { 'x-duration-seconds': secs, ...result.headers }, result.body)
  } catch (err) {
    process.stderr.write(`handler error: ${err?.stack ?? err}\n`)
    sendJson(res, 500, { error: String(err?.message ?? err) })
  } finally {
    clearTimeout(timer)
    inflight--
    if (draining && inflight === 0) finish()
  }
})
server.keepAliveTimeout = 65_000 // longer than typical proxy idle timeouts, so the proxy closes first
server.headersTimeout = 66_000
server.requestTimeout = 0 // exec_timeout bounds calls; long bodies on slow links are fine

let finished = false
function finish () {
  if (finished) return
  finished = true
  server.close(() => process.exit(0))
  server.closeAllConnections()
  setTimeout(() => process.exit(0), 1000).unref()
}

function shutdown (signal) {
  if (draining) return
  draining = true
  process.stderr.write(`${signal}: draining ${inflight} call(s)\n`)
  server.close()
  server.closeIdleConnections()
  if (inflight === 0) finish()
  setTimeout(finish, GRACE_MS).unref()
}
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))

server.listen(PORT, '0.0.0.0', () => {
  process.stderr.write(`function listening on :${server.address().port}\n`)
})
