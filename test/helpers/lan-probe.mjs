// Runs inside a LAN namespace and fetches URLs for the test process, which lives in the root
// namespace and cannot reach the LAN. One JSON request per stdin line, one JSON answer per line.
import { createInterface } from 'node:readline'

const rl = createInterface({ input: process.stdin })
rl.on('line', line => {
  let req
  try { req = JSON.parse(line) } catch { return }
  fetch(req.url, { signal: AbortSignal.timeout(req.timeoutMs ?? 2000) })
    .then(async res => ({ id: req.id, status: res.status, body: await res.text() }))
    .catch(err => ({ id: req.id, status: 0, error: String(err?.cause?.code ?? err?.message ?? err) }))
    .then(answer => { process.stdout.write(JSON.stringify(answer) + '\n') })
})
rl.on('close', () => process.exit(0))
