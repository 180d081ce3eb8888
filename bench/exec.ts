import '../src/polyfill.js'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import Dockerode from 'dockerode'
import { Pool } from 'undici'
import { CLI, repoPath } from '../test/helpers/cli.js'

/**
 * A warm call through a node (HTTP gateway → executor → warm container) against a direct call to
 * the same containers, side by side in one run, plus cold start (deploy → first answer) against a
 * bare `create + start + health` of the same image.
 *   npm run bench:exec            (needs `npm run images` and a Docker engine)
 */

const SEQUENTIAL_CALLS = 2000
const THROUGHPUT_SECONDS = 4
const CLIENTS = 4
const BLOCKS = 4
const COLD_REPS = 3
const IMAGE = 'p2pfaas/fn-echo:latest'
const payload = Buffer.alloc(100, 'x')
const docker = new Dockerode()

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]! }

async function freePort (): Promise<number> {
  return await new Promise(resolve => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => { resolve(p) }) }) })
}

async function once (pool: Pool, path: string): Promise<void> {
  const res = await pool.request({ method: 'POST', path, body: payload, headers: { 'content-type': 'text/plain' } })
  await res.body.dump()
  if (res.statusCode !== 200) throw new Error(`${path} answered ${res.statusCode}`)
}

async function latencies (pool: Pool, path: string, n: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await once(pool, path)
    out.push(performance.now() - t0)
  }
  return out
}

async function throughput (targets: Array<{ pool: Pool, path: string }>, seconds: number): Promise<number> {
  let done = 0
  const end = performance.now() + seconds * 1000
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    const t = targets[c % targets.length]!
    while (performance.now() < end) { await once(t.pool, t.path); done++ }
  }))
  return done / seconds
}

