import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newSwarmKey } from '../../src/mesh/swarm-key.js'
import { CLI, repoPath } from '../helpers/cli.js'
import { createLan, type Host, type HostProcess, type Lan } from '../helpers/lan.js'
import { waitFor } from '../helpers/mesh.js'
import type { MeshResponse } from '../../src/gateway/mesh.js'

/**
 * Real processes on real hosts: each node runs in its own network namespace on a bridged LAN,
 * finds the others by mDNS alone (no bootstrap), and is probed over HTTP from inside the LAN.
 */

const FOREIGN_NODE = repoPath('test', 'helpers', 'foreign-node.mjs')

let lan: Lan
let dir: string
let keyFile: string
let otherKeyFile: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pfaas-lan-'))
  keyFile = join(dir, 'swarm.key')
  otherKeyFile = join(dir, 'other.key')
  await writeFile(keyFile, newSwarmKey(), { mode: 0o600 })
  await writeFile(otherKeyFile, newSwarmKey(), { mode: 0o600 })
  lan = createLan(0)
})

afterAll(async () => {
  await lan?.destroy()
  await rm(dir, { recursive: true, force: true })
})

function startNode (host: Host, opts: { key?: string, dataDir?: string } = {}): HostProcess {
  const args = [CLI, 'node', '--mdns-interval', '1000', '--data-dir', opts.dataDir ?? join(dir, host.name), '--log-level', 'debug']
  if (opts.key != null) args.push('--swarm-key', opts.key)
  return host.spawn(process.execPath, args, { P2PFAAS_LOG_LEVEL: undefined })
}

const peersOf = (view: MeshResponse | undefined): string[] => view?.peers.map(p => p.peerId) ?? []

async function whoIs (host: Host): Promise<string> {
  return await waitFor(`${host.name} up`, async () => (await lan.mesh(host))?.self.peerId, 10_000, 50)
}

function explain (procs: HostProcess[]): string {
  return procs.map((p, i) => `--- node ${i}\n${p.output.slice(-30).join('\n')}`).join('\n')
}

describe('a LAN of namespaces, mDNS only', () => {
  const hosts: Host[] = []
  const nodes: HostProcess[] = []
  const ids: string[] = []

  /** Every node lists every other as connected, with load fresher than two heartbeats. */
  async function fullMesh (): Promise<boolean> {
    const views = await Promise.all(hosts.map(async h => await lan.mesh(h)))
    return views.every((v, i) => v != null && ids.every((id, j) => j === i ||
      v.peers.some(p => p.peerId === id && p.connected && p.lastSeenMs < 2000)))
  }

  it('three nodes with no bootstrap form a full mesh within 3 s of starting', async () => {
    for (let i = 0; i < 3; i++) hosts.push(lan.addHost())
    for (const h of hosts) nodes.push(startNode(h, { key: keyFile }))
    for (const h of hosts) ids.push(await whoIs(h))
    const up = performance.now()
    await waitFor('full mesh', fullMesh, 3000, 50).catch(err => { throw new Error(`${err.message}\n${explain(nodes)}`) })
    const took = performance.now() - up
    expect(took).toBeLessThan(3000)
    const view = await lan.mesh(hosts[0]!)
    expect(view?.self.addrs.some(a => a.includes(hosts[0]!.ip))).toBe(true)
    expect(view?.peers.find(p => p.peerId === ids[1])?.addrs.some(a => a.includes(hosts[1]!.ip))).toBe(true)
    expect(view?.peers.find(p => p.peerId === ids[1])?.load).toEqual({ functions: [], totals: { queued: 0, running: 0, capacity: 0 } })
  })

  it('a node killed with SIGKILL leaves the others\' views within 5 s', async () => {
    await nodes[2]!.kill('SIGKILL')
    const killed = performance.now()
    await waitFor('node 3 gone', async () => {
      const views = await Promise.all(hosts.slice(0, 2).map(async h => await lan.mesh(h)))
      return views.every(v => v != null && !peersOf(v).includes(ids[2]!))
    }, 5000, 50)
    expect(performance.now() - killed).toBeLessThan(5000)
  })

  it('restarted with the same data dir, it keeps its PeerId and is back within 5 s', async () => {
    nodes[2] = startNode(hosts[2]!, { key: keyFile, dataDir: join(dir, hosts[2]!.name) })
    const started = performance.now()
    expect(await whoIs(hosts[2]!)).toBe(ids[2])
    await waitFor('full mesh again', fullMesh, 5000, 50).catch(err => { throw new Error(`${err.message}\n${explain(nodes)}`) })
    expect(performance.now() - started).toBeLessThan(5000)
  })

  it('nodes with another swarm key, or none, never join the keyed mesh', async () => {
    const strangerHost = lan.addHost()
    const openHost = lan.addHost()
    const stranger = startNode(strangerHost, { key: otherKeyFile })
    const open = startNode(openHost)
    const strangerId = await whoIs(strangerHost)
    const openId = await whoIs(openHost)
    // Several mDNS rounds: they hear of the keyed nodes and try to dial them.
    const until = performance.now() + 3500
    while (performance.now() < until) {
      for (const h of hosts) {
        const peers = peersOf(await lan.mesh(h))
        expect(peers).not.toContain(strangerId)
        expect(peers).not.toContain(openId)
      }
      await new Promise(resolve => setTimeout(resolve, 250))
    }
    expect(peersOf(await lan.mesh(strangerHost))).toEqual([])
    expect(peersOf(await lan.mesh(openHost))).toEqual([])
    expect(open.output.join('\n')).toMatch(/the mesh is open/)
    // They did hear of the keyed nodes (so the test is not passing for lack of trying).
    expect(stranger.output.join('\n') + open.output.join('\n')).toMatch(/discovered peer/)
    expect(await fullMesh()).toBe(true)
    await Promise.all([stranger.kill(), open.kill()])
  })
})

describe('an open LAN with a stranger', () => {
  it('an unrelated libp2p node is never taken for a P2PFaaS peer', async () => {
    const a = lan.addHost()
    const b = lan.addHost()
    const f = lan.addHost()
    const nodeA = startNode(a)
    const nodeB = startNode(b)
    const foreign = f.spawn(process.execPath, [FOREIGN_NODE], { NODE_PATH: '' })
    const foreignId = await waitFor('foreign node id', () => foreign.output.find(l => l.startsWith('peerId '))?.slice(7), 10_000)
    const idA = await whoIs(a)
    const idB = await whoIs(b)
    await waitFor('a and b meshed', async () => peersOf(await lan.mesh(a)).includes(idB) && peersOf(await lan.mesh(b)).includes(idA), 5000, 50)
      .catch(err => { throw new Error(`${err.message}\n${explain([nodeA, nodeB, foreign])}`) })
    // The stranger finds them on their own mDNS tag and connects...
    await waitFor('stranger connects', () => foreign.output.some(l => l.startsWith('connect ')), 5000)
    const until = performance.now() + 2500
    while (performance.now() < until) {
      expect(peersOf(await lan.mesh(a))).not.toContain(foreignId)
      expect(peersOf(await lan.mesh(b))).not.toContain(foreignId)
      await new Promise(resolve => setTimeout(resolve, 250))
    }
    // ...and is hung up on once identify shows it is not one of us.
    expect(foreign.output.some(l => l.startsWith('disconnect '))).toBe(true)
    expect(nodeA.output.join('\n') + nodeB.output.join('\n')).toMatch(/not a P2PFaaS node: hanging up/)
    await Promise.all([nodeA.kill(), nodeB.kill(), foreign.kill()])
  })
})
