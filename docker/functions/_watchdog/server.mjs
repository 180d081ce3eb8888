// of-watchdog "http" mode, shared by every function: serve(handle) starts a warm node:http server
// on :8080 (env PORT overrides) that answers the watchdog's health probes itself and passes every
// other request to handle(). A function's server.mjs is just `serve(handle)` with its ./handler.mjs.
//
//   GET /_/health, GET /_/ready  -> 200 "OK" (ready turns 503 while draining after SIGTERM)
//   anything else                -> handle({ method, path, query, headers, body, signal })
//
// The handler gets the raw path and query (no '?'), lower-case headers and the whole body as a
// Buffer (16 MiB cap, env MAX_BODY_BYTES; beyond it 413). It returns { status, headers, body }.
// OpenFaaS knobs honoured: max_inflight (beyond it 429), exec_timeout (then 504; "10s", "500ms",
// "2m" or plain seconds). X-Duration-Seconds is added like the watchdog does. On SIGTERM (or
// SIGINT) it stops accepting, finishes the calls in flight (up to write_timeout, default 10 s)
// and exits 0.
import http from 'node:http'

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
 * Reads the whole body, or resolves null after answering 413 when it is over `max` bytes. The
 * rest of an oversized body is drained (up to 4x the cap) so the client sees the 413 instead of a
 * reset connection; beyond that, or when Content-Length already says so, the connection is closed.
 */
function readBody (req, res, max) {
  return new Promise((resolve, reject) => {
    const tooBig = () => sendJson(res, 413, { error: `body larger than ${max} bytes` })
    const declared = Number.parseInt(req.headers['content-length'] ?? '', 10)
    if (Number.isFinite(declared) && declared > max) {
      if (declared > 4 * max) res.setHeader('connection', 'close')
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
        if (size > 4 * max) req.socket.destroy()
        return
      }
      if (size > max) {
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

/**
 * Serves `handle` the of-watchdog way until SIGTERM/SIGINT, then exits the process. Every option
 * defaults to its environment variable, as the watchdog reads them:
 *   port (PORT, 8080; 0 picks a free one), maxBodyBytes (MAX_BODY_BYTES, 16 MiB),
 *   maxInflight (max_inflight, 0 = unlimited), execTimeoutMs (exec_timeout, 0 = none),
 *   graceMs (write_timeout, 10 s).
 * Returns the http.Server; "function listening on :PORT" goes to stderr once it listens.
 */
export function serve (handle, options = {}) {
  const env = process.env
  const port = options.port ?? Number.parseInt(env.PORT ?? '8080', 10)
  const maxBody = options.maxBodyBytes ?? Number.parseInt(env.MAX_BODY_BYTES ?? String(16 * 1024 * 1024), 10)
  const maxInflight = options.maxInflight ?? (Number.parseInt(env.max_inflight ?? '0', 10) || 0)
  const execTimeoutMs = options.execTimeoutMs ?? parseDuration(env.exec_timeout)
  const graceMs = options.graceMs ?? (parseDuration(env.write_timeout) || 10_000)

  let inflight = 0
  let draining = false

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
    if (maxInflight > 0 && inflight >= maxInflight) {
      req.resume()
      return sendJson(res, 429, { error: `max_inflight ${maxInflight} reached` })
    }

    inflight++
    const started = process.hrtime.bigint()
    const ac = new AbortController()
    res.on('close', () => { if (!res.writableFinished) ac.abort(new Error('client went away')) })
    let timer
    try {
      const body = await readBody(req, res, maxBody)
      if (body == null) return
      const call = handle({ method: req.method, path, query, headers: headersOf(req), body, signal: ac.signal })
      const result = execTimeoutMs > 0
        ? await Promise.race([call, new Promise((resolve) => {
          timer = setTimeout(() => { ac.abort(new Error('exec_timeout')); resolve(null) }, execTimeoutMs)
        })])
        : await call
      const secs = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(6)
      if (result == null) return sendJson(res, 504, { error: `exec_timeout ${execTimeoutMs} ms exceeded` }, { 'x-duration-seconds': secs })
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
    setTimeout(finish, graceMs).unref()
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))

  server.listen(port, '0.0.0.0', () => {
    process.stderr.write(`function listening on :${server.address().port}\n`)
  })
  return server
}
