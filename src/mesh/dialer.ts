import { peerIdFromString } from '@libp2p/peer-id'
import { cachedOwnAddrs, dialableAddrs, isDialable, peerIdIn, type OwnAddrs } from './addr.js'
import { shuffled } from '../scheduler/sampling.js'
import { LINK_PROTOCOL, type LinkSession } from './link-session.js'
import { chooseDials, type DialPlan } from './overlay.js'
import { RING_MIN_MEMBERS, ringPlace } from './ring.js'
import { MAX_REMEMBERED, type PeerGates } from './peer-gates.js'
import type { MeshLibp2p } from './libp2p.js'
import type { Membership } from './membership.js'
import type { Logger } from '../log.js'
import type { HeardPeer } from './mdns.js'
import type { Connection, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { TypedEventEmitter } from 'main-event'

const DEFAULT_DIAL_TIMEOUT_MS = 4000
/**
 * How many members, on average, take a stranger heard on the LAN into the mesh; and after how long
 * (ms, to twice that): soon for a member of a mesh that formed apart, later for a newcomer, which
 * dials in itself and on a busy LAN may take several seconds to.
 */
const STRANGER_DIALERS = 2
const STRANGER_WAIT_MS = { member: 2000, newcomer: 10_000 }
/**
 * Syncs an isolated node makes at once with peers heard on the LAN. One member's answer is the
 * whole table; two cover a peer that turns out to be another newcomer. Each costs the peer a
 * handshake and a copy of its table.
 */
const JOIN_SYNCS = 2
/**
 * Once a sync has brought it members beyond its neighbours, a node links to them and syncs again
 * at most this often (ms): on a busy LAN a link takes seconds, and a node that synced again every
 * heartbeat meanwhile cost a member a handshake and a copy of its table each time.
 */
const RESYNC_MS = 5000
/** A peer heard on the LAN is forgotten after this long unless heard again (a node re-announces itself about once a minute, and answers queries). */
const HEARD_FOR_MS = 60_000

export interface DialerInit {
  /** Overlay links a node aims for. */
  links: number
  /** Links a node accepts before refusing. */
  maxLinks: number
  /** Seeds: dialled at start and whenever this node has no link. */
  bootstrap: Multiaddr[]
  dialTimeoutMs?: number
}

/** What the dialer asks of the link manager, whose sessions it opens. */
export interface DialerLinks {
  /** Whether the link manager runs: a dial decided before it stopped is not made. */
  started: () => boolean
  hasSession: (peer: string) => boolean
  /** Starts a session on a stream this node opened; undefined when the peer's own, opened meanwhile, is kept instead. */
  attach: (stream: Stream, connection: Connection) => LinkSession | undefined
  /** No link at all. */
  isolated: () => boolean
  /** Live links; with `opened`, only those this node opened. */
  linkCount: (opened?: boolean) => number
  /** Links this node asked for whose answer has not come yet. */
  linksAsked: () => number
  /** Its neighbours in the ring (ring.ts) it has no session with. */
  ringWanted: () => string[]
}

export interface DialerComponents {
  libp2p: MeshLibp2p
  membership: Membership
  gates: PeerGates
  links: DialerLinks
  /** Peers heard of on the LAN (mDNS), if any. */
  discovery?: TypedEventEmitter<{ peer: CustomEvent<HeardPeer> }>
  /** The link manager's counters of dials and of failed ones. */
  stats: { dials: number, dialFailures: number }
  log: Logger
  rng: () => number
  now: () => number
}

/**
 * Whom the node dials, and the dialling: links to members the overlay chooses, redials of members
 * lost in a partition, syncs with seeds and with peers heard on the LAN while the node is not in a
 * mesh, and strangers heard on the LAN brought into the mesh.
 */
export class Dialer {
  private readonly dialing = new Set<string>()
  private readonly heard = new Map<string, { addrs: Multiaddr[], at: number, member: boolean }>()
  /** Later looks at strangers (at most about two per stranger heard), cancelled on stop. */
  private readonly strangerChecks = new Set<ReturnType<typeof setTimeout>>()
  private lastSyncAt = -Infinity

  /** Whether a loopback address is dialable depends on this node's own addresses: listed once per 5 s. */
  private readonly self: OwnAddrs

  constructor (private readonly init: DialerInit, private readonly c: DialerComponents) {
    this.self = cachedOwnAddrs(c.libp2p)
  }

  start (): void {
    this.c.discovery?.addEventListener('peer', this.onDiscovered)
  }

  stop (): void {
    this.c.discovery?.removeEventListener('peer', this.onDiscovered)
    for (const timer of this.strangerChecks) clearTimeout(timer)
    this.strangerChecks.clear()
  }

  dial (now: number): void {
    this.dialLinks()
    if (this.seeking()) this.dialSeeds(now)
  }

  /**
   * Not (yet) in the mesh: no link, or none beyond an island of newcomers that found each other
   * first (everyone it reaches is a neighbour of its own). Such a node keeps asking seeds and peers
   * heard on the LAN that it cannot reach; a member of a formed mesh reaches all of those already.
   */
  seeking (): boolean {
    return this.c.links.isolated() || this.c.membership.table.reachableSize <= this.c.links.linkCount() + 1
  }

  dialLinks (): void {
    const table = this.c.membership.table
    const { links, gates } = this.c
    const unreachable = table.unreachable()
    const lost = unreachable.filter(m => m.everReachable).map(m => m.info.peerId)
    const plan: DialPlan = chooseDials({
      links: links.linkCount(),
      outbound: links.linkCount(true),
      pending: this.dialing.size + links.linksAsked(),
      targetLinks: this.init.links,
      reachable: table.reachable().map(m => m.info.peerId),
      unreachable: unreachable.map(m => m.info.peerId),
      lost,
      busy: peer => links.hasSession(peer) || this.dialing.has(peer) || gates.backingOff(peer) || gates.isBanned(peer) || gates.isForeign(peer),
      reachableCount: table.reachableSize,
      linksOf: peer => table.get(peer)?.info.links.length ?? 0,
      maxLinks: this.init.maxLinks,
      // Not for a node cut off from members it reached before: its ring neighbours may be the dead.
      first: links.isolated() && lost.length === 0 ? this.joinerRing() : undefined
    }, this.c.rng)
    for (const peer of plan.links) void this.open({ peer, addrs: this.addrsOf(peer) }, true)
    // Beyond its share: the links that let the whole fleet watch a ring rather than every link.
    if (!this.seeking()) {
      for (const peer of links.ringWanted()) if (!this.dialing.has(peer) && !gates.backingOff(peer) && !gates.isBanned(peer)) void this.open({ peer, addrs: this.addrsOf(peer) }, true)
    }
    if (plan.redial != null) void this.open({ peer: plan.redial, addrs: this.addrsOf(plan.redial) }, links.linkCount() < this.init.maxLinks)
  }

  /**
   * A node with no link yet: its neighbours in the ring of the members a sync brought it (none of
   * them reachable from here before its first link, so every one it knows of that is not leaving).
   */
  private joinerRing (): string[] {
    const table = this.c.membership.table
    if (table.size < RING_MIN_MEMBERS) return []
    const { pred, succ } = ringPlace(table.self, table.all().filter(m => !m.info.leaving).map(m => m.info.peerId))
    return [...new Set([succ, pred].filter((p): p is string => p != null && p !== table.self))]
  }

  /**
   * No mesh: ask the seeds and anyone heard on the LAN for the membership, by a sync, not a link.
   * The node then links to members of its choosing (with room to spare): a link to the seed would
   * make every seed take a link from every joiner and give another back, two more record versions
   * per join for every member to check.
   */
  private dialSeeds (now: number): void {
    const table = this.c.membership.table
    const isolated = this.c.links.isolated()
    if (!this.maySync(now)) return
    for (const addr of this.init.bootstrap) {
      const key = addr.toString()
      const peer = peerIdIn(addr)
      if (peer === table.self || this.c.gates.backingOff(peer ?? key) || this.c.gates.backingOff(key)) continue
      // Past the first link, only seeds it knows it cannot reach (an island of newcomers).
      if (!isolated && (peer == null || table.get(peer)?.reachable === true)) continue
      this.lastSyncAt = now
      void this.open({ peer, addrs: [peer != null ? addr.decapsulateCode(421) : addr] }, false)
    }
    // Forgotten too: a peer that identify showed is no P2PFaaS node (heard before it was marked).
    for (const [peer, h] of this.heard) if (now - h.at > HEARD_FOR_MS || this.c.gates.isForeign(peer)) this.heard.delete(peer)
    // Members of a mesh first (another newcomer knows no one), then the rest: one that cannot be
    // joined (another swarm key, gone) backs off and leaves its turn to the next. In random order,
    // so that a fleet starting together does not all dial the first node it heard.
    const candidates = shuffled([...this.heard].filter(([peer]) => table.get(peer)?.reachable !== true), this.c.rng)
    for (const [peer, h] of [...candidates.filter(([, h]) => h.member), ...candidates.filter(([, h]) => !h.member)]) this.joinThrough(peer, h.addrs)
  }

  /**
   * An isolated node syncs with peers heard on the LAN to join, a few at once: one sync brings it
   * the whole membership, and a fleet of N starting together that dialled everyone it heard would
   * make N^2 handshakes (at N=64, seconds of every node's CPU).
   */
  private joinThrough (peer: string, addrs: Multiaddr[]): void {
    const now = this.c.now()
    if (this.dialing.size >= JOIN_SYNCS || !this.maySync(now) || this.c.gates.backingOff(peer) || this.c.gates.isBanned(peer)) return
    if (!this.dialing.has(peer)) this.lastSyncAt = now
    void this.open({ peer, addrs }, false)
  }

  /**
   * A node whose table lists no one beyond its own neighbours syncs whenever it can; one that knows
   * more is linking to them, and syncs again only if that has not brought it in after a while.
   */
  private maySync (now: number): boolean {
    const table = this.c.membership.table
    return table.size <= this.c.links.linkCount() + 1 || now - this.lastSyncAt >= RESYNC_MS
  }

  private addrsOf (peer: string): Multiaddr[] {
    return dialableAddrs(this.c.membership.table.get(peer)?.info.addrs ?? [], this.self)
  }

  private readonly onDiscovered = (evt: CustomEvent<HeardPeer>): void => {
    const peer = evt.detail.id.toString()
    const table = this.c.membership.table
    if (peer === this.c.membership.self || this.c.gates.isForeign(peer) || this.c.gates.isBanned(peer)) return
    // Every member's re-announcement reaches every node: one already reachable needs nothing more.
    if (table.get(peer)?.reachable === true) { this.heard.delete(peer); return }
    const addrs = evt.detail.multiaddrs.filter(a => isDialable(a, this.self))
    if (addrs.length === 0) return
    if (this.heard.size >= MAX_REMEMBERED) this.heard.clear()
    if (!this.heard.has(peer) && table.get(peer) == null) this.c.log.info({ peer, addrs: addrs.map(String) }, 'discovered peer')
    this.heard.set(peer, { addrs, at: this.c.now(), member: evt.detail.member })
    // A member's answer is a way in now; another newcomer's waits for the heartbeat, by when a
    // member may have answered too.
    if (this.seeking()) { if (evt.detail.member) this.joinThrough(peer, addrs); return }
    // A member hearing a stranger: it is new (it dials in itself and its record then reaches
    // everyone within a second) or from a mesh that formed apart. Every member hears it, so only
    // about two of them, chosen at random, check again later and bring it in if nobody has: were
    // all N to dial it, each node joining an N-node LAN would cost N handshakes.
    if (this.c.rng() * Math.max(1, table.reachableSize) >= STRANGER_DIALERS || this.strangerChecks.size >= MAX_REMEMBERED) return
    const timer = setTimeout(() => {
      this.strangerChecks.delete(timer)
      if (this.c.links.started() && table.get(peer)?.reachable !== true) void this.open({ peer, addrs }, this.c.links.linkCount() < this.init.maxLinks)
    }, STRANGER_WAIT_MS[evt.detail.member ? 'member' : 'newcomer'] * (1 + this.c.rng()))
    timer.unref?.()
    this.strangerChecks.add(timer)
  }

  /** Opens a session to a member (or a seed address): a link when `link`, else a one-off sync. */
  private async open (target: { peer?: string, addrs: Multiaddr[] }, link: boolean): Promise<void> {
    const key = target.peer ?? target.addrs.map(String).join(',')
    if (this.dialing.has(key) || (target.peer != null && this.c.links.hasSession(target.peer))) return
    this.dialing.add(key)
    this.c.stats.dials++
    try {
      const signal = AbortSignal.timeout(this.init.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS)
      const peerId = target.peer != null ? peerIdFromString(target.peer) : undefined
      let conn = peerId != null ? this.c.libp2p.getConnections(peerId).find(c => c.status === 'open') : undefined
      if (conn == null) {
        const addrs = target.addrs.map(a => peerId != null && !a.toString().includes('/p2p/') ? a.encapsulate(`/p2p/${target.peer}`) : a)
        conn = await this.c.libp2p.dial(addrs.length > 0 ? addrs : peerId!, { signal })
      }
      const peer = conn.remotePeer.toString()
      if (conn.direction === 'outbound') this.c.membership.table.confirmAddress(conn.remoteAddr.decapsulateCode(421).toString(), peer)
      if (peer === this.c.membership.self || this.c.links.hasSession(peer) || this.c.gates.isBanned(peer) || this.c.gates.isForeign(peer)) return
      const stream = await conn.newStream(LINK_PROTOCOL, { signal })
      const s = this.c.links.attach(stream, conn)
      if (s == null) return
      s.asksLink = link
      s.send({ hello: { record: this.c.membership.ownRecord().bytes, link, digest: this.c.membership.table.digest() } })
    } catch (err: any) {
      this.c.stats.dialFailures++
      this.c.gates.noteFailure(key)
      this.c.log.debug({ target: key, err: err?.message }, 'could not open a session')
    } finally {
      this.dialing.delete(key)
    }
  }
}
