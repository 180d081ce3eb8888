import { afterEach, describe, expect, it } from 'vitest'
import { RING_MIN_MEMBERS, ringLost, ringPlace, ringState, standingRing, type RingMember } from '../../src/mesh/ring.js'
import { loopbackMesh, waitFor } from '../helpers/mesh.js'
import type { Mesh } from '../../src/mesh/mesh.js'

/** Members p0..p(n-1), each linked to the next (wrapping) and to `extra` more. */
function ring (n: number, extra: Array<[number, number]> = []): RingMember[] {
  const links = Array.from({ length: n }, () => new Set<string>())
  const link = (a: number, b: number): void => { links[a]!.add(`p${b}`); links[b]!.add(`p${a}`) }
  for (let i = 0; i < n; i++) link(i, (i + 1) % n)
  for (const [a, b] of extra) link(a, b)
  return links.map((l, i) => ({ peerId: `p${i}`, links: [...l] }))
}

describe('the ring of watched links (pure)', () => {
  it('places a node between its neighbours in PeerId order, wrapping at both ends', () => {
    expect(ringPlace('b', ['c', 'a', 'd'])).toEqual({ pred: 'a', succ: 'c' })
    expect(ringPlace('a', ['c', 'b', 'd'])).toEqual({ pred: 'd', succ: 'b' })
    expect(ringPlace('d', ['a', 'b', 'c', 'd'])).toEqual({ pred: 'c', succ: 'a' })
    expect(ringPlace('a', [])).toEqual({})
  })

  it('is complete only when every member lists the next and the next lists it back', () => {
    expect(ringState('p2', ring(6)).complete).toBe(true)
    expect(ringState('p2', ring(6, [[0, 3], [1, 4]])).complete).toBe(true)
    // One end of one ring link not listing it (it dropped the link, or has not linked yet).
    const oneSided = ring(6).map(m => m.peerId === 'p4' ? { ...m, links: m.links.filter(l => l !== 'p5') } : m)
    expect(ringState('p2', oneSided).complete).toBe(false)
    // A member linked to others but not to its ring neighbour.
    const missing = ring(6).map(m => m.peerId === 'p0' ? { ...m, links: ['p2', 'p3'] } : m)
    expect(ringState('p2', missing).complete).toBe(false)
    // A member this node does not count yet sits between two that are linked: not its ring.
    expect(ringState('p2', [...ring(6), { peerId: 'p45', links: ['p4'] }]).complete).toBe(false)
  })

  it('tells a loss (a member gone, a ring link dropped) from a joiner that is not linked in yet', () => {
    const before = ring(6)
    expect(ringLost(before, before)).toBe(false)
    // A newcomer between p2 and p3, linked to p2 only: the ring is incomplete, but nothing was lost.
    const joined = [...before.map(m => m.peerId === 'p2' ? { ...m, links: [...m.links, 'p25'] } : m), { peerId: 'p25', links: ['p2'] }]
    expect(ringState('p0', joined).complete).toBe(false)
    expect(ringLost(before, joined)).toBe(false)
    // p4 gone from the view; p4 dropped by p5's record (its watcher found it silent).
    expect(ringLost(before, before.filter(m => m.peerId !== 'p4'))).toBe(true)
    expect(ringLost(before, before.map(m => m.peerId === 'p5' ? { ...m, links: m.links.filter(l => l !== 'p4') } : m))).toBe(true)
  })

  it('while members only joined since it was complete, keeps each old member in its place in the last complete ring', () => {
    const before = ring(6)
    // A newcomer between p2 and p3 is linked to p2 only: the ring over everyone is incomplete.
    const joined = [...before.map(m => m.peerId === 'p2' ? { ...m, links: [...m.links, 'p25'] } : m), { peerId: 'p25', links: ['p2'] }]
    const kept = standingRing('p3', before, joined)!
    expect({ pred: kept.pred, succ: kept.succ }).toEqual({ pred: 'p2', succ: 'p4' })
    // Old members' links are watched through it; the newcomer's are not.
    expect(kept.members.has('p0')).toBe(true)
    expect(kept.members.has('p25')).toBe(false)
    // The newcomer itself has no place in it: it watches all its links.
    expect(standingRing('p25', before, joined)).toBeUndefined()
    // A loss since (p4 gone, or p5 no longer listing p4): no standing ring, every link is watched.
    expect(standingRing('p3', before, joined.filter(m => m.peerId !== 'p4'))).toBeUndefined()
    expect(standingRing('p3', before, joined.map(m => m.peerId === 'p5' ? { ...m, links: m.links.filter(l => l !== 'p4') } : m))).toBeUndefined()
    // Never complete yet, or too small to be a ring: nothing to keep.
    expect(standingRing('p3', [], joined)).toBeUndefined()
    expect(standingRing('p1', ring(RING_MIN_MEMBERS - 1), ring(RING_MIN_MEMBERS - 1))).toBeUndefined()
  })

  it(`needs ${RING_MIN_MEMBERS} members, this node among them: below that watching every link costs no more`, () => {
    expect(ringState('p0', ring(RING_MIN_MEMBERS - 1)).complete).toBe(false)
    expect(ringState('p0', ring(RING_MIN_MEMBERS)).complete).toBe(true)
    expect(ringState('x', ring(6)).complete).toBe(false)
  })
})

