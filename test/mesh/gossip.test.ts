import { afterEach, describe, expect, it } from 'vitest'
import { createMeshLibp2p } from '../../src/mesh/libp2p.js'
import { encodeLoadMessage, LOAD_TOPIC } from '../../src/mesh/load-message.js'
import { EMPTY_LOAD } from '../../src/mesh/load.js'
import { newSwarmKey } from '../../src/mesh/swarm-key.js'
import { loopbackMesh, ManualLoad, waitFor } from '../helpers/mesh.js'
import { newPeer } from '../helpers/keys.js'
import type { Mesh } from '../../src/mesh/mesh.js'
import type { Libp2p } from '@libp2p/interface'

const started: Array<Mesh | Libp2p> = []
const track = <T extends Mesh | Libp2p>(x: T): T => { started.push(x); return x }
afterEach(async () => { await Promise.all(started.splice(0).map(async m => { await m.stop() })) })

/** The gossipsub class has getScore; its published interface does not. */
const scoreAt = (m: Mesh, peerId: string): number => (m.libp2p.services.pubsub as unknown as { getScore(id: string): number }).getScore(peerId)
const firstAddr = (m: Mesh): ReturnType<Mesh['libp2p']['getMultiaddrs']>[number] => m.libp2p.getMultiaddrs()[0]!