const dir = await mkdtemp(join(tmpdir(), 'p2pfaas-bench-exec-'))
const httpPort = await freePort()
const nodeUrl = `http://127.0.0.1:${httpPort}`
const node = spawn(process.execPath, [CLI, 'node', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--http', `127.0.0.1:${httpPort}`, '--data-dir', dir, '--runtime', 'docker', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] })
try {
  for (let i = 0; ; i++) {
    if ((await fetch(`${nodeUrl}/healthz`).catch(() => undefined))?.status === 200) break
    if (i > 200) throw new Error('the node did not start')
    await sleep(50)
  }
  const auth = 'Basic ' + Buffer.from(`admin:${(await readFile(join(dir, 'admin-secret'), 'utf8')).trim()}`).toString('base64')
  const manage = async (method: string, body: unknown): Promise<Response> => await fetch(`${nodeUrl}/system/functions`, { method, headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const deployBody = { service: 'echo', image: IMAGE, labels: { 'p2pfaas.concurrency': String(CLIENTS), 'p2pfaas.min-warm': String(CLIENTS), 'p2pfaas.queue': '16' } }

  // Cold start: deploy (which returns once the warm container answers its health check) → first answer.
  const cold: number[] = []
  for (let r = 0; r < COLD_REPS; r++) {
    await manage('DELETE', { functionName: 'echo' })
    const t0 = performance.now()
    const res = await manage('POST', { ...deployBody, labels: { ...deployBody.labels, 'p2pfaas.min-warm': '1' } })
    if (res.status !== 202) throw new Error(`deploy: ${res.status} ${await res.text()}`)
    const first = await fetch(`${nodeUrl}/function/echo`, { method: 'POST', body: payload })
    await first.arrayBuffer()
    cold.push(performance.now() - t0)
  }
  const bare: number[] = []
  for (let r = 0; r < COLD_REPS; r++) {
    const t0 = performance.now()
    const c = await docker.createContainer({ Image: IMAGE, ExposedPorts: { '8080/tcp': {} }, HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } }, Labels: { 'p2pfaas.bench': '1' } })
    await c.start()
    const port = (await c.inspect()).NetworkSettings.Ports['8080/tcp']![0]!.HostPort
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: payload }).catch(() => undefined)
      if (res?.status === 200) { await res.arrayBuffer(); break }
      await sleep(5)
    }
    bare.push(performance.now() - t0)
    await c.remove({ force: true })
  }

  // Warm: the node's containers, called through the node and directly, in alternating blocks.
  await manage('DELETE', { functionName: 'echo' })
  const deployed = await manage('POST', deployBody)
  if (deployed.status !== 202) throw new Error(`deploy: ${deployed.status}`)
  const nodeId = (await (await fetch(`${nodeUrl}/mesh`)).json() as { self: { peerId: string } }).self.peerId
  const containers = await docker.listContainers({ filters: { label: [`p2pfaas.node=${nodeId}`, 'p2pfaas.function=echo'] } })
  const direct = containers.map(c => new Pool(`http://127.0.0.1:${c.Ports.find(p => p.PrivatePort === 8080)!.PublicPort}`, { connections: CLIENTS }))
  const viaNode = new Pool(nodeUrl, { connections: CLIENTS })
  const proxyPort = await freePort()
  const proxy = spawn(process.execPath, [repoPath('bench', 'bare-proxy.mjs'), String(proxyPort), ...containers.map(c => String(c.Ports.find(p => p.PrivatePort === 8080)!.PublicPort))], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise(resolve => proxy.stdout!.once('data', resolve))
  const viaProxy = new Pool(`http://127.0.0.1:${proxyPort}`, { connections: CLIENTS })
  await latencies(viaProxy, '/', 200)
  await latencies(viaNode, '/function/echo', 200)
  for (const d of direct) await latencies(d, '/', 50)

  const ours: number[] = []
  const bareCalls: number[] = []
  const proxyCalls: number[] = []
  const oursTput: number[] = []
  const directTput: number[] = []
  const proxyTput: number[] = []
  for (let b = 0; b < BLOCKS; b++) {
    ours.push(...await latencies(viaNode, '/function/echo', SEQUENTIAL_CALLS / BLOCKS))
    bareCalls.push(...await latencies(direct[b % direct.length]!, '/', SEQUENTIAL_CALLS / BLOCKS))
    proxyCalls.push(...await latencies(viaProxy, '/', SEQUENTIAL_CALLS / BLOCKS))
    oursTput.push(await throughput([{ pool: viaNode, path: '/function/echo' }], THROUGHPUT_SECONDS / BLOCKS * 2))
    directTput.push(await throughput(direct.map(pool => ({ pool, path: '/' })), THROUGHPUT_SECONDS / BLOCKS * 2))
    proxyTput.push(await throughput([{ pool: viaProxy, path: '/' }], THROUGHPUT_SECONDS / BLOCKS * 2))
  }
  proxy.kill('SIGTERM')
  await viaProxy.close()
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length

  console.log(`\nWarm calls, 100-byte echo, one run, alternating blocks (${new Date().toISOString()})`)
  console.log(`  sequential latency  through the node: p50 ${pct(ours, 50).toFixed(3)} ms  p99 ${pct(ours, 99).toFixed(3)} ms   (${ours.length} calls)`)
  console.log(`                      direct to container: p50 ${pct(bareCalls, 50).toFixed(3)} ms  p99 ${pct(bareCalls, 99).toFixed(3)} ms   (${bareCalls.length} calls)`)
  console.log(`                      bare Node.js proxy: p50 ${pct(proxyCalls, 50).toFixed(3)} ms  p99 ${pct(proxyCalls, 99).toFixed(3)} ms`)
  console.log(`                      added by the node: p50 +${(pct(ours, 50) - pct(bareCalls, 50)).toFixed(3)} ms, p99 +${(pct(ours, 99) - pct(bareCalls, 99)).toFixed(3)} ms (a bare proxy adds p50 +${(pct(proxyCalls, 50) - pct(bareCalls, 50)).toFixed(3)} ms)`)
  console.log(`  throughput, ${CLIENTS} clients, ${CLIENTS} containers: through the node ${mean(oursTput).toFixed(0)}/s, direct ${mean(directTput).toFixed(0)}/s, bare proxy ${mean(proxyTput).toFixed(0)}/s`)
  console.log(`                      ratio node/direct ${(mean(oursTput) / mean(directTput)).toFixed(2)}, node/bare proxy ${(mean(oursTput) / mean(proxyTput)).toFixed(2)}, bare proxy/direct ${(mean(proxyTput) / mean(directTput)).toFixed(2)} (on ${availableParallelism()} cores shared by client, proxy and containers)`)
  console.log(`Cold start (${COLD_REPS} reps): deploy → first answer ${cold.map(x => x.toFixed(0)).join(', ')} ms (median ${pct(cold, 50).toFixed(0)}); bare create+start+first answer ${bare.map(x => x.toFixed(0)).join(', ')} ms (median ${pct(bare, 50).toFixed(0)}); ratio ${(pct(cold, 50) / pct(bare, 50)).toFixed(2)}`)
  await viaNode.close()
  for (const d of direct) await d.close()
} finally {
  node.kill('SIGTERM')
  await new Promise(resolve => node.once('exit', resolve))
  await rm(dir, { recursive: true, force: true })
  for (const c of await docker.listContainers({ all: true, filters: { label: ['p2pfaas.bench=1'] } })) await docker.getContainer(c.Id).remove({ force: true })
}
