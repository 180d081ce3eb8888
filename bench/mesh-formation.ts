import '../src/polyfill.js'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeLoadMessage } from '../src/mesh/load-message.js'
import { EMPTY_LOAD } from '../src/mesh/load.js'
import { CLI, repoPath } from '../test/helpers/cli.js'
import { newPeer } from '../test/helpers/keys.js'
import { createLan, type Host, type HostProcess, type Lan } from '../test/helpers/lan.js'

/**
 * Mesh formation, load-view staleness, gossip traffic and memory, for N nodes on a LAN of network
 * namespaces, each figure beside its floor measured in the same run: a bare libp2p+mDNS node for
 * formation and memory, the heartbeat for staleness, the load payload for traffic.
 *   npm run bench:mesh            (N = 3 and 8)
 *   npm run bench:mesh -- 3 5 8   (other sizes)
 */

const BARE_NODE = repoPath('bench', 'bare-node.mjs')
const HEARTBEAT_MS = 1000
const MDNS_INTERVAL_MS = 5000
const SAMPLE_MS = 10_000

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))] ?? NaN
const fmt = (n: number, digits = 0): string => n.toFixed(digits)

function ifaceBytes (lan: Lan, host: Host): number {
  const i = host.ip.split('.').pop()
  const out = execFileSync('ip', ['-n', host.name, '-s', '-j', 'link', 'show', 'dev', `pf${lan.id}v${i}`]).toString()
  const stats = JSON.parse(out)[0].stats64
  return stats.rx.bytes + stats.tx.bytes
}

