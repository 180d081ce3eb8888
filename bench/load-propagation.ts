import '../src/polyfill.js'
import { multiaddr } from '@multiformats/multiaddr'
import { loopbackMesh, ManualLoad, waitFor } from '../test/helpers/mesh.js'
import type { Mesh } from '../src/mesh/mesh.js'

/**
 * How long a load change takes to reach every other node's view, for N in-process nodes on
 * loopback, beside the floor: the same nodes' raw gossipsub delivery of a message on a scratch
 * topic (no coalescing, no validation, no view). Changes are spaced beyond the 100 ms coalescing
 * window, so this measures the path, not the rate limit.
 *   npm run bench:propagation [-- N]
 */
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
  await waitFor('full mesh', () => meshes.every(m => m.view.connected().length === n - 1), 20_000)
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
    loads[i]!.set({ functions: [], totals: { queued: marker, running: 0, capacity: 4 } })
    await Promise.race([Promise.all(arrivals), sleep(3000)])
    await sleep(150)
  }

  // Floor: raw gossipsub on the same connections, a scratch topic, no validator.
  const FLOOR_TOPIC = 'p2pfaas/bench-floor'
  for (const m of meshes) {
    const ps = m.libp2p.services.pubsub as any
    ps.allowedTopics?.add(FLOOR_TOPIC)
    ps.subscribe(FLOOR_TOPIC)
  }
  await sleep(1500)
  const floor: number[] = []
  for (let c = 0; c < CHANGES; c++) {
    const i = c % n
    const t0 = performance.now()
    const arrivals = meshes.filter((_, j) => j !== i).map(async m => await new Promise<void>(resolve => {
      const onMessage = (evt: CustomEvent<{ topic: string, data: Uint8Array }>): void => {
        if (evt.detail.topic === FLOOR_TOPIC && evt.detail.data[0] === (c & 0xff)) {
          floor.push(performance.now() - t0)
          m.libp2p.services.pubsub.removeEventListener('message', onMessage as any)
          resolve()
        }
      }
      m.libp2p.services.pubsub.addEventListener('message', onMessage as any)
    }))
    await meshes[i]!.libp2p.services.pubsub.publish(FLOOR_TOPIC, new Uint8Array([c & 0xff, ...new Array(40).fill(0)]))
    await Promise.race([Promise.all(arrivals), sleep(3000)])
    await sleep(150)
  }

  const expected = CHANGES * (n - 1)
  console.log(`\nLoad-change propagation, N=${n} nodes in one process on loopback, ${CHANGES} changes (${new Date().toISOString()})`)
  console.log(`  load change → peer's view: p50 ${pct(ours, 50).toFixed(2)} ms, p99 ${pct(ours, 99).toFixed(2)} ms, delivered ${ours.length}/${expected}`)
  console.log(`  raw gossipsub floor:       p50 ${pct(floor, 50).toFixed(2)} ms, p99 ${pct(floor, 99).toFixed(2)} ms, delivered ${floor.length}/${expected}`)
  console.log(`  ratio ours/floor: p50 ${(pct(ours, 50) / pct(floor, 50)).toFixed(2)}, p99 ${(pct(ours, 99) / pct(floor, 99)).toFixed(2)}; versus waiting for the 1 s heartbeat: p99 is ${(pct(ours, 99) / 1000 * 100).toFixed(1)} % of it`)
} finally {
  await Promise.all(meshes.map(async m => { await m.stop() }))
}