describe('load gossip between real libp2p nodes on loopback', () => {
  it('every node sees the others, and a load change arrives well before the next heartbeat', async () => {
    const loadA = new ManualLoad()
    const a = track(await loopbackMesh({ load: loadA, heartbeatMs: 1000 }))
    const b = track(await loopbackMesh({ bootstrap: [firstAddr(a)], heartbeatMs: 1000 }))
    const c = track(await loopbackMesh({ bootstrap: [firstAddr(a), firstAddr(b)], heartbeatMs: 1000 }))
    const all = [a, b, c]
    await waitFor('full mesh', () => all.every(m => all.every(o => o === m || m.view.get(o.peerId.toString())?.connected === true)), 5000)
    // One connection per pair even though c and b both dial a.
    for (const m of all) for (const o of all) if (o !== m) expect(m.libp2p.getConnections(o.peerId)).toHaveLength(1)

    // Let a heartbeat pass so the next change is not coalesced behind the initial publish.
    await new Promise(resolve => setTimeout(resolve, 150))
    const sentAt = performance.now()
    loadA.set({ functions: [{ name: 'echo', queued: 3, running: 4, capacity: 4 }], totals: { queued: 3, running: 4, capacity: 4 } })
    await waitFor('load at b and c', () => [b, c].every(m => m.view.get(a.peerId.toString())?.load.totals.queued === 3), 900, 2)
    expect(performance.now() - sentAt).toBeLessThan(500)
    expect(c.view.get(a.peerId.toString())?.functions).toEqual(['echo'])
  })

  it('coalesces bursts of changes to at most one message per 100 ms', async () => {
    const load = new ManualLoad()
    const a = track(await loopbackMesh({ load, heartbeatMs: 5000 }))
    track(await loopbackMesh({ bootstrap: [firstAddr(a)], heartbeatMs: 5000 }))
    await new Promise(resolve => setTimeout(resolve, 200))
    const before = a.gossip.stats.published
    const t0 = performance.now()
    let i = 0
    while (performance.now() - t0 < 300) {
      load.set({ functions: [], totals: { queued: i++ % 5, running: 1, capacity: 4 } })
      await new Promise(resolve => setTimeout(resolve, 2))
    }
    await new Promise(resolve => setTimeout(resolve, 150))
    const sent = a.gossip.stats.published - before
    expect(i).toBeGreaterThan(50)
    expect(sent).toBeGreaterThanOrEqual(2)
    expect(sent).toBeLessThanOrEqual(5)
  })

  it('drops a peer that goes silent after three heartbeats, and marks it disconnected at once', async () => {
    const a = track(await loopbackMesh({ heartbeatMs: 200 }))
    const b = await loopbackMesh({ bootstrap: [firstAddr(a)], heartbeatMs: 200 })
    const bid = b.peerId.toString()
    await waitFor('b in a\'s view', () => a.view.get(bid)?.connected === true)
    await b.stop()
    const stoppedAt = performance.now()
    await waitFor('b disconnected', () => a.view.get(bid)?.connected === false || a.view.get(bid) == null, 2000, 5)
    await waitFor('b gone', () => a.view.get(bid) == null, 2000, 10)
    const gone = performance.now() - stoppedAt
    expect(gone).toBeGreaterThan(300)
    expect(gone).toBeLessThan(1200)
  })

  it('rejects spoofed and replayed messages, penalises the sender, and keeps them out of the view', async () => {
    const a = track(await loopbackMesh({ heartbeatMs: 200 }))
    const honest = track(await loopbackMesh({ bootstrap: [firstAddr(a)], heartbeatMs: 200 }))
    const { privateKey } = await newPeer()
    const rogue = track(await createMeshLibp2p({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false }))
    await rogue.start()
    await rogue.dial(firstAddr(a))
    rogue.services.pubsub.subscribe(LOAD_TOPIC)
    await waitFor('rogue sees a subscribed', () => rogue.services.pubsub.getSubscribers(LOAD_TOPIC).some(p => p.equals(a.peerId)), 5000)
    await waitFor('honest in a\'s view', () => a.view.get(honest.peerId.toString()))
    const accepted = a.gossip.stats.accepted

    // Claims to speak for the honest node: signed by rogue, node id of honest.
    for (let seq = 1n; seq <= 3n; seq++) {
      await rogue.services.pubsub.publish(LOAD_TOPIC, encodeLoadMessage({ nodeId: honest.peerId, incarnation: 1n, seq: 1000n + seq, timeMs: Date.now(), load: { functions: [], totals: { queued: 0, running: 0, capacity: 99 } } }))
    }
    await waitFor('spoofs rejected', () => a.gossip.stats.rejected >= 3)
    expect(a.view.get(honest.peerId.toString())?.load.totals.capacity).toBe(0)

    // A valid message from rogue, then the same sequence replayed far behind.
    const rogueLoad = (seq: bigint): Uint8Array => encodeLoadMessage({ nodeId: rogue.peerId, incarnation: 7n, seq, timeMs: Date.now(), load: EMPTY_LOAD })
    await rogue.services.pubsub.publish(LOAD_TOPIC, rogueLoad(100n))
    await waitFor('rogue load accepted', () => a.gossip.stats.accepted > accepted && a.view.get(rogue.peerId.toString()) != null)
    await rogue.services.pubsub.publish(LOAD_TOPIC, rogueLoad(5n))
    await waitFor('replay rejected', () => a.gossip.stats.rejected >= 4)
    await waitFor('rogue penalised', () => scoreAt(a, rogue.peerId.toString()) < 0, 3000)
    expect(scoreAt(a, honest.peerId.toString())).toBeGreaterThanOrEqual(0)
  })

  it('keeps nodes with another swarm key, or none, out of a private mesh', async () => {
    const keyA = new TextEncoder().encode(newSwarmKey())
    const keyB = new TextEncoder().encode(newSwarmKey())
    const a = track(await loopbackMesh({ swarmKey: keyA }))
    const member = track(await loopbackMesh({ swarmKey: keyA, bootstrap: [firstAddr(a)] }))
    const stranger = track(await loopbackMesh({ swarmKey: keyB, bootstrap: [firstAddr(a)] }))
    const open = track(await loopbackMesh({ bootstrap: [firstAddr(a)] }))
    await waitFor('member joins', () => a.view.get(member.peerId.toString())?.connected === true)
    await new Promise(resolve => setTimeout(resolve, 1000))
    for (const outsider of [stranger, open]) {
      expect(a.view.get(outsider.peerId.toString())).toBeUndefined()
      expect(a.libp2p.getConnections(outsider.peerId)).toHaveLength(0)
      expect(outsider.view.size).toBe(0)
    }
  })
})
