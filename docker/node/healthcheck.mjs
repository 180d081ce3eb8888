// HEALTHCHECK of the node image: GET /healthz on the node's own HTTP port (P2PFAAS_HTTP), exit 0
// when it answers 200. Node only, no curl needed (the offline base has none).
const spec = process.env.P2PFAAS_HTTP || '0.0.0.0:18080'
const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(spec)
let host = m?.[1] ?? m?.[2] ?? ''
const port = m?.[3] ?? '18080'
if (host === '' || host === '0.0.0.0') host = '127.0.0.1'
else if (host === '::') host = '::1'
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`

try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) })
  process.exit(res.status === 200 ? 0 : 1)
} catch (err) {
  process.stderr.write(`healthcheck: ${url}: ${err.message}\n`)
  process.exit(1)
}
