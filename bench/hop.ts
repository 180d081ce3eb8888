import '../src/polyfill.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { Pool } from 'undici'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { startNodeProcess, type NodeProcess } from './node-process.js'
import { CLI, repoPath } from '../test/helpers/cli.js'

/**
 * One hop, measured side by side in one run: the same call run locally on node A (bypass) and
 * handed to node B (forward), and, as the floor of what a hop costs, a bare libp2p echo of the
 * same bytes between two processes (new stream per call, like the invoke protocol). Then the
 * throughput of forwarded calls through one node.
 *   npm run bench:hop        (Docker engine and `npm run images` for the echo function)
 */

const CALLS = 1500
const BLOCKS = 5
const CLIENTS = 8
const SECONDS = 4
const payload = Buffer.alloc(1024, 'x')
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]! }


type NodeProc = NodeProcess
const startNode = async (bootstrap?: string): Promise<NodeProc> => await startNodeProcess({ bootstrap: bootstrap != null ? [bootstrap] : [], runtime: 'docker', tag: 'hop' })

async function timed (fn: () => Promise<void>, n: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) { const t0 = performance.now(); await fn(); out.push(performance.now() - t0) }
  return out
}

const a = await startNode()
const b = await startNode(a.addr)
const echoProc = spawn(process.execPath, [repoPath('bench', 'bare-echo.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] })
// A stock libp2p client (tcp, noise, yamux), like the echo server: both ends of the floor are bare.
const client = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
try {
  for (const n of [a, b]) {
    const res = await fetch(`${n.url}/system/functions`, { method: 'POST', headers: { authorization: n.auth, 'content-type': 'application/json' }, body: JSON.stringify({ service: 'echo', image: 'p2pfaas/fn-echo:latest', labels: { 'p2pfaas.concurrency': '8', 'p2pfaas.min-warm': '8', 'p2pfaas.queue': '64' } }) })
    if (res.status !== 202) throw new Error(`deploy: ${res.status} ${await res.text()}`)
  }
  for (let i = 0; ; i++) {
    const view = await (await fetch(`${a.url}/mesh`)).json() as { peers: Array<{ connected: boolean, functions: string[] }> }
    if (view.peers.some(p => p.connected && p.functions.includes('echo'))) break
    if (i > 200) throw new Error('A never saw echo on B')
    await sleep(50)
  }
  const echoAddr = await new Promise<string>(resolve => echoProc.stdout!.once('data', d => { resolve(String(d).trim()) }))
  await client.start()
  const conn = await client.dial(multiaddr(echoAddr))
  const bareEcho = async (): Promise<void> => {
    const stream = await conn.newStream('/bench/echo/1.0.0')
    const lp = lpStream(stream)
    await lp.write(payload)
    await lp.read()
    await stream.close()
  }
  const pool = new Pool(a.url, { connections: CLIENTS })
  const call = (header: string) => async (): Promise<void> => {
    const res = await pool.request({ method: 'POST', path: '/function/echo', body: payload, headers: { [header]: 'true' } })
    await res.body.dump()
    if (res.statusCode !== 200) throw new Error(`${header}: ${res.statusCode}`)
    if (header === 'x-p2pfaas-scheduler-forward' && res.headers['x-p2pfaas-externally-executed'] !== 'True') throw new Error('not forwarded')
  }
  const local = call('x-p2pfaas-scheduler-bypass')
  const forwarded = call('x-p2pfaas-scheduler-forward')
  await timed(local, 300); await timed(forwarded, 300); await timed(bareEcho, 300)

  const l: number[] = []; const f: number[] = []; const e: number[] = []
  for (let i = 0; i < BLOCKS; i++) {
    l.push(...await timed(local, CALLS / BLOCKS))
    f.push(...await timed(forwarded, CALLS / BLOCKS))
    e.push(...await timed(bareEcho, CALLS / BLOCKS))
  }
  let done = 0
  const end = performance.now() + SECONDS * 1000
  await Promise.all(Array.from({ length: CLIENTS }, async () => { while (performance.now() < end) { await forwarded(); done++ } }))
  let localDone = 0
  const end2 = performance.now() + SECONDS * 1000
  await Promise.all(Array.from({ length: CLIENTS }, async () => { while (performance.now() < end2) { await local(); localDone++ } }))
  await pool.close()

  const added50 = pct(f, 50) - pct(l, 50)
  const added99 = pct(f, 99) - pct(l, 99)
  console.log(`\nOne hop, 1 KiB echo through node A, ${CALLS} sequential calls each, alternating blocks (${new Date().toISOString()})`)
  console.log(`  local on A (bypass):      p50 ${pct(l, 50).toFixed(3)} ms  p99 ${pct(l, 99).toFixed(3)} ms`)
  console.log(`  handed to B (forward):    p50 ${pct(f, 50).toFixed(3)} ms  p99 ${pct(f, 99).toFixed(3)} ms`)
  console.log(`  added by the hop:         p50 +${added50.toFixed(3)} ms  p99 +${added99.toFixed(3)} ms`)
  console.log(`  bare libp2p echo (floor): p50 ${pct(e, 50).toFixed(3)} ms  p99 ${pct(e, 99).toFixed(3)} ms  (new stream per call, same bytes, one existing connection)`)
  console.log(`  hop cost / floor:         p50 ${(added50 / pct(e, 50)).toFixed(2)}x  p99 ${(added99 / pct(e, 99)).toFixed(2)}x`)
  console.log(`Throughput, ${CLIENTS} clients for ${SECONDS} s: forwarded A→B ${(done / SECONDS).toFixed(0)} calls/s, local on A ${(localDone / SECONDS).toFixed(0)} calls/s, ratio ${(done / localDone).toFixed(2)}`)
} finally {
  await client.stop()
  echoProc.kill('SIGTERM')
  for (const n of [b, a]) {
    n.proc.kill('SIGTERM')
    await new Promise(resolve => n.proc.once('exit', resolve))
    await rm(n.dir, { recursive: true, force: true })
  }
}
