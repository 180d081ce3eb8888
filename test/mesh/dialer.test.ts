import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Dialer, type DialerComponents } from '../../src/mesh/dialer.js'
import { PeerGates } from '../../src/mesh/peer-gates.js'
import type { HeardPeer } from '../../src/mesh/mdns.js'

/**
 * The dialer and peers heard on the LAN: a member of a formed mesh looks again at a stranger a few
 * seconds later (about two members do); a newcomer joins through the members it hears. Its edges
 * (libp2p's dial, the link manager, the member table) are stand-ins that record what the dialer
 * asks; timers are vitest's.
 */

type Discovery = TypedEventEmitter<{ peer: CustomEvent<HeardPeer> }>

async function newPeer (): Promise<ReturnType<typeof peerIdFromPrivateKey>> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

async function hear (discovery: Discovery, member = false, host = 9): Promise<string> {
  const stranger = await newPeer()
  discovery.dispatchEvent(new CustomEvent('peer', { detail: { id: stranger, multiaddrs: [multiaddr(`/ip4/10.0.0.${host}/tcp/4001`)], member } }))
  return stranger.toString()
}

/**
 * A dialer on stand-ins, as one of two nodes:
 * - `member`: of a formed mesh of 3, linked to one of the other two. It reaches more than its
 *   neighbours, so it is not seeking a mesh itself.
 * - `newcomer`: no link, and a table that lists only itself until `learn` (a sync's answer) adds
 *   members it does not reach yet.
 * Host .66 refuses a dial at once (another swarm key, say); every other dial stays in flight, as on
 * a busy LAN. What the dialer tried is kept in `dialled`; `clock` is its time, and its rng always
 * draws 0 (so a member is always among the two that look again at a stranger).
 */
async function standIn (role: 'member' | 'newcomer'): Promise<{ self: string, dialer: Dialer, discovery: Discovery, dialled: string[], learn: (n: number | string[]) => void, clock: { t: number }, gates: PeerGates }> {
  const self = (await newPeer()).toString()
  const dialled: string[] = []
  const discovery: Discovery = new TypedEventEmitter()
  const clock = { t: 0 }
  const gates = new PeerGates({ now: () => clock.t, rng: () => 0.5 })
  let started = true
  let known: string[] = []
  // Member i of the table listens at 10.0.1.i.
  const entry = (p: string): unknown => ({ reachable: false, info: { peerId: p, addrs: [`/ip4/10.0.1.${known.indexOf(p)}/tcp/4001`], links: [], leaving: false } })
  const table = {
    self,
    get: (p: string) => known.includes(p) ? entry(p) : undefined,
    get size () { return 1 + known.length },
    reachableSize: role === 'member' ? 3 : 1,
    reachable: () => [],
    unreachable: () => known.map(entry),
    all: () => [{ reachable: true, info: { peerId: self, addrs: [], links: [], leaving: false } }, ...known.map(entry)]
  }
  const components = {
    libp2p: {
      getMultiaddrs: () => [multiaddr('/ip4/10.0.0.1/tcp/4001')],
      getConnections: () => [],
      dial: async (addrs: unknown) => {
        dialled.push(String(addrs))
        if (String(addrs).includes('10.0.0.66/')) throw new Error('refused')
        return await new Promise(() => {})
      }
    },
    membership: { self, table },
    gates,
    links: {
      started: () => started,
      hasSession: () => false,
      attach: () => { throw new Error('not reached') },
      isolated: () => role === 'newcomer',
      linkCount: () => role === 'member' ? 1 : 0,
      linksAsked: () => 0,
      ringWanted: () => []
    },
    discovery,
    stats: { dials: 0, dialFailures: 0 },
    log: { info: () => {}, debug: () => {} },
    rng: () => 0,
    now: () => clock.t
  } as unknown as DialerComponents
  const dialer = new Dialer({ links: 4, maxLinks: 8, bootstrap: [], dialTimeoutMs: 60_000 }, components)
  const stop = dialer.stop.bind(dialer)
  dialer.stop = () => { started = false; stop() }
  dialer.start()
  const learn = (n: number | string[]): void => { known = typeof n === 'number' ? Array.from({ length: n }, (_, i) => `member-${i}`) : n }
  return { self, dialer, discovery, dialled, learn, clock, gates }
}

describe('the dialer, hearing a stranger', () => {
  beforeEach(() => { vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }) })
  afterEach(() => { vi.useRealTimers() })

  it('dials a member of another mesh a few seconds later if nobody has brought it in', async () => {
    const { dialer, discovery, dialled } = await standIn('member')
    const stranger = await hear(discovery, true)
    expect(dialled).toEqual([])
    await vi.advanceTimersByTimeAsync(4000)
    expect(dialled).toHaveLength(1)
    expect(dialled[0]).toContain(stranger)
    dialer.stop()
  })

  it('gives a newcomer 10 s to dial in itself before looking again', async () => {
    const { dialer, discovery, dialled } = await standIn('member')
    const newcomer = await hear(discovery, false)
    await vi.advanceTimersByTimeAsync(9000)
    expect(dialled).toEqual([])
    await vi.advanceTimersByTimeAsync(11_000)
    expect(dialled).toHaveLength(1)
    expect(dialled[0]).toContain(newcomer)
    dialer.stop()
  })

  it('drops the look on stop: a stopped node dials nobody', async () => {
    const { dialer, discovery, dialled } = await standIn('member')
    await hear(discovery)
    await hear(discovery)
    expect(vi.getTimerCount()).toBe(2)
    dialer.stop()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(4000)
    expect(dialled).toEqual([])
  })
})

