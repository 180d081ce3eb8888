import { describe, expect, it } from 'vitest'
import { createNodeState } from '../../src/observe/node-state.js'
import type { PeerState } from '../../src/mesh/view.js'

/** The one builder of "self" and the peer list that /mesh, `p2pfaas peers` and the dashboard read. */

const load = (running: number): PeerState['load'] => ({ functions: [{ name: 'f', running, queued: 0, capacity: 2 }], totals: { running, queued: 0, capacity: 2 } })

function peer (peerId: string, over: Partial<PeerState> = {}): PeerState {
  return { peerId, addrs: [`/ip4/10.0.0.1/tcp/4001/p2p/${peerId}`], connected: true, link: false, functions: ['f'], lastSeen: 900, incarnation: 1n, load: load(1), ...over }
}

describe('node state', () => {
  const peers = [peer('B', { link: true, loadAt: 950 }), peer('A', { lastSeen: 1200 })]
  const state = createNodeState({
    peerId: 'SELF',
    addrs: () => ['/ip4/127.0.0.1/tcp/1'],
    version: '1.2.3',
    policy: () => 'PowerOfNScheduler(1, 2, true, 1)',
    digest: () => 0xabcn,
    load: () => load(2),
    functions: () => ['f'],
    learning: () => undefined,
    view: { all: () => [...peers] },
    now: () => 1000.4
  })

  it('builds self from its sources, the digest as 16 hex digits', () => {
    expect(state.self()).toEqual({ peerId: 'SELF', addrs: ['/ip4/127.0.0.1/tcp/1'], version: '1.2.3', policy: 'PowerOfNScheduler(1, 2, true, 1)', digest: '0000000000000abc', load: load(2), functions: ['f'] })
  })

  it('lists the peers by PeerId, ages in whole milliseconds and never below 0, an unknown load age null', () => {
    expect(state.peers()).toEqual([
      { peerId: 'A', addrs: peers[1]!.addrs, connected: true, link: false, lastSeenMs: 0, loadAgeMs: null, functions: ['f'], load: load(1) },
      { peerId: 'B', addrs: peers[0]!.addrs, connected: true, link: true, lastSeenMs: 100, loadAgeMs: 50, functions: ['f'], load: load(1) }
    ])
  })

  it('names the overlay neighbours', () => {
    expect(state.neighbours()).toEqual(['B'])
  })
})
