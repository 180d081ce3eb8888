import type { Connection } from '@libp2p/interface'
import type { MeshLibp2p } from './libp2p.js'

const DEFAULT_IDLE_CONNECTION_MS = 30_000

export interface ConnectionTrimmerInit {
  heartbeatMs: number
  /** Connections to other members, links and hand-offs together. */
  maxConnections: number
  idleConnectionMs?: number
}

export interface ConnectionTrimmerComponents {
  libp2p: Pick<MeshLibp2p, 'getConnections'>
  /** This node's PeerId. */
  self: string
  /** Whether a peer is in the member table: connections to anyone else are not this trimmer's. */
  isMember: (peer: string) => boolean
  /** Whether a link session runs on the connection: such a one is never closed here. */
  carriesSession: (conn: Connection) => boolean
}

/** Hand-off connections to members live while used; idle ones close, and the busiest stay under the cap. */
export class ConnectionTrimmer {
  private readonly idleSince = new Map<string, number>()

  constructor (private readonly init: ConnectionTrimmerInit, private readonly c: ConnectionTrimmerComponents) {}

  trim (now: number): void {
    const idleMs = this.init.idleConnectionMs ?? DEFAULT_IDLE_CONNECTION_MS
    const spare: Array<{ conn: Connection, idle: number }> = []
    let members = 0
    const open = new Set<string>()
    for (const conn of this.c.libp2p.getConnections()) {
      const peer = conn.remotePeer.toString()
      if (conn.status !== 'open' || !this.c.isMember(peer)) continue
      members++
      open.add(conn.id)
      if (this.c.carriesSession(conn)) continue
      if (conn.streams.length > 0) { this.idleSince.delete(conn.id); continue }
      const since = this.idleSince.get(conn.id) ?? now
      this.idleSince.set(conn.id, since)
      // Both ends dialled at once (two hand-offs crossing): the spare one goes once it has been
      // idle a heartbeat, so a call about to open a stream on it is not cut off.
      if (this.isSpareDuplicate(conn) && now - since >= this.init.heartbeatMs) {
        void conn.close().catch(() => { conn.abort(new Error('duplicate connection')) })
        continue
      }
      spare.push({ conn, idle: now - since })
    }
    for (const id of this.idleSince.keys()) if (!open.has(id)) this.idleSince.delete(id)
    spare.sort((a, b) => b.idle - a.idle)
    let over = members - this.init.maxConnections
    for (const { conn, idle } of spare) {
      if (idle < idleMs && over <= 0) break
      over--
      this.idleSince.delete(conn.id)
      void conn.close().catch(() => { conn.abort(new Error('idle')) })
    }
  }

  /** Of two connections between a pair, both ends keep the one the smaller PeerId opened. */
  private keptDirection (peer: string): 'inbound' | 'outbound' {
    return this.c.self < peer ? 'outbound' : 'inbound'
  }

  /** The duplicate of a kept connection to the same peer, and nothing is using it: closing it loses nothing. */
  private isSpareDuplicate (c: Connection): boolean {
    if (c.streams.length > 0 || this.c.carriesSession(c)) return false
    const keep = this.keptDirection(c.remotePeer.toString())
    return c.direction !== keep && this.c.libp2p.getConnections(c.remotePeer).some(o => o !== c && o.status === 'open' && o.direction === keep)
  }
}
