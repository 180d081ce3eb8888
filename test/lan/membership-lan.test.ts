import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI } from '../helpers/cli.js'
import { createLan, type Host, type HostProcess, type Lan } from '../helpers/lan.js'
import { waitFor } from '../helpers/mesh.js'

/**
 * Membership on a LAN of real node processes (mDNS only, default heartbeat), with fewer links per
 * node than peers, so most members are known through others: a node killed outright, a partition
 * and its healing. Every view is read from inside the LAN over HTTP.
 */

const N = 7
let lan: Lan
let dir: string
const nodes: HostProcess[] = []
const ids: string[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pfaas-lan-members-'))
  lan = createLan(N)
  for (const h of lan.hosts) {
    nodes.push(h.spawn(process.execPath, [CLI, 'node', '--runtime', 'process', '--links', '3', '--data-dir', join(dir, h.name), '--log-level', 'info']))
  }
  for (const h of lan.hosts) ids.push(await waitFor(`${h.name} up`, async () => (await lan.mesh(h))?.self.peerId, 20_000, 100))
}, 60_000)

afterAll(async () => {
  await lan?.destroy()
  if (dir != null) await rm(dir, { recursive: true, force: true })
})

function explain (): string {
  return nodes.map((p, i) => `--- node ${i + 1}\n${p.output.slice(-12).join('\n')}`).join('\n')
}

async function describeViews (): Promise<string> {
  const short = (id: string): string => `n${ids.indexOf(id) + 1}`
  const views = await Promise.all(lan.hosts.map(async h => await lan.mesh(h)))
  return views.map((v, i) => `n${i + 1}: ${v == null ? 'no answer' : v.peers.map(p => `${short(p.peerId)}${p.link ? '*' : ''}(${p.lastSeenMs})`).join(' ')}`).join('\n')
}

/** Each host in `hosts` lists exactly the members `expected` (by index), no more, no fewer. */
async function viewsAre (hosts: Host[], expected: number[]): Promise<boolean> {
  const views = await Promise.all(hosts.map(async h => await lan.mesh(h)))
  return views.every((v, k) => {
    if (v == null) return false
    const self = v.self.peerId
    const want = expected.map(i => ids[i]!).filter(p => p !== self).sort()
    const have = v.peers.map(p => p.peerId).sort()
    return have.length === want.length && have.every((p, i) => p === want[i])
  }) && hosts.length > 0
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)

describe(`membership on a LAN of ${N} nodes with 3 links each`, () => {
  it('every node knows every member, most of them through others', async () => {
    await waitFor('full membership', async () => await viewsAre(lan.hosts, range(0, N)), 20_000, 200).catch(err => { throw new Error(`${err.message}\n${explain()}`) })
    const views = await Promise.all(lan.hosts.map(async h => await lan.mesh(h)))
    for (const v of views) {
      const links = v!.peers.filter(p => p.link).length
      expect(links).toBeGreaterThanOrEqual(1)
      expect(links).toBeLessThanOrEqual(3 + 2 + 4)
      // Every member comes with where to reach it, its functions, and how long since it was heard of.
      for (const p of v!.peers) {
        expect(p.addrs.some(a => a.startsWith('/ip4/10.77.0.'))).toBe(true)
        expect(p.lastSeenMs).toBeGreaterThanOrEqual(0)
      }
    }
    // With 3 links and 6 peers, some members are known without a link to them.
    expect(views.some(v => v!.peers.some(p => !p.link))).toBe(true)
  })

  it('a node killed with SIGKILL leaves every view within 5 s', async () => {
    const victim = N - 1
    await nodes[victim]!.kill('SIGKILL')
    const killed = performance.now()
    await waitFor('victim gone everywhere', async () => await viewsAre(lan.hosts.slice(0, victim), range(0, victim)), 5000, 100)
      .catch(err => { throw new Error(`${err.message}\n${explain()}`) })
    expect(performance.now() - killed).toBeLessThan(5000)
  })

  it('a partition: each side drops the other within 5 s, and the mesh is whole again within 5 s of the heal', async () => {
    const alive = lan.hosts.slice(0, N - 1)
    const sideA = range(0, 3)
    const sideB = range(3, N - 1)
    lan.partition(sideB.map(i => lan.hosts[i]!))
    const cut = performance.now()
    await waitFor('each side alone', async () =>
      await viewsAre(sideA.map(i => lan.hosts[i]!), sideA) && await viewsAre(sideB.map(i => lan.hosts[i]!), sideB), 5000, 100)
      .catch(async err => { throw new Error(`${err.message}\n${await describeViews()}\n${explain()}`) })
    const split = performance.now() - cut
    expect(split).toBeLessThan(5000)
    // Long enough for the redial backoff to grow: the heal must not wait for it.
    await new Promise(resolve => setTimeout(resolve, 6000))
    lan.heal()
    const healed = performance.now()
    await waitFor('whole again', async () => await viewsAre(alive, range(0, N - 1)), 5000, 100)
      .catch(async err => { throw new Error(`${err.message}\n${await describeViews()}\n${explain()}`) })
    expect(performance.now() - healed).toBeLessThan(5000)
  }, 30_000)
})
