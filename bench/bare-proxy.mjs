// The floor for "through a node": the least a Node.js HTTP proxy can do (node:http in, an undici
// keep-alive pool out, round-robin over the same containers), as its own process like the node.
// Usage: node bench/bare-proxy.mjs <listen-port> <container-port>...
import http from 'node:http'
import { Pool } from 'undici'

const [listen, ...ports] = process.argv.slice(2).map(Number)
const pools = ports.map(p => new Pool(`http://127.0.0.1:${p}`, { connections: 2 }))
let next = 0
http.createServer((req, res) => {
  const chunks = []
  req.on('data', c => chunks.push(c))
  req.on('end', () => {
    pools[next++ % pools.length].request({ method: req.method, path: '/', body: Buffer.concat(chunks), headers: { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' } })
      .then(async r => {
        const body = Buffer.from(await r.body.arrayBuffer())
        res.writeHead(r.statusCode, { 'content-type': r.headers['content-type'] ?? 'application/octet-stream', 'content-length': body.length })
        res.end(body)
      })
      .catch(err => { res.writeHead(502); res.end(String(err)) })
  })
}).listen(listen, '127.0.0.1', () => { console.log('ready') })
process.on('SIGTERM', () => process.exit(0))
