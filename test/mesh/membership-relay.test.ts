import { afterEach, describe, expect, it } from 'vitest'
import { Membership } from '../../src/mesh/membership.js'
import { sealRecord, type MemberInfo } from '../../src/mesh/record.js'
import { newPeer } from '../helpers/keys.js'
import { quietLog } from '../helpers/mesh.js'
import type { DigestEntry } from '../../src/wire/mesh.js'

/**
 * How a node passes on the records it takes in, with the neighbours it would tell captured: which
 * announcements go at once and which wait for a frame the link sends anyway (`later`).
 */

type Peer = Awaited<ReturnType<typeof newPeer>>
interface Announced { to: string, versions: DigestEntry[], later: boolean }

const stopped: Membership[] = []
afterEach(() => { for (const m of stopped.splice(0)) m.stop() })

async function setup (): Promise<{ self: Membership, announced: Announced[], a: Peer, b: Peer, c: Peer, record: (p: Peer, seq: number, links: string[]) => Promise<Uint8Array> }> {
  const [me, a, b, c] = await Promise.all([newPeer(), newPeer(), newPeer(), newPeer()])
  const neighbour = (await newPeer()).peerId.toString()
  const announced: Announced[] = []
  const self = new Membership({ privateKey: me.privateKey, incarnation: 1n }, {
    push: () => {},
    announce: (to, versions, later) => { announced.push({ to, versions, later: later === true }) },
    // Links to a and to one more neighbour, which is told what a sends.
    sessions: () => [a.peerId.toString(), neighbour],
    log: quietLog
  })
  stopped.push(self)
  await self.start()
  self.update({ links: [a.peerId.toString()] })
  await self.flush()
  const hosts = new Map([[a, 2], [b, 3], [c, 4]])
  const record = async (p: Peer, seq: number, links: string[]): Promise<Uint8Array> => {
    const info: MemberInfo = {
      peerId: p.peerId.toString(), incarnation: 1n, seq: BigInt(seq), addrs: [`/ip4/10.9.0.${hosts.get(p)}/tcp/4001`],
      functions: [], links, leaving: false
    }
    return (await sealRecord(info, p.privateKey)).bytes
  }
  return { self, announced, a, b, c, record }
}

describe('membership: passing records on', () => {
  it('announces at once what changes the view, and lets versions that only add links wait for a frame', async () => {
    const { self, announced, a, b, c, record } = await setup()
    const from = a.peerId.toString()
    const versionsOf = (p: Peer): Announced[] => announced.filter(x => x.versions.some(v => Buffer.from(v.peerId).equals(p.peerId.toMultihash().bytes)))
    const [me, A, B, C] = [self.self, from, b.peerId.toString(), c.peerId.toString()]

    // a links to this node, b and c link to a: all three join the view, every announcement at once.
    await self.receive([await record(a, 1, [me, B, C]), await record(b, 1, [A]), await record(c, 1, [A])], from)
    expect(self.table.reachableSize).toBe(4)
    expect(announced.length).toBeGreaterThan(0)
    expect(announced.every(x => !x.later)).toBe(true)

    // b adds a link to c: both were reachable and still are, nobody joins or leaves. It waits.
    announced.length = 0
    await self.receive([await record(b, 2, [A, C])], from)
    expect(versionsOf(b)).toEqual([expect.objectContaining({ later: true })])

    // b drops that link again: a lost link may be how a dead member leaves the views. At once.
    announced.length = 0
    await self.receive([await record(b, 3, [A])], from)
    expect(versionsOf(b)).toEqual([expect.objectContaining({ later: false })])

    // c drops its only link (to a) while a still lists it: c leaves the view, announced at once;
    // then a version of c that only adds that link back brings it back: a join, at once too.
    announced.length = 0
    await self.receive([await record(c, 2, [])], from)
    expect(self.table.get(c.peerId.toString())?.reachable).toBe(false)
    expect(versionsOf(c)).toEqual([expect.objectContaining({ later: false })])
    announced.length = 0
    await self.receive([await record(c, 3, [A])], from)
    expect(self.table.get(c.peerId.toString())?.reachable).toBe(true)
    expect(versionsOf(c)).toEqual([expect.objectContaining({ later: false })])
    // Never to the neighbour it came from.
    expect(announced.every(x => x.to !== from)).toBe(true)
  })
})
