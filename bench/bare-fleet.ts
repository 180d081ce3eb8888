import { createLan, type Lan } from '../test/helpers/lan.js'
import { repoPath } from '../test/helpers/cli.js'
import type { FleetProcess, FleetVariant } from '../test/helpers/fleet.js'

/**
 * The floor of a fleet: bare libp2p nodes (bench/bare-node.mjs: tcp, noise, yamux, identify and
 * stock @libp2p/mdns; no gossip, no view, no HTTP) on the same kind of LAN, started in the same
 * waves. mdns: every node dials every peer mDNS finds (a full mesh). bootstrap: no mDNS, every node
 * dials node 1 only (a star), which is all a bare node given one address does.
 */

const BARE_NODE = repoPath('bench', 'bare-node.mjs')
const MDNS_INTERVAL_MS = 5000

export interface BareFleet {
  lan: Lan
  variant: FleetVariant
  nodes: Array<FleetProcess & { index: number }>
  firstSpawnAt: number
  lastSpawnAt: number
  destroy(): Promise<void>
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const peerIdOf = (node: FleetProcess): string | undefined => node.proc.output.find(l => l.startsWith('peerId '))?.split(' ')[1]
/** Distinct peers this bare node has connected to so far. */
const connectedTo = (node: FleetProcess): number => new Set(node.proc.output.filter(l => l.startsWith('connect ')).map(l => l.split(' ')[1])).size

export async function startBareFleet (init: { n: number, variant: FleetVariant, wave?: number, waveTimeoutMs?: number }): Promise<BareFleet> {
  const { n, variant } = init
  const wave = Math.max(1, init.wave ?? 8)
  const lan = createLan(n)
  let destroyed: Promise<void> | undefined
  const destroy = async (): Promise<void> => { destroyed ??= lan.destroy(); await destroyed }
  try {
    const nodes: BareFleet['nodes'] = []
    let firstSpawnAt = 0
    let lastSpawnAt = 0
    const spawn = (j: number, bootstrap?: string): void => {
      const host = lan.hosts[j - 1]!
      const args = variant === 'mdns' ? [BARE_NODE, String(MDNS_INTERVAL_MS)] : [BARE_NODE, '--no-mdns', ...(bootstrap != null ? ['--bootstrap', bootstrap] : [])]
      nodes.push({ index: j, host, proc: host.spawn(process.execPath, args) })
      lastSpawnAt = performance.now()
      if (j === 1) firstSpawnAt = lastSpawnAt
    }
    const waitStarted = async (js: number[]): Promise<void> => {
      const deadline = performance.now() + (init.waveTimeoutMs ?? 120_000)
      for (;;) {
        const pending = js.map(j => nodes[j - 1]!).filter(node => peerIdOf(node) == null)
        if (pending.length === 0) return
        const dead = pending.find(node => node.proc.proc.exitCode != null || node.proc.proc.signalCode != null)
        if (dead != null) throw new Error(`bare node ${dead.index} exited while starting:\n${dead.proc.output.slice(-10).join('\n')}`)
        if (performance.now() > deadline) throw new Error(`bare nodes ${pending.map(p => p.index).join(', ')} did not start in time`)
        await sleep(50)
      }
    }
    const all = Array.from({ length: n }, (_, k) => k + 1)
    let bootstrap: string | undefined
    let rest = all
    if (variant === 'bootstrap') {
      spawn(1)
      await waitStarted([1])
      bootstrap = `/ip4/${lan.hosts[0]!.ip}/tcp/4001/p2p/${peerIdOf(nodes[0]!)!}`
      rest = all.slice(1)
    }
    for (let k = 0; k < rest.length; k += wave) {
      const js = rest.slice(k, k + wave)
      for (const j of js) spawn(j, bootstrap)
      await waitStarted(js)
    }
    return { lan, variant, nodes, firstSpawnAt, lastSpawnAt, destroy }
  } catch (err) {
    await destroy()
    throw err
  }
}

/** When every bare node had connected to all it dials (everyone; or, in a star, node 1): null if not within the bound. */
export async function waitForBareMesh (fleet: BareFleet, timeoutMs: number): Promise<number | null> {
  const n = fleet.nodes.length
  const want = (node: BareFleet['nodes'][number]): number => fleet.variant === 'mdns' || node.index === 1 ? n - 1 : 1
  const started = performance.now()
  for (;;) {
    if (fleet.nodes.every(node => connectedTo(node) >= want(node))) return performance.now()
    if (performance.now() - started > timeoutMs) return null
    await sleep(20)
  }
}
