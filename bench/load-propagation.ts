import '../src/polyfill.js'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { loopbackMesh, ManualLoad, waitFor } from '../test/helpers/mesh.js'
import type { Mesh } from '../src/mesh/mesh.js'
import type { NodeLoad } from '../src/mesh/load.js'

/**
 * How long a load change takes to reach every neighbour's view, for N in-process nodes on loopback
 * (N <= links + 1, so every node is every other's neighbour), beside the floor: the same nodes
 * writing a 40-byte frame on a long-lived raw libp2p stream to each other node (no coalescing, no
 * view). Changes are spaced beyond the 100 ms coalescing window, so this measures the path, not
 * the rate limit.
 *   npm run bench:propagation [-- N]
 */
const FLOOR_PROTOCOL = '/p2pfaas/bench-floor/1.0.0'
const loadWith = (queued: number): NodeLoad => ({ functions: [{ name: 'bench', queued, running: 0, capacity: 4 }], totals: { queued, running: 0, capacity: 4 } })
const n = Number(process.argv[2] ?? 8)
const CHANGES = 60
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]! }

const loads = Array.from({ length: n }, () => new ManualLoad())
const meshes: Mesh[] = []
for (let i = 0; i < n; i++) {
  meshes.push(await loopbackMesh({ load: loads[i], heartbeatMs: 1000, bootstrap: meshes.map(m => multiaddr(m.addrs()[0]!)) }))
}
try {
  for (const l of loads) l.set(loadWith(0))
  await waitFor('full mesh', () => meshes.every(m => m.view.all().filter(p => p.link && p.functions.includes('bench')).length === n - 1), 20_000)
  await sleep(1500)

  const ours: number[] = []
  for (let c = 0; c < CHANGES; c++) {
    const i = c % n
    const origin = meshes[i]!.peerId.toString()
    const marker = c + 1
    const t0 = performance.now()
    const arrivals = meshes.filter((_, j) => j !== i).map(async m => await new Promise<void>(resolve => {
      const onUpdate = (evt: CustomEvent<{ peerId: string, load: { totals: { queued: number } } }>): void => {
        if (evt.detail.peerId === origin && evt.detail.load.totals.queued === marker) {
          ours.push(performance.now() - t0)
          m.view.removeEventListener('peer:update', onUpdate as any)
          resolve()
        }
      }
      m.view.addEventListener('peer:update', onUpdate as any)
    }))
    loads[i]!.set(loadWith(marker))
    await Promise.race([Promise.all(arrivals), sleep(3000)])
    await sleep(150)
  }

  // Floor: a raw libp2p stream from every node to every other on the same connections, one frame per message.
  const received = new Map<Mesh, (byte: number) => void>()
  for (const m of meshes) {
    await m.libp2p.handle(FLOOR_PROTOCOL, stream => {
      const lp = lpStream(stream)
      void (async () => { for (;;) { const b = await lp.read().catch(() => undefined); if (b == null) return; received.get(m)?.(b.subarray()[0]!) } })()
    })
  }
  const writers = new Map<Mesh, Array<ReturnType<typeof lpStream>>>()
  for (const m of meshes) {
    const out = []
    for (const o of meshes) if (o !== m) out.push(lpStream(await m.libp2p.dialProtocol(o.peerId, FLOOR_PROTOCOL)))
    writers.set(m, out)
  }
  await sleep(500)
  const floor: number[] = []
  for (let c = 0; c < CHANGES; c++) {
    const i = c % n
    const t0 = performance.now()
    const arrivals = meshes.filter((_, j) => j !== i).map(async m => await new Promise<void>(resolve => {
      received.set(m, byte => { if (byte === (c & 0xff)) { floor.push(performance.now() - t0); received.delete(m); resolve() } })
    }))
    const frame = new Uint8Array([c & 0xff, ...new Array(39).fill(0)])
    await Promise.all(writers.get(meshes[i]!)!.map(async w => { await w.write(frame) }))
    await Promise.race([Promise.all(arrivals), sleep(3000)])
    await sleep(150)
  }

  const expected = CHANGES * (n - 1)
  console.log(`\nLoad-change propagation, N=${n} nodes in one process on loopback, ${CHANGES} changes (${new Date().toISOString()})`)
  console.log(`  load change → peer's view: p50 ${pct(ours, 50).toFixed(2)} ms, p99 ${pct(ours, 99).toFixed(2)} ms, delivered ${ours.length}/${expected}`)
  console.log(`  raw libp2p stream floor:   p50 ${pct(floor, 50).toFixed(2)} ms, p99 ${pct(floor, 99).toFixed(2)} ms, delivered ${floor.length}/${expected}`)
  console.log(`  ratio ours/floor: p50 ${(pct(ours, 50) / pct(floor, 50)).toFixed(2)}, p99 ${(pct(ours, 99) / pct(floor, 99)).toFixed(2)}; versus waiting for the 1 s pulse: p99 is ${(pct(ours, 99) / 1000 * 100).toFixed(1)} % of it`)
} finally {
  await Promise.all(meshes.map(async m => { await m.stop() }))
}