const started: Mesh[] = []
afterEach(async () => { await Promise.all(started.splice(0).map(async m => { await m.stop().catch(() => {}) })) })

describe('the ring on real libp2p nodes (loopback, mDNS off)', () => {
  it('links each member to the next, then sends one frame out per node a heartbeat, with no suspect ping', async () => {
    const h = 200
    const seed = await loopbackMesh({ links: 3, heartbeatMs: h })
    started.push(seed)
    const rest = await Promise.all(Array.from({ length: 6 }, async () => await loopbackMesh({ links: 3, heartbeatMs: h, bootstrap: [seed.libp2p.getMultiaddrs()[0]!] })))
    started.push(...rest)
    const all = [seed, ...rest]
    // Links are made at random: the ring's own links come on top of them.
    await waitFor('the ring everywhere', () => all.every(m => m.links.ringMode()), 30_000, 50)
    const ids = all.map(m => m.peerId.toString()).sort()
    for (const m of all) {
      const i = ids.indexOf(m.peerId.toString())
      expect(m.links.linkPeers()).toContain(ids[(i + 1) % ids.length])
      expect(m.links.linkPeers()).toContain(ids[(i - 1 + ids.length) % ids.length])
    }
    const before = all.map(m => ({ ...m.links.stats, sent: { ...m.links.stats.sent } }))
    const from = performance.now()
    await new Promise(resolve => setTimeout(resolve, 30 * h))
    const beats = (performance.now() - from) / h
    const out = all.map((m, i) => (m.links.stats.framesOut - before[i]!.framesOut) / beats)
    const mean = out.reduce((a, b) => a + b, 0) / out.length
    // Each pulses its successor and nothing else (watching every link, 3 to 5 of them here, it
    // was one round trip per link every 2 heartbeats: 1.5 to 2.5 frames out a heartbeat).
    expect(mean, out.map(x => x.toFixed(2)).join(' ')).toBeGreaterThan(0.85)
    expect(mean, out.map(x => x.toFixed(2)).join(' ')).toBeLessThan(1.15)
    // Every pulse reached the session its receiver watches. A pulse held up past a heartbeat by a
    // stall of this process (7 nodes share it, 200 ms heartbeats) draws one suspect ping now and
    // then; a pulse going to a session its receiver does not read drew one every other heartbeat.
    const suspects = all.map((m, i) => m.links.stats.suspectPings - before[i]!.suspectPings)
    expect(Math.max(...suspects), suspects.join(' ')).toBeLessThanOrEqual(3)
    expect(all.every(m => m.links.ringMode())).toBe(true)
  }, 60_000)
})