describe('the dialer, joining through peers heard on the LAN', () => {
  it('syncs with a member it hears at once, and through members before another newcomer', async () => {
    const { dialer, discovery, dialled, clock } = await standIn('newcomer')
    const fellow = await hear(discovery, false, 7)
    expect(dialled).toEqual([])
    const member = await hear(discovery, true, 8)
    expect(dialled).toHaveLength(1)
    expect(dialled[0]).toContain(member)
    // Another member is heard; the heartbeat fills the second sync with it, not the newcomer.
    const second = await hear(discovery, true, 9)
    clock.t = 1000
    dialer.dial(clock.t)
    expect(dialled).toHaveLength(2)
    expect(dialled[1]).toContain(second)
    expect(dialled.join(' ')).not.toContain(fellow)
    dialer.stop()
  })

  it('a member that cannot be joined leaves its turn to another newcomer', async () => {
    const { dialer, discovery, dialled, clock } = await standIn('newcomer')
    const fellow = await hear(discovery, false, 7)
    const closed = await hear(discovery, true, 66)
    await vi.waitFor(() => { expect(dialled).toHaveLength(1) })
    expect(dialled[0]).toContain(closed)
    await new Promise(resolve => setImmediate(resolve))
    clock.t = 900 // the next heartbeat, within the refused member's first back-off (1 s)
    dialer.dial(clock.t)
    expect(dialled.slice(1).join(' ')).toContain(fellow)
    expect(dialled.slice(1).join(' ')).not.toContain(closed)
    dialer.stop()
  })

  it('syncs with other newcomers when no member was heard (a LAN starting together)', async () => {
    const { dialer, discovery, dialled, clock } = await standIn('newcomer')
    const fellow = await hear(discovery, false, 7)
    clock.t = 1000
    dialer.dial(clock.t)
    expect(dialled).toHaveLength(1)
    expect(dialled[0]).toContain(fellow)
    dialer.stop()
  })

  it('never dials again a peer heard on the LAN that turned out to be no P2PFaaS node', async () => {
    const { dialer, discovery, dialled, clock, gates } = await standIn('newcomer')
    const stranger = await hear(discovery, false, 7)
    // Identify (on the stranger's own dial in, say) showed an unrelated libp2p node.
    gates.markForeign(stranger)
    const fellow = await hear(discovery, false, 8)
    for (clock.t = 1000; clock.t <= 5000; clock.t += 1000) dialer.dial(clock.t)
    expect(dialled.join(' ')).not.toContain(stranger)
    expect(dialled.join(' ')).toContain(fellow)
    dialer.stop()
  })

  it('once it knows members beyond its neighbours, links to them and syncs again only after 5 s', async () => {
    const { dialer, discovery, dialled, learn, clock } = await standIn('newcomer')
    await hear(discovery, true, 7)
    expect(dialled).toHaveLength(1)
    learn(5) // the sync's answer: five members, none reachable before this node links
    const syncsTo = (host: number): number => dialled.filter(d => d.includes(`10.0.0.${host}/`)).length
    await hear(discovery, true, 8)
    clock.t = 1000
    dialer.dial(clock.t)
    clock.t = 4000
    dialer.dial(clock.t)
    expect(syncsTo(8)).toBe(0)
    clock.t = 5000
    dialer.dial(clock.t)
    expect(syncsTo(8)).toBe(1)
    dialer.stop()
  })

  it('a joiner links to its two neighbours in the ring first: its share, not two links beyond it', async () => {
    const { self, dialer, dialled, learn, clock } = await standIn('newcomer')
    const members = await Promise.all(Array.from({ length: 6 }, async () => (await newPeer()).toString()))
    const order = [...members, self].sort()
    const at = order.indexOf(self)
    const ring = [order[(at + 1) % order.length]!, order[(at - 1 + order.length) % order.length]!]
    // A sync's answer: six members, none reachable before this node links. The ring neighbours come
    // last, where the stand-in's rng (always 0) would never pick them at random.
    learn([...members.filter(m => !ring.includes(m)), ...ring])
    clock.t = 1000
    dialer.dial(clock.t)
    // --links 4: two of its own, and those are its successor and predecessor.
    const hosts = dialled.map(d => /10\.0\.1\.(\d+)\//.exec(d)?.[1]).filter(h => h != null).map(Number)
    expect(hosts.map(i => [...members.filter(m => !ring.includes(m)), ...ring][i]).sort()).toEqual([...ring].sort())
    dialer.stop()
  })
})
