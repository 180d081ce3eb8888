import { beforeAll, describe, expect, it } from 'vitest'
import { ConnectionTrimmer } from '../../src/mesh/connection-trim.js'
import { newPeer } from '../helpers/keys.js'
import type { Connection, PeerId } from '@libp2p/interface'

/**
 * Which of a node's connections to members the trimmer closes, on connections it is handed (the
 * libp2p stack is not needed to choose): idle ones, the longest idle first when over the cap, and
 * the spare of two between a pair; never one a link runs on or one with a stream open.
 */

interface FakeConn { conn: Connection, closed: boolean, streams: unknown[] }

let self: string
let peers: PeerId[]
beforeAll(async () => {
  const ids = await Promise.all(Array.from({ length: 5 }, async () => (await newPeer()).peerId))
  ids.sort((a, b) => a.toString() < b.toString() ? -1 : 1)
  // The middle one is this node: some peers sort before it, some after.
  self = ids[2]!.toString()
  peers = [ids[0]!, ids[1]!, ids[3]!, ids[4]!]
})

function setup (opts: { maxConnections?: number, members?: (peer: string) => boolean, session?: Set<Connection> } = {}): {
  trimmer: ConnectionTrimmer
  connect: (peer: PeerId, direction?: 'inbound' | 'outbound') => FakeConn
} {
  const conns: FakeConn[] = []
  let n = 0
  const libp2p = {
    getConnections: (peer?: PeerId): Connection[] => conns.map(c => c.conn).filter(c => c.status === 'open' && (peer == null || c.remotePeer.equals(peer)))
  }
  const trimmer = new ConnectionTrimmer({ heartbeatMs: 100, maxConnections: opts.maxConnections ?? 16, idleConnectionMs: 1000 }, {
    libp2p,
    self,
    isMember: opts.members ?? (() => true),
    carriesSession: conn => opts.session?.has(conn) ?? false
  })
  const connect = (remotePeer: PeerId, direction: 'inbound' | 'outbound' = 'outbound'): FakeConn => {
    const fake: FakeConn = { closed: false, streams: [], conn: undefined as unknown as Connection }
    const conn = {
      id: `c${n++}`,
      remotePeer,
      direction,
      get status () { return fake.closed ? 'closed' : 'open' },
      get streams () { return fake.streams },
      close: async () => { fake.closed = true },
      abort: () => { fake.closed = true }
    }
    fake.conn = conn as unknown as Connection
    conns.push(fake)
    return fake
  }
  return { trimmer, connect }
}

describe('the connection trimmer', () => {
  it('closes a connection idle for idleConnectionMs, counting from when it fell idle', () => {
    const { trimmer, connect } = setup()
    const a = connect(peers[0]!)
    a.streams.push({})
    trimmer.trim(0)
    a.streams.pop()
    trimmer.trim(500) // idle from here
    trimmer.trim(1400)
    expect(a.closed).toBe(false)
    trimmer.trim(1500)
    expect(a.closed).toBe(true)
  })

  it('never closes a connection with a stream open or one a link runs on', () => {
    const session = new Set<Connection>()
    const { trimmer, connect } = setup({ maxConnections: 0, session })
    const busy = connect(peers[0]!)
    busy.streams.push({})
    const link = connect(peers[1]!)
    session.add(link.conn)
    for (const t of [0, 5000, 10_000]) trimmer.trim(t)
    expect(busy.closed).toBe(false)
    expect(link.closed).toBe(false)
  })

  it('over the cap, closes the longest idle first, before they reach idleConnectionMs', () => {
    const { trimmer, connect } = setup({ maxConnections: 2 })
    const oldest = connect(peers[0]!)
    trimmer.trim(0)
    const middle = connect(peers[1]!)
    trimmer.trim(10)
    expect(oldest.closed).toBe(false) // two connections: at the cap, not over
    const newest = connect(peers[2]!)
    trimmer.trim(20)
    expect([oldest.closed, middle.closed, newest.closed]).toEqual([true, false, false])
  })

  it('leaves connections to non-members alone, and does not count them', () => {
    const stranger = (): string => peers[3]!.toString()
    const { trimmer, connect } = setup({ maxConnections: 1, members: peer => peer !== stranger() })
    const other = connect(peers[3]!)
    const member = connect(peers[0]!)
    for (const t of [0, 500, 999]) trimmer.trim(t)
    expect([other.closed, member.closed]).toEqual([false, false])
    trimmer.trim(5000)
    expect([other.closed, member.closed]).toEqual([false, true])
  })

  it('of two connections between a pair, closes the one the larger PeerId opened once idle a heartbeat', () => {
    const { trimmer, connect } = setup()
    // peers[0] sorts before this node: both keep the connection it opened (inbound here).
    const keptLow = connect(peers[0]!, 'inbound')
    const spareLow = connect(peers[0]!, 'outbound')
    // peers[2] sorts after this node: both keep the one this node opened (outbound here).
    const keptHigh = connect(peers[2]!, 'outbound')
    const spareHigh = connect(peers[2]!, 'inbound')
    trimmer.trim(0)
    trimmer.trim(99)
    expect([spareLow.closed, spareHigh.closed]).toEqual([false, false])
    trimmer.trim(100)
    expect([keptLow.closed, spareLow.closed, keptHigh.closed, spareHigh.closed]).toEqual([false, true, false, true])
  })
})
