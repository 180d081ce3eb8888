import { peerIdFromString } from '@libp2p/peer-id'
import { sparseWindowUpdates } from './coalesce.js'
import { ConnectionTrimmer } from './connection-trim.js'
import { Dialer } from './dialer.js'
import { AGENT_PREFIX, type MeshLibp2p } from './libp2p.js'
import { LoadRelay } from './link-load.js'
import { LINK_PROTOCOL, LinkSession, type LinkTraffic } from './link-session.js'
import { RecordSync } from './link-sync.js'
import type { Membership } from './membership.js'
import { BAN_SCORE } from './neighbour-scores.js'
import { BAN_MS, PeerGates } from './peer-gates.js'
import { LinkWatch } from './link-watch.js'
import type { LoadSource } from './load.js'
import type { MeshView } from './view.js'
import { createRemoteWarn, type Logger, type RemoteWarn } from '../log.js'
import type { DigestEntry, LinkFrame } from '../wire/mesh.js'
import type { HeardPeer } from './mdns.js'
import type { Connection, IdentifyResult, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { TypedEventEmitter } from 'main-event'

/** A hello or a sync that has not finished in this long is abandoned. */
const SESSION_SETUP_MS = 10_000
/** Links a full node may take beyond its maximum from nodes below the target, before it has shed others. */
const OVERFLOW_LINKS = 4

export interface LinkManagerInit {
  /** Pulse interval on every link (ms): the liveness clock and the idle load refresh. */
  heartbeatMs: number
  /** Overlay links a node aims for. */
  links: number
  /** Links a node accepts before refusing (default links + half). */
  maxLinks?: number
  /** Connections to other members, links and hand-offs together. */
  maxConnections: number
  /** Seeds: dialled at start and whenever this node has no link. */
  bootstrap: Multiaddr[]
  idleConnectionMs?: number
  dialTimeoutMs?: number
  loadCoalesceMs?: number
  /** A peer's repeated warning is logged at most once per this (ms). */
  warnEveryMs?: number
}

export interface LinkManagerComponents {
  libp2p: MeshLibp2p
  membership: Membership
  view: MeshView
  loadSource: LoadSource
  /** Peers heard of on the LAN (mDNS), if any. */
  discovery?: TypedEventEmitter<{ peer: CustomEvent<HeardPeer> }>
  log: Logger
  rng?: () => number
  now?: () => number
}

export interface LinkStats extends LinkTraffic {
  linksUp: number
  linksDown: number
  dials: number
  dialFailures: number
  /** Pings sent because a link had been quiet for SUSPECT_AFTER heartbeats (not on the schedule). */
  suspectPings: number
  /** Pings sent to silent links when the ring broke (each answered within a heartbeat or the link dropped). */
  probes: number
}

/**
 * The overlay: a few long-lived links per node (a stream each, on the connection), over which
 * neighbours exchange signed member records, a pulse every heartbeat (their liveness) and their load
 * when it changes. It decides whom to link to, accepts or refuses links, notices dead ones, redials
 * members lost in a partition, and keeps the node's connections to other members under a cap.
 */
export class LinkManager {
  readonly stats: LinkStats = {
    framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, linksUp: 0, linksDown: 0, dials: 0, dialFailures: 0, suspectPings: 0, probes: 0,
    sent: { hello: 0, pulse: 0, load: 0, records: 0, digest: 0, want: 0, have: 0 }
  }
  private readonly sessions = new Map<string, LinkSession>()
  private readonly gates: PeerGates
  private readonly load: LoadRelay
  private readonly sync: RecordSync
  private readonly dialer: Dialer
  private readonly trimmer: ConnectionTrimmer
  private readonly watch: LinkWatch
  private readonly log: Logger
  private readonly warn: RemoteWarn
  private readonly now: () => number
  private readonly maxLinks: number
  private tickTimer?: ReturnType<typeof setTimeout>
  private lastTick = 0
  private started = false

  constructor (private readonly init: LinkManagerInit, private readonly c: LinkManagerComponents) {
    this.log = c.log.child({ component: 'links' })
    this.warn = createRemoteWarn(this.log, { everyMs: init.warnEveryMs })
    const rng = c.rng ?? Math.random
    this.now = c.now ?? (() => performance.now())
    // Links are connections too: never more of them than the cap on connections allows.
    this.maxLinks = Math.min(init.maxLinks ?? init.links + Math.ceil(init.links / 2), init.maxConnections)
    this.gates = new PeerGates({ now: this.now, rng })
    const { libp2p, membership, view, loadSource } = c
    this.load = new LoadRelay(init, { membership, view, loadSource, sessions: () => this.sessions.values(), now: this.now })
    this.sync = new RecordSync(init, { membership, now: this.now })
    this.watch = new LinkWatch(init, {
      membership,
      view,
      load: this.load,
      sessions: () => this.sessions.values(),
      session: peer => this.sessions.get(peer),
      stats: this.stats,
      log: this.log,
      now: this.now
    })
    this.dialer = new Dialer({ ...init, maxLinks: this.maxLinks }, {
      libp2p,
      membership,
      gates: this.gates,
      links: {
        started: () => this.started,
        hasSession: peer => this.sessions.has(peer),
        attach: (stream, connection) => this.attach(stream, connection, true),
        isolated: () => this.isolated(),
        linkCount: opened => this.linkCount(opened),
        linksAsked: () => this.linksAsked(),
        ringWanted: () => this.watch.ringWanted()
      },
      discovery: c.discovery,
      stats: this.stats,
      log: this.log,
      rng,
      now: this.now
    })
    this.trimmer = new ConnectionTrimmer(init, {
      libp2p,
      self: membership.self,
      isMember: peer => membership.table.get(peer) != null,
      carriesSession: conn => this.sessions.get(conn.remotePeer.toString())?.connection === conn
    })
  }

  /** Peers this node has a live overlay link with. */
  linkPeers (): string[] {
    return [...this.sessions.values()].filter(s => s.role === 'link' && s.isOpen).map(s => s.peer)
  }

  /** No link at all: the node is not part of any mesh (mDNS keeps asking while this holds). */
  isolated (): boolean {
    for (const s of this.sessions.values()) if (s.role === 'link') return false
    return true
  }

  /** Peers with any session open (links and syncs): where new records are flooded. */
  sessionPeers (): Iterable<string> {
    return [...this.sessions.values()].filter(s => s.role !== 'hello' && s.isOpen).map(s => s.peer)
  }

  push (peer: string, records: Uint8Array[]): void {
    const s = this.sessions.get(peer)
    if (s != null && s.role !== 'hello') s.push(records)
  }

  announce (peer: string, versions: DigestEntry[], later?: boolean): void {
    const s = this.sessions.get(peer)
    if (s != null && s.role !== 'hello') s.pushHave(versions, later)
  }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    const { libp2p } = this.c
    await libp2p.handle(LINK_PROTOCOL, (stream, connection) => { this.onInbound(stream, connection) }, { maxInboundStreams: 4, maxOutboundStreams: 4 })
    libp2p.addEventListener('peer:identify', this.onIdentify)
    this.c.membership.addEventListener('ban', this.onBan)
    this.watch.start()
    this.load.start()
    this.dialer.start()
    this.lastTick = this.now()
    this.tick()
    this.scheduleTick()
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    if (this.tickTimer != null) clearTimeout(this.tickTimer)
    this.tickTimer = undefined
    this.load.stop()
    const { libp2p } = this.c
    libp2p.removeEventListener('peer:identify', this.onIdentify)
    this.c.membership.removeEventListener('ban', this.onBan)
    this.watch.stop()
    this.dialer.stop()
    for (const s of [...this.sessions.values()]) s.close()
    await libp2p.unhandle(LINK_PROTOCOL)
  }

  // --- sessions -------------------------------------------------------------------------------

  private onInbound (stream: Stream, connection: Connection): void {
    const peer = connection.remotePeer.toString()
    if (!this.started || this.gates.isBanned(peer) || this.gates.isForeign(peer)) { stream.abort(new Error('refused')); return }
    const existing = this.sessions.get(peer)
    if (existing != null) {
      // Both ends opened a session at once: the one opened by the smaller PeerId survives, at both
      // ends (see attach). Otherwise a new session means the other end lost the old one: it wins.
      if (existing.initiator && existing.isOpen && this.c.membership.self < peer) { stream.abort(new Error('crossed session')); return }
      existing.abort('replaced by a new session')
    }
    this.attach(stream, connection, false)
  }

  /**
   * Starts a session on a stream; undefined when this node opened it (`initiator`) while the peer's
   * own session to it came up, and the peer's is the one both ends keep. Two sessions to one peer,
   * each end writing to its own, left each end's pulses landing on a session the other no longer
   * listened to.
   */
  private attach (stream: Stream, connection: Connection, initiator: boolean): LinkSession | undefined {
    const existing = this.sessions.get(connection.remotePeer.toString())
    if (initiator && existing != null) {
      if (this.c.membership.self > existing.peer) { stream.abort(new Error('crossed session')); return undefined }
      existing.abort('crossed session')
    }
    sparseWindowUpdates(stream)
    const s = new LinkSession({ stream, connection, initiator, maxEntries: this.c.membership.table.maxMembers, now: this.now, traffic: this.stats, handle: this.onFrame })
    this.sessions.set(s.peer, s)
    s.addEventListener('close', evt => { this.onClose(s, evt.detail.error, evt.detail.violation) })
    s.start()
    return s
  }

  private onClose (s: LinkSession, error: string | undefined, violation: boolean): void {
    if (this.sessions.get(s.peer) === s) this.sessions.delete(s.peer)
    this.load.sessionEnded(s.peer)
    if (violation) this.c.membership.penalise(s.peer, 'bad frame', BAN_SCORE, `link protocol violation: ${error ?? 'a bad frame'}`)
    this.c.membership.sessionEnded(s.peer)
    if (error != null) this.log.debug({ peer: s.peer, role: s.role, error }, 'session ended')
    if (s.role === 'link') this.linkDown(s.peer)
    // A joiner's sync brought it the membership: it links now rather than at the next heartbeat.
    else if (s.role === 'sync' && s.initiator && this.started && this.dialer.seeking()) this.dialer.dialLinks()
  }

  private readonly onFrame = async (s: LinkSession, frame: LinkFrame): Promise<void> => {
    if (frame.hello != null) { await this.onHello(s, frame.hello); return }
    if (s.role === 'hello') { this.violation(s, 'a frame before the hello'); return }
    // Records first: a pulse in the same frame may carry load that follows the new record.
    if (frame.records.length > 0) await this.c.membership.receive(frame.records, s.peer)
    // Before the pulse: announcements in the same frame say the two views are still moving.
    s.noteTheyHave(frame.have)
    if (frame.pulse != null) this.onPulse(s, frame.pulse)
    this.sync.onFrame(s, frame)
    if (frame.synced) {
      s.lastSyncAt = this.now()
      if (s.role === 'sync') s.close()
    }
  }

  private async onHello (s: LinkSession, hello: NonNullable<LinkFrame['hello']>): Promise<void> {
    if (s.role !== 'hello') { this.violation(s, 'a second hello'); return }
    const outcome = await this.c.membership.receive([hello.record], s.peer, s.peer)
    const sender = this.c.membership.table.get(s.peer)
    if (outcome.rejected > 0 || sender == null) { s.abort('a hello without a valid record of its sender'); return }
    if (!s.isOpen) return
    const own = this.c.membership.ownRecord()
    const digest = this.c.membership.table.digest()
    if (!s.initiator) {
      const accept = hello.link && (this.admits(sender.info.links.length) || this.ringNeighbourWithRoom(s.peer))
      s.role = accept ? 'link' : 'sync'
      s.send({ hello: { record: own.bytes, link: accept, digest } })
      if (accept) {
        this.linkUp(s)
        if (this.linkCount() > this.maxLinks) this.shedLink(s.peer)
      }
      return
    }
    s.role = hello.link ? 'link' : 'sync'
    if (hello.link) this.linkUp(s)
    if (hello.digest !== digest) this.sync.sendDigest(s)
    else if (s.role === 'sync') s.close()
  }

  private onPulse (s: LinkSession, pulse: NonNullable<LinkFrame['pulse']>): void {
    if (pulse.ping) s.send({ pulse: this.load.pulse(s, false) })
    this.load.received(s, pulse.load)
    this.sync.onPulseDigest(s, pulse.digest)
  }

  private linkUp (s: LinkSession): void {
    this.stats.linksUp++
    this.load.forget(s.peer)
    this.gates.clearBackoff(s.peer)
    this.c.view.setLink(s.peer, true)
    this.c.membership.update({ links: this.linkPeers().sort() })
    // The new neighbour gets this node's load at once, not at the next change.
    s.send({ pulse: this.load.pulse(s, false) })
  }

  private linkDown (peer: string): void {
    this.stats.linksDown++
    this.load.forget(peer)
    this.c.view.setLink(peer, false)
    this.c.membership.update({ links: this.linkPeers().sort() })
  }

  /**
   * Whether to take a link from a node that has `theirs` links. A node with room says yes; a full
   * one still says yes to a node below the target (an isolated one above all: refusing it could
   * leave it outside a mesh whose members are all full), and then sheds a link elsewhere.
   */
  private admits (theirs: number): boolean {
    const n = this.linkCount()
    return n < this.maxLinks || (theirs < this.init.links && n < Math.min(this.maxLinks + OVERFLOW_LINKS, this.init.maxConnections))
  }

  /**
   * Over the limit: drops the link to a neighbour that can best spare it (the most links of its
   * own), and only one whose loss splits nobody off: every member stays reachable without it.
   */
  private shedLink (keep?: string): void {
    let best: LinkSession | undefined
    let most = 1
    const table = this.c.membership.table
    for (const s of this.sessions.values()) {
      if (s.role !== 'link' || s.peer === keep || this.watch.isRingNeighbour(s.peer)) continue
      const theirs = table.get(s.peer)?.info.links.length ?? 0
      // The neighbour keeps at least the target number of links, and nobody is split off.
      if (theirs > Math.max(most, this.init.links) && table.canDropLink(s.peer)) { best = s; most = theirs }
    }
    if (best == null) return
    this.log.debug({ peer: best.peer, theirLinks: most }, 'too many links: shedding one')
    best.close()
  }

  /** Links this node asked for whose answer has not come yet: dialled, but not counted as links. */
  private linksAsked (): number {
    let n = 0
    for (const s of this.sessions.values()) if (s.role === 'hello' && s.initiator && s.asksLink) n++
    return n
  }

  /** Live links; with `opened`, only those this node opened. */
  private linkCount (opened = false): number {
    let n = 0
    for (const s of this.sessions.values()) if (s.role === 'link' && (!opened || s.initiator)) n++
    return n
  }

  private violation (s: LinkSession, what: string): void {
    this.c.membership.penalise(s.peer, 'protocol', 10, `link protocol violation: ${what}`)
    s.abort(what)
  }

  // --- peers cut off ------------------------------------------------------------------------

  private readonly onBan = (evt: CustomEvent<{ peer: string, reason: string }>): void => {
    const { peer, reason } = evt.detail
    this.gates.ban(peer)
    this.warn(peer, 'banned', { why: reason, minutes: BAN_MS / 60_000 }, 'cut off a misbehaving peer')
    this.sessions.get(peer)?.abort(`banned: ${reason}`)
    void this.c.libp2p.hangUp(peerIdFromString(peer)).catch(() => {})
  }

  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    const { peerId, agentVersion } = evt.detail
    if (agentVersion?.startsWith(AGENT_PREFIX) === true) return
    const id = peerId.toString()
    if (this.gates.markForeign(id)) this.log.info({ peer: id, agentVersion }, 'not a P2PFaaS node: hanging up')
    this.sessions.get(id)?.abort('not a P2PFaaS node')
    void this.c.libp2p.hangUp(peerId).catch(() => {})
  }

  // --- the heartbeat --------------------------------------------------------------------------

  /**
   * Ticks on the wall clock's heartbeat boundaries, so that the nodes of a LAN (whose clocks agree
   * within a few ms) ping at about the same moment: a node's pings, pongs and its neighbours'
   * pings then arrive together and are handled in one or two wake-ups rather than one each. It only
   * costs the first tick's alignment; the schedule does not drift.
   */
  private scheduleTick (): void {
    if (!this.started) return
    const h = this.init.heartbeatMs
    this.tickTimer = setTimeout(() => {
      this.tick()
      this.scheduleTick()
    }, h - (Date.now() % h))
  }

  private tick (): void {
    const now = this.now()
    const elapsed = now - this.lastTick
    this.lastTick = now
    this.watch.beat(now, elapsed)
    for (const s of [...this.sessions.values()]) {
      if (s.role !== 'link' && now - s.openedAt > SESSION_SETUP_MS) s.abort(`${s.role} did not finish`)
    }
    this.c.membership.tick(elapsed)
    // Links taken beyond the maximum (from nodes that had too few) are given back one a heartbeat.
    if (this.linkCount() > this.maxLinks) this.shedLink()
    this.dialer.dial(now)
    this.trimmer.trim(now)
  }

  /** Whether the ring of watched links carries this node's liveness now (link-watch.ts). */
  ringMode (): boolean {
    return this.watch.ringMode()
  }

  /** A ring neighbour asking for a link gets one while this node has connections to spare (a link elsewhere is shed). */
  private ringNeighbourWithRoom (peer: string): boolean {
    return this.watch.isRingNeighbour(peer) && this.linkCount() < this.init.maxConnections
  }
}
