import { afterEach, describe, expect, it } from 'vitest'
import { createMeshLibp2p, type MeshLibp2p } from '../../src/mesh/libp2p.js'
import { decodeLinkFrame, frameKinds, LINK_PROTOCOL, LinkSession, type LinkTraffic } from '../../src/mesh/link-session.js'
import { LinkFrame } from '../../src/wire/mesh.js'
import { newPeer } from '../helpers/keys.js'
import { waitFor } from '../helpers/mesh.js'

const frame = (f: Partial<LinkFrame>): Uint8Array => LinkFrame.encode({ records: [], digest: [], want: [], synced: false, ...f })

describe('link frames', () => {
  it('read digests back as the unsigned values sent, top bit set or not', () => {
    for (const digest of [0x0123456789abcdefn, 0xf51fb9ce12345678n, 2n ** 64n - 1n]) {
      expect(decodeLinkFrame(frame({ pulse: { ping: true, digest } }), { digest: 8, want: 8 }).pulse?.digest).toBe(digest)
      expect(decodeLinkFrame(frame({ hello: { record: new Uint8Array([1]), link: true, digest } }), { digest: 8, want: 8 }).hello?.digest).toBe(digest)
    }
  })

  it('refuse a digest or a want longer than the member table', () => {
    const entries = Array.from({ length: 9 }, (_, i) => ({ peerId: new Uint8Array([i]), incarnation: 1n, seq: 1n }))
    expect(() => decodeLinkFrame(frame({ digest: entries }), { digest: 8, want: 8 })).toThrow(/too many/)
    expect(() => decodeLinkFrame(frame({ want: entries.map(e => e.peerId) }), { digest: 8, want: 8 })).toThrow(/too many/)
  })

  it('are counted by what they carry', () => {
    expect(frameKinds({ pulse: { ping: true, digest: 1n } })).toEqual(['pulse'])
    expect(frameKinds({ records: [new Uint8Array(1)], pulse: { ping: false, digest: 1n, load: { recordSeq: 1n, running: [], queued: [] } } })).toEqual(['load', 'records'])
    expect(frameKinds({ want: [], synced: true })).toEqual(['want'])
  })
})

describe('a link session between two real libp2p nodes', () => {
  const nodes: MeshLibp2p[] = []
  afterEach(async () => { await Promise.all(nodes.splice(0).map(async n => { await n.stop() })) })

  /** a opens a session to b; b's frames are collected as they arrive. */
  async function pair (): Promise<{ a: LinkSession, b: LinkSession, atB: LinkFrame[], traffic: LinkTraffic }> {
    const [ka, kb] = await Promise.all([newPeer(), newPeer()])
    const [na, nb] = await Promise.all([ka, kb].map(async k => await createMeshLibp2p({ privateKey: k.privateKey, listen: ['/ip4/127.0.0.1/tcp/0'] })))
    nodes.push(na!, nb!)
    const atB: LinkFrame[] = []
    const traffic = (): LinkTraffic => ({ framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, sent: { hello: 0, pulse: 0, load: 0, records: 0, digest: 0, want: 0, have: 0 } })
    const accepted = Promise.withResolvers<LinkSession>()
    await nb!.handle(LINK_PROTOCOL, (stream, connection) => {
      const s = new LinkSession({ stream, connection, initiator: false, maxEntries: 512, now: () => performance.now(), traffic: traffic(), handle: (_s, f) => { atB.push(f) } })
      s.start()
      accepted.resolve(s)
    })
    const conn = await na!.dial(nb!.getMultiaddrs()[0]!)
    const aTraffic = traffic()
    const a = new LinkSession({ stream: await conn.newStream(LINK_PROTOCOL), connection: conn, initiator: true, maxEntries: 512, now: () => performance.now(), traffic: aTraffic, handle: () => {} })
    a.start()
    return { a, b: await accepted.promise, atB, traffic: aTraffic }
  }
  const version = (i: number): LinkFrame['have'][number] => ({ peerId: new Uint8Array([0, 1, i]), incarnation: 1n, seq: BigInt(i) })

  it('sends announcements that may wait with the next frame it sends anyway, in that one frame', async () => {
    const { a, atB, traffic } = await pair()
    a.pushHave([version(1)], true)
    a.pushHave([version(2)], true)
    a.send({ pulse: { ping: true, digest: 7n } })
    await waitFor('a frame at b', () => atB.length > 0)
    expect(atB[0]!.pulse?.ping).toBe(true)
    expect(atB[0]!.have.map(h => h.seq)).toEqual([1n, 2n])
    expect(traffic.framesOut).toBe(1)
    expect(a.takeAnnounced()).toBe(true)
    expect(a.takeAnnounced()).toBe(false)
  })

  it('never puts more announcements in one frame than the neighbour reads (its member table)', async () => {
    const { a, atB } = await pair()
    a.pushHave(Array.from({ length: 600 }, (_, i) => version(i)), true)
    a.send({ pulse: { ping: true, digest: 7n } })
    a.send({ pulse: { ping: true, digest: 7n } })
    await waitFor('two frames at b', () => atB.length > 1)
    expect(atB.map(f => f.have.length)).toEqual([512, 88])
  })

  it('sends them alone once they have waited long enough, and the others at once', async () => {
    const { a, atB } = await pair()
    const pushedAt = performance.now()
    a.pushHave([version(3)], true)
    a.pushHave([version(4)])
    await waitFor('the urgent one', () => atB.length > 0)
    // The one that may wait went with it: a frame was leaving anyway.
    expect(atB[0]!.have.map(h => h.seq)).toEqual([4n, 3n])
    a.pushHave([version(5)], true)
    await waitFor('the one that waited', () => atB.length > 1, 5000)
    expect(atB[1]!.have.map(h => h.seq)).toEqual([5n])
    expect(performance.now() - pushedAt).toBeGreaterThanOrEqual(2000)
  })
})
