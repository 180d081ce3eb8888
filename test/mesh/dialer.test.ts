import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Dialer, type DialerComponents } from '../../src/mesh/dialer.js'
import { PeerGates } from '../../src/mesh/peer-gates.js'
import type { PeerInfo } from '@libp2p/interface'

/**
 * The dialer's answer to a stranger heard on the LAN by a member of a formed mesh: a look a few
 * seconds later, by about two members. Its edges (libp2p's dial, the link manager, the member
 * table) are stand-ins that record what the dialer asks; the clock is vitest's.
 */

async function newPeer (): Promise<ReturnType<typeof peerIdFromPrivateKey>> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

async function memberHearing (): Promise<{ dialer: Dialer, discovery: TypedEventEmitter<{ peer: CustomEvent<PeerInfo> }>, dialled: string[] }> {
  const self = (await newPeer()).toString()
  const dialled: string[] = []
  const discovery = new TypedEventEmitter<{ peer: CustomEvent<PeerInfo> }>()
  let started = true
  const components = {
    libp2p: {
      getMultiaddrs: () => [multiaddr('/ip4/10.0.0.1/tcp/4001')],
      getConnections: () => [],
      dial: async (addrs: unknown) => { dialled.push(String(addrs)); throw new Error('no network in this test') }
    },
    // A member of a formed mesh of 3, linked to one of the other two: it reaches more than its
    // neighbours, so it is not seeking a mesh itself.
    membership: { self, table: { self, get: () => undefined, reachableSize: 3 } },
    gates: new PeerGates({ now: Date.now, rng: () => 0.5 }),
    links: {
      started: () => started,
      hasSession: () => false,
      attach: () => { throw new Error('not reached') },
      isolated: () => false,
      linkCount: () => 1,
      linksAsked: () => 0
    },
    discovery,
    stats: { dials: 0, dialFailures: 0 },
    log: { info: () => {}, debug: () => {} },
    // Always among the two members that look again.
    rng: () => 0,
    now: Date.now
  } as unknown as DialerComponents
  const dialer = new Dialer({ links: 4, maxLinks: 8, bootstrap: [] }, components)
  const stop = dialer.stop.bind(dialer)
  dialer.stop = () => { started = false; stop() }
  dialer.start()
  return { dialer, discovery, dialled }
}

async function hear (discovery: TypedEventEmitter<{ peer: CustomEvent<PeerInfo> }>): Promise<string> {
  const stranger = await newPeer()
  discovery.dispatchEvent(new CustomEvent('peer', { detail: { id: stranger, multiaddrs: [multiaddr('/ip4/10.0.0.9/tcp/4001')] } }))
  return stranger.toString()
}

describe('the dialer, hearing a stranger', () => {
  beforeEach(() => { vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }) })
  afterEach(() => { vi.useRealTimers() })

  it('dials it a few seconds later if nobody has brought it in', async () => {
    const { dialer, discovery, dialled } = await memberHearing()
    const stranger = await hear(discovery)
    expect(dialled).toEqual([])
    await vi.advanceTimersByTimeAsync(4000)
    expect(dialled).toHaveLength(1)
    expect(dialled[0]).toContain(stranger)
    dialer.stop()
  })

  it('drops the look on stop: a stopped node dials nobody', async () => {
    const { dialer, discovery, dialled } = await memberHearing()
    await hear(discovery)
    await hear(discovery)
    expect(vi.getTimerCount()).toBe(2)
    dialer.stop()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(4000)
    expect(dialled).toEqual([])
  })
})