async function rssMiB (proc: HostProcess): Promise<number> {
  const status = await readFile(`/proc/${proc.proc.pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024
}

interface Result {
  n: number
  formationMs: number
  healthyToFullMs: number
  bareFormationMs: number
  stalenessP50?: number
  stalenessP99?: number
  stalenessMax?: number
  bytesPerNodePerSec?: number
  payloadFloorPerNodePerSec?: number
  rssMiB: number
  bareRssMiB: number
}

async function oursFor (n: number, withSteadyState: boolean): Promise<Omit<Result, 'bareFormationMs' | 'bareRssMiB'>> {
  const lan = createLan(n)
  const dir = await mkdtemp(join(tmpdir(), 'p2pfaas-bench-'))
  try {
    const t0 = performance.now()
    const nodes = lan.hosts.map(h => h.spawn(process.execPath, [CLI, 'node', '--data-dir', join(dir, h.name), '--mdns-interval', String(MDNS_INTERVAL_MS), '--log-level', process.env.BENCH_LOG_LEVEL ?? 'warn']))
    let healthyAt = 0
    const healthy = new Set<string>()
    for (;;) {
      const views = await Promise.all(lan.hosts.map(async h => await lan.mesh(h)))
      views.forEach((v, i) => { if (v != null && !healthy.has(lan.hosts[i]!.name)) { healthy.add(lan.hosts[i]!.name); healthyAt = performance.now() } })
      if (views.every(v => v != null && v.peers.filter(p => p.connected).length === n - 1)) break
      const dead = nodes.find(p => p.proc.exitCode != null)
      if (dead != null || performance.now() - t0 > 30_000) {
        throw new Error(`no full mesh of ${n}${dead != null ? ': a node exited' : ' after 30 s'}\n${nodes.map(p => p.output.slice(-15).join('\n')).join('\n---\n')}`)
      }
      await sleep(20)
    }
    const full = performance.now()
    const result: Omit<Result, 'bareFormationMs' | 'bareRssMiB'> = { n, formationMs: full - t0, healthyToFullMs: full - healthyAt, rssMiB: 0 }
    if (withSteadyState) {
      await sleep(2000)
      // Traffic first, with nobody polling: only what the nodes themselves send crosses the wire.
      const before = lan.hosts.map(h => ifaceBytes(lan, h))
      const quietStart = performance.now()
      await sleep(SAMPLE_MS)
      const quietSeconds = (performance.now() - quietStart) / 1000
      const after = lan.hosts.map(h => ifaceBytes(lan, h))
      result.bytesPerNodePerSec = after.reduce((sum, b, i) => sum + b - before[i]!, 0) / n / quietSeconds
      const { peerId } = await newPeer()
      const msgBytes = encodeLoadMessage({ nodeId: peerId, incarnation: BigInt(Date.now()), seq: 1000n, timeMs: Date.now(), load: EMPTY_LOAD }).byteLength
      // Floor: each node sends its message to, and receives one from, every other node once a heartbeat.
      result.payloadFloorPerNodePerSec = 2 * (n - 1) * msgBytes * (1000 / HEARTBEAT_MS)

      const started = performance.now()
      const ages: number[] = []
      while (performance.now() - started < SAMPLE_MS) {
        const views = await Promise.all(lan.hosts.map(async h => await lan.mesh(h)))
        for (const v of views) for (const p of v?.peers ?? []) ages.push(p.lastSeenMs)
        await sleep(97)
      }
      ages.sort((a, b) => a - b)
      result.stalenessP50 = pct(ages, 50)
      result.stalenessP99 = pct(ages, 99)
      result.stalenessMax = ages[ages.length - 1]
    }
    const rss = await Promise.all(nodes.map(rssMiB))
    result.rssMiB = rss.reduce((a, b) => a + b, 0) / rss.length
    return result
  } finally {
    await lan.destroy()
    await rm(dir, { recursive: true, force: true })
  }
}

async function bareFor (n: number): Promise<{ formationMs: number, rssMiB: number }> {
  const lan = createLan(n)
  try {
    const t0 = performance.now()
    const nodes = lan.hosts.map(h => h.spawn(process.execPath, [BARE_NODE, String(MDNS_INTERVAL_MS)]))
    for (;;) {
      const connected = nodes.map(p => new Set(p.output.filter(l => l.startsWith('connect ')).map(l => l.split(' ')[1])).size)
      if (connected.every(c => c >= n - 1)) break
      if (performance.now() - t0 > 30_000) throw new Error(`bare nodes: no full mesh of ${n} after 30 s`)
      await sleep(20)
    }
    const formationMs = performance.now() - t0
    await sleep(500)
    const rss = await Promise.all(nodes.map(rssMiB))
    return { formationMs, rssMiB: rss.reduce((a, b) => a + b, 0) / rss.length }
  } finally {
    await lan.destroy()
  }
}

const sizes = process.argv.slice(2).map(Number).filter(n => Number.isInteger(n) && n >= 2 && n <= 16)
const results: Result[] = []
for (const n of sizes.length > 0 ? sizes : [3, 8]) {
  const steady = n === Math.max(...(sizes.length > 0 ? sizes : [3, 8]))
  process.stderr.write(`N=${n}: P2PFaaS nodes...\n`)
  const ours = await oursFor(n, steady)
  process.stderr.write(`N=${n}: bare libp2p nodes...\n`)
  const bare = await bareFor(n)
  results.push({ ...ours, bareFormationMs: bare.formationMs, bareRssMiB: bare.rssMiB })
}

console.log(`\nMesh formation on a LAN of network namespaces (mDNS interval ${MDNS_INTERVAL_MS} ms, heartbeat ${HEARTBEAT_MS} ms, ${new Date().toISOString()})`)
console.log('N  | spawn→full mesh | bare libp2p spawn→full | ratio | first /healthz→full | RSS/node | bare RSS | ratio')
for (const r of results) {
  console.log(`${String(r.n).padEnd(2)} | ${fmt(r.formationMs).padStart(12)} ms | ${fmt(r.bareFormationMs).padStart(19)} ms | ${fmt(r.formationMs / r.bareFormationMs, 2).padStart(5)} | ${fmt(r.healthyToFullMs).padStart(16)} ms | ${fmt(r.rssMiB, 1).padStart(4)} MiB | ${fmt(r.bareRssMiB, 1).padStart(4)} MiB | ${fmt(r.rssMiB / r.bareRssMiB, 2)}`)
}
for (const r of results.filter(r => r.stalenessP50 != null)) {
  console.log(`\nAt N=${r.n}, over ${SAMPLE_MS / 1000} s of steady state:`)
  console.log(`  load-view staleness (age of each peer's last load message, sampled ${''}every ~100 ms): p50 ${r.stalenessP50} ms, p99 ${r.stalenessP99} ms, max ${r.stalenessMax} ms; p99/heartbeat = ${fmt(r.stalenessP99! / HEARTBEAT_MS, 2)}`)
  console.log(`  traffic per node, everything on its interface (gossip + gossipsub control + mDNS + pings), in+out: ${fmt(r.bytesPerNodePerSec!)} B/s; load payload floor ${fmt(r.payloadFloorPerNodePerSec!)} B/s; ratio ${fmt(r.bytesPerNodePerSec! / r.payloadFloorPerNodePerSec!, 2)}`)
}
