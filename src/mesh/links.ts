import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdIn } from './addr.js'
import { sparseWindowUpdates } from './coalesce.js'
import { shuffled } from '../scheduler/sampling.js'
import { AGENT_PREFIX, type MeshLibp2p } from './libp2p.js'
import { decodeLoad, encodeLoad, LoadVersions } from './link-load.js'
import { LINK_PROTOCOL, LinkSession, type LinkTraffic } from './link-session.js'
import { chooseDials, type DialPlan } from './overlay.js'
import { BAN_SCORE, type Membership } from './membership.js'
import type { LoadSource } from './load.js'
import type { MeshView } from './view.js'
import { createRemoteWarn, type Logger, type RemoteWarn } from '../log.js'
import type { DigestEntry, LinkFrame, LoadUpdate } from '../wire/mesh.js'
import type { Member } from './members.js'
import type { Connection, IdentifyResult, PeerInfo, Stream } from '@libp2p/interface'
import type { TypedEventEmitter } from 'main-event'

/**
 * A link's opener pings every PING_EVERY heartbeats (each ping is answered at once); a link quiet
 * for SUSPECT_AFTER heartbeats is pinged at once, by either end; one quiet for SILENT_HEARTBEATS is
 * dead: its connection is dropped and the link leaves both records. So a neighbour that stops
 * answering is dropped 2 to 3 heartbeats after its last word, while an idle link costs one round
 * trip every 2 heartbeats (each message costs both ends about 0.1 ms of CPU in the libp2p stack:
 * that, not bytes, is what an idle node spends on its links).
 */
export const PING_EVERY = 2
const SUSPECT_AFTER = 2
export const SILENT_HEARTBEATS = 3
const DEFAULT_IDLE_CONNECTION_MS = 30_000
const DEFAULT_DIAL_TIMEOUT_MS = 4000
const DEFAULT_LOAD_COALESCE_MS = 100
/** A hello or a sync that has not finished in this long is abandoned. */
const SESSION_SETUP_MS = 10_000
const BAN_MS = 5 * 60_000
const MAX_REMEMBERED = 1024
/** Links a full node may take beyond its maximum from nodes below the target, before it has shed others. */
const OVERFLOW_LINKS = 4
/** How many members, on average, take a stranger heard on the LAN into the mesh; and after how long (ms, to twice that). */
const STRANGER_DIALERS = 2
const STRANGER_WAIT_MS = 2000
/**
 * Syncs an isolated node makes at once with peers heard on the LAN. One member's answer is the
 * whole table; two cover a peer that turns out to be another newcomer. Each costs the peer a
 * handshake and a copy of its table.
 */
const JOIN_SYNCS = 2

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
  discovery?: TypedEventEmitter<{ peer: CustomEvent<PeerInfo> }>
  log: Logger
  rng?: () => number
  now?: () => number
}

export interface LinkStats extends LinkTraffic {
  linksUp: number
  linksDown: number
  dials: number
  dialFailures: number
}

/**
 * The overlay: a few long-lived links per node (a stream each, on the connection), over which
 * neighbours exchange signed member records, a pulse every heartbeat (their liveness) and their load
 * when it changes. It decides whom to link to, accepts or refuses links, notices dead ones, redials
 * members lost in a partition, and keeps the node's connections to other members under a cap.
 */
export class LinkManager {
  readonly stats: LinkStats = {
    framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, linksUp: 0, linksDown: 0, dials: 0, dialFailures: 0,
    sent: { hello: 0, pulse: 0, load: 0, records: 0, digest: 0, want: 0, have: 0 }
  }
  private readonly sessions = new Map<string, LinkSession>()
  private readonly dialing = new Set<string>()
  private readonly backoff = new Map<string, { until: number, ms: number }>()
  private readonly banned = new Map<string, number>()
  private readonly foreign = new Set<string>()
  private readonly heard = new Map<string, { addrs: Multiaddr[], at: number }>()
  private readonly idleSince = new Map<string, number>()
  private readonly loads = new LoadVersions()
  private readonly pendingLoad = new Map<string, LoadUpdate>()
  private readonly log: Logger
  private readonly warn: RemoteWarn
  private readonly rng: () => number
  private readonly now: () => number
  private readonly maxLinks: number
  private tickTimer?: ReturnType<typeof setTimeout>
  private loadTimer?: ReturnType<typeof setTimeout>
  private lastTick = 0
  private lastLoadSent = -Infinity
  private started = false

  constructor (private readonly init: LinkManagerInit, private readonly c: LinkManagerComponents) {
    this.log = c.log.child({ component: 'links' })
    this.warn = createRemoteWarn(this.log, { everyMs: init.warnEveryMs })
    this.rng = c.rng ?? Math.random
    this.now = c.now ?? (() => performance.now())
    // Links are connections too: never more of them than the cap on connections allows.
    this.maxLinks = Math.min(init.maxLinks ?? init.links + Math.ceil(init.links / 2), init.maxConnections)
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

  announce (peer: string, versions: DigestEntry[]): void {
    const s = this.sessions.get(peer)
    if (s != null && s.role !== 'hello') s.pushHave(versions)
  }

  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    const { libp2p } = this.c
    await libp2p.handle(LINK_PROTOCOL, (stream, connection) => { this.onInbound(stream, connection) }, { maxInboundStreams: 4, maxOutboundStreams: 4 })
    libp2p.addEventListener('peer:identify', this.onIdentify)
    this.c.loadSource.addEventListener('change', this.onLoadChange)
    this.c.membership.addEventListener('ban', this.onBan)
    this.c.membership.addEventListener('own:sealed', this.onOwnSealed)
    this.c.membership.addEventListener('member:update', this.onMemberRecord)
    this.c.membership.addEventListener('member:join', this.onMemberRecord)
    this.c.discovery?.addEventListener('peer', this.onDiscovered)
    this.lastTick = this.now()
    this.tick()
    this.scheduleTick()
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    if (this.tickTimer != null) clearTimeout(this.tickTimer)
    if (this.loadTimer != null) clearTimeout(this.loadTimer)
    this.tickTimer = this.loadTimer = undefined
    const { libp2p } = this.c
    libp2p.removeEventListener('peer:identify', this.onIdentify)
    this.c.loadSource.removeEventListener('change', this.onLoadChange)
    this.c.membership.removeEventListener('ban', this.onBan)
    this.c.membership.removeEventListener('own:sealed', this.onOwnSealed)
    this.c.membership.removeEventListener('member:update', this.onMemberRecord)
    this.c.membership.removeEventListener('member:join', this.onMemberRecord)
    this.c.discovery?.removeEventListener('peer', this.onDiscovered)
    for (const s of [...this.sessions.values()]) s.close()
    await libp2p.unhandle(LINK_PROTOCOL)
  }

  // --- sessions -------------------------------------------------------------------------------

  private onInbound (stream: Stream, connection: Connection): void {
    const peer = connection.remotePeer.toString()
    if (!this.started || this.isBanned(peer) || this.foreign.has(peer)) { stream.abort(new Error('refused')); return }
    const existing = this.sessions.get(peer)
    if (existing != null) {
      // Both ends opened a session at once: the one opened by the smaller PeerId survives, at both ends.
      // An established session replaced by a new one means the other end lost it: the new one wins.
      if (existing.role === 'hello' && existing.initiator && this.c.membership.self < peer) { stream.abort(new Error('crossed hello')); return }
      existing.abort('replaced by a new session')
    }
    this.attach(stream, connection, false)
  }

  private attach (stream: Stream, connection: Connection, initiator: boolean): LinkSession {
    sparseWindowUpdates(stream)
    const s = new LinkSession({ stream, connection, initiator, maxEntries: this.c.membership.table.maxMembers, now: this.now, traffic: this.stats, handle: this.onFrame })
    this.sessions.set(s.peer, s)
    s.addEventListener('close', evt => { this.onClose(s, evt.detail.error, evt.detail.violation) })
    s.start()
    return s
  }

  private onClose (s: LinkSession, error: string | undefined, violation: boolean): void {
    if (this.sessions.get(s.peer) === s) this.sessions.delete(s.peer)
    this.pendingLoad.delete(s.peer)
    if (violation) this.c.membership.penalise(s.peer, 'bad frame', BAN_SCORE, `link protocol violation: ${error ?? 'a bad frame'}`)
    this.c.membership.sessionEnded(s.peer)
    if (error != null) this.log.debug({ peer: s.peer, role: s.role, error }, 'session ended')
    if (s.role === 'link') this.linkDown(s.peer)
    // A joiner's sync brought it the membership: it links now rather than at the next heartbeat.
    else if (s.role === 'sync' && s.initiator && this.started && this.seeking()) this.dialLinks()
  }

  private readonly onFrame = async (s: LinkSession, frame: LinkFrame): Promise<void> => {
    if (frame.hello != null) { await this.onHello(s, frame.hello); return }
    if (s.role === 'hello') { this.violation(s, 'a frame before the hello'); return }
    // Records first: a pulse in the same frame may carry load that follows the new record.
    if (frame.records.length > 0) await this.c.membership.receive(frame.records, s.peer)
    if (frame.pulse != null) this.onPulse(s, frame.pulse)
    if (frame.have.length > 0) {
      s.noteTheyHave(frame.have)
      const want = this.c.membership.wantsFrom(frame.have, s.peer)
      if (want.length > 0) s.send({ want })
    }
    if (frame.digest.length > 0) this.answerDigest(s, frame)
    else if (frame.want.length > 0) this.sendRecords(s, this.c.membership.wanted(frame.want, s.peer))
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
      const accept = hello.link && this.admits(sender.info.links.length)
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
    if (hello.digest !== digest) this.sendDigest(s)
    else if (s.role === 'sync') s.close()
  }

  private onPulse (s: LinkSession, pulse: NonNullable<LinkFrame['pulse']>): void {
    if (pulse.ping) s.send({ pulse: this.pulse(s, false) })
    if (pulse.load != null) {
      this.pendingLoad.delete(s.peer)
      const member = this.c.membership.table.get(s.peer)
      const load = member != null ? decodeLoad(pulse.load, member.info) : undefined
      if (load != null) this.c.view.applyLoad(s.peer, load, s.lastHeard)
      // It follows a record still on its way (a sync): applied when the record arrives.
      else if (member != null && pulse.load.recordSeq > member.info.seq) this.pendingLoad.set(s.peer, pulse.load)
    } else {
      this.c.view.touch(s.peer, s.lastHeard)
    }
    s.theirDigest = pulse.digest
    s.digestMismatches = s.theirDigest === this.c.membership.table.digest() ? 0 : s.digestMismatches + 1
    // Views that stay apart for two pulses are compared; the opener asks, so a pair never syncs twice at once.
    if (s.initiator && s.digestMismatches >= 2 && this.now() - s.lastSyncAt > 3 * this.init.heartbeatMs) this.sendDigest(s)
  }

  private sendDigest (s: LinkSession): void {
    s.lastSyncAt = this.now()
    s.digestMismatches = 0
    s.send({ digest: this.c.membership.digestEntries() })
  }

  private answerDigest (s: LinkSession, frame: LinkFrame): void {
    const answer = this.c.membership.answerDigest(frame.digest, s.peer)
    this.sendRecords(s, answer.records)
    s.send({ want: answer.want, synced: true })
  }

  private sendRecords (s: LinkSession, records: Uint8Array[]): void {
    for (let i = 0; i < records.length; i += 64) s.send({ records: records.slice(i, i + 64) })
  }

  private pulse (s: LinkSession, ping: boolean): NonNullable<LinkFrame['pulse']> {
    const load = this.loads.takeFor(s.peer, this.c.membership.ownRecord().info, this.c.loadSource)
    return { ping, digest: this.c.membership.table.digest(), load: load != null ? encodeLoad(load) : undefined }
  }

  private linkUp (s: LinkSession): void {
    this.stats.linksUp++
    this.loads.forget(s.peer)
    this.backoff.delete(s.peer)
    this.c.view.setLink(s.peer, true)
    this.c.membership.update({ links: this.linkPeers().sort() })
    // The new neighbour gets this node's load at once, not at the next change.
    s.send({ pulse: this.pulse(s, false) })
  }

  private linkDown (peer: string): void {
    this.stats.linksDown++
    this.loads.forget(peer)
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
      if (s.role !== 'link' || s.peer === keep) continue
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

  // --- dialling -------------------------------------------------------------------------------

  /** Opens a session to a member (or a seed address): a link when `link`, else a one-off sync. */
  private async open (target: { peer?: string, addrs: Multiaddr[] }, link: boolean): Promise<void> {
    const key = target.peer ?? target.addrs.map(String).join(',')
    if (this.dialing.has(key) || (target.peer != null && this.sessions.has(target.peer))) return
    this.dialing.add(key)
    this.stats.dials++
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
      if (peer === this.c.membership.self || this.sessions.has(peer) || this.isBanned(peer) || this.foreign.has(peer)) return
      const stream = await conn.newStream(LINK_PROTOCOL, { signal })
      const s = this.attach(stream, conn, true)
      s.asksLink = link
      s.send({ hello: { record: this.c.membership.ownRecord().bytes, link, digest: this.c.membership.table.digest() } })
    } catch (err: any) {
      this.stats.dialFailures++
      this.noteFailure(key)
      this.log.debug({ target: key, err: err?.message }, 'could not open a session')
    } finally {
      this.dialing.delete(key)
    }
  }

  private noteFailure (key: string): void {
    const ms = Math.min(8000, (this.backoff.get(key)?.ms ?? 500) * 2)
    if (this.backoff.size >= MAX_REMEMBERED) this.backoff.clear()
    this.backoff.set(key, { until: this.now() + ms * (0.75 + this.rng() / 2), ms })
  }

  private backingOff (key: string): boolean {
    return (this.backoff.get(key)?.until ?? 0) > this.now()
  }

  private isBanned (peer: string): boolean {
    const until = this.banned.get(peer)
    if (until == null) return false
    if (until > this.now()) return true
    this.banned.delete(peer)
    return false
  }

  private readonly onBan = (evt: CustomEvent<{ peer: string, reason: string }>): void => {
    const { peer, reason } = evt.detail
    if (this.banned.size >= MAX_REMEMBERED) this.banned.clear()
    this.banned.set(peer, this.now() + BAN_MS)
    this.warn(peer, 'banned', { why: reason, minutes: BAN_MS / 60_000 }, 'cut off a misbehaving peer')
    this.sessions.get(peer)?.abort(`banned: ${reason}`)
    void this.c.libp2p.hangUp(peerIdFromString(peer)).catch(() => {})
  }

  private readonly onDiscovered = (evt: CustomEvent<PeerInfo>): void => {
    const peer = evt.detail.id.toString()
    if (peer === this.c.membership.self || this.foreign.has(peer) || this.isBanned(peer)) return
    // Every member's re-announcement reaches every node: one already reachable needs nothing more.
    if (this.c.membership.table.get(peer)?.reachable === true) { this.heard.delete(peer); return }
    const addrs = evt.detail.multiaddrs.filter(a => isDialable(a, this.c.libp2p))
    if (addrs.length === 0) return
    if (this.heard.size >= MAX_REMEMBERED) this.heard.clear()
    if (!this.heard.has(peer) && this.c.membership.table.get(peer) == null) this.log.info({ peer, addrs: addrs.map(String) }, 'discovered peer')
    this.heard.set(peer, { addrs, at: this.now() })
    if (this.seeking()) { this.joinThrough(peer, addrs); return }
    // A member hearing a stranger: it is new (it dials in itself and its record then reaches
    // everyone within a second) or from a mesh that formed apart. Every member hears it, so only
    // about two of them, chosen at random, check again later and bring it in if nobody has: were
    // all N to dial it, each node joining an N-node LAN would cost N handshakes.
    if (this.rng() * Math.max(1, this.c.membership.table.reachableSize) >= STRANGER_DIALERS) return
    setTimeout(() => {
      if (this.started && this.c.membership.table.get(peer)?.reachable !== true) void this.open({ peer, addrs }, this.linkCount() < this.maxLinks)
    }, STRANGER_WAIT_MS * (1 + this.rng())).unref?.()
  }

  /** Of two connections between a pair, both ends keep the one the smaller PeerId opened. */
  private keptDirection (peer: string): 'inbound' | 'outbound' {
    return this.c.membership.self < peer ? 'outbound' : 'inbound'
  }

  /** The duplicate of a kept connection to the same peer, and nothing is using it: closing it loses nothing. */
  private isSpareDuplicate (c: Connection): boolean {
    if (c.streams.length > 0 || this.carriesSession(c)) return false
    const keep = this.keptDirection(c.remotePeer.toString())
    return c.direction !== keep && this.c.libp2p.getConnections(c.remotePeer).some(o => o !== c && o.status === 'open' && o.direction === keep)
  }

  private carriesSession (conn: Connection): boolean {
    return this.sessions.get(conn.remotePeer.toString())?.connection === conn
  }

  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    const { peerId, agentVersion } = evt.detail
    if (agentVersion?.startsWith(AGENT_PREFIX) === true) return
    const id = peerId.toString()
    if (this.foreign.size >= MAX_REMEMBERED) this.foreign.clear()
    if (!this.foreign.has(id)) this.log.info({ peer: id, agentVersion }, 'not a P2PFaaS node: hanging up')
    this.foreign.add(id)
    this.sessions.get(id)?.abort('not a P2PFaaS node')
    void this.c.libp2p.hangUp(peerId).catch(() => {})
  }

  // --- load -----------------------------------------------------------------------------------

  private readonly onMemberRecord = (evt: CustomEvent<Member>): void => {
    const peer = evt.detail.info.peerId
    const pending = this.pendingLoad.get(peer)
    if (pending == null) return
    const load = decodeLoad(pending, evt.detail.info)
    if (load == null) return
    this.pendingLoad.delete(peer)
    this.c.view.applyLoad(peer, load, this.now())
  }

  /** A new own record reorders or renames the load's functions: neighbours get the load with it, in one frame. */
  private readonly onOwnSealed = (): void => {
    for (const s of this.sessions.values()) {
      if (s.role !== 'link') continue
      const p = this.pulse(s, false)
      if (p.load != null) s.pushPulse(p)
    }
  }

  private readonly onLoadChange = (): void => {
    this.syncOwnFunctions()
    this.scheduleLoad()
  }

  private scheduleLoad (): void {
    if (this.loadTimer != null || !this.started) return
    const wait = Math.max(0, this.lastLoadSent + (this.init.loadCoalesceMs ?? DEFAULT_LOAD_COALESCE_MS) - this.now())
    this.loadTimer = setTimeout(() => {
      this.loadTimer = undefined
      this.lastLoadSent = this.now()
      for (const s of this.sessions.values()) {
        if (s.role !== 'link') continue
        const p = this.pulse(s, false)
        if (p.load != null) s.send({ pulse: p })
      }
    }, wait)
  }

  /** The record lists the functions and their slots; a change there is a new record. */
  private syncOwnFunctions (): void {
    const functions = this.c.loadSource.snapshot().functions.map(f => ({ name: f.name, capacity: f.capacity }))
    this.c.membership.update({ functions })
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
    const h = this.init.heartbeatMs
    const silentMs = (SILENT_HEARTBEATS - 0.5) * h
    // Pings go out on the same (wall-clock) heartbeats everywhere: see scheduleTick.
    const pingTick = Math.round(Date.now() / h) % PING_EVERY === 0
    for (const s of [...this.sessions.values()]) {
      if (s.role === 'link') {
        if (s.lastHeard < now - elapsed) s.quietTicks++
        if (s.quietTicks >= SILENT_HEARTBEATS && now - s.lastHeard > silentMs) {
          this.log.info({ peer: s.peer, silentMs: Math.round(now - s.lastHeard) }, 'link silent: dropping it')
          s.abort('silent')
          void s.connection.close().catch(() => { s.connection.abort(new Error('silent link')) })
          continue
        }
        if ((s.initiator && pingTick) || s.quietTicks >= SUSPECT_AFTER) s.send({ pulse: this.pulse(s, true) })
      } else if (now - s.openedAt > SESSION_SETUP_MS) {
        s.abort(`${s.role} did not finish`)
      }
    }
    this.c.membership.tick(elapsed)
    // Links taken beyond the maximum (from nodes that had too few) are given back one a heartbeat.
    if (this.linkCount() > this.maxLinks) this.shedLink()
    this.dial(now)
    this.trimConnections(now)
  }

  private dial (now: number): void {
    this.dialLinks()
    if (this.seeking()) this.dialSeeds(now)
  }

  /**
   * Not (yet) in the mesh: no link, or none beyond an island of newcomers that found each other
   * first (everyone it reaches is a neighbour of its own). Such a node keeps asking seeds and peers
   * heard on the LAN that it cannot reach; a member of a formed mesh reaches all of those already.
   */
  private seeking (): boolean {
    return this.isolated() || this.c.membership.table.reachableSize <= this.linkCount() + 1
  }

  private dialLinks (): void {
    const table = this.c.membership.table
    const plan: DialPlan = chooseDials({
      links: this.linkCount(),
      outbound: this.linkCount(true),
      pending: this.dialing.size + this.linksAsked(),
      targetLinks: this.init.links,
      reachable: table.reachable().map(m => m.info.peerId),
      unreachable: table.unreachable().map(m => m.info.peerId),
      busy: peer => this.sessions.has(peer) || this.dialing.has(peer) || this.backingOff(peer) || this.isBanned(peer) || this.foreign.has(peer),
      reachableCount: table.reachableSize,
      linksOf: peer => table.get(peer)?.info.links.length ?? 0,
      maxLinks: this.maxLinks
    }, this.rng)
    for (const peer of plan.links) void this.open({ peer, addrs: this.addrsOf(peer) }, true)
    if (plan.redial != null) void this.open({ peer: plan.redial, addrs: this.addrsOf(plan.redial) }, this.linkCount() < this.maxLinks)
  }

  /**
   * No mesh: ask the seeds and anyone heard on the LAN for the membership, by a sync, not a link.
   * The node then links to members of its choosing (with room to spare): a link to the seed would
   * make every seed take a link from every joiner and give another back, two more record versions
   * per join for every member to check.
   */
  private dialSeeds (now: number): void {
    const table = this.c.membership.table
    const isolated = this.isolated()
    for (const addr of this.init.bootstrap) {
      const key = addr.toString()
      const peer = peerIdIn(addr)
      if (peer === table.self || this.backingOff(peer ?? key) || this.backingOff(key)) continue
      // Past the first link, only seeds it knows it cannot reach (an island of newcomers).
      if (!isolated && (peer == null || table.get(peer)?.reachable === true)) continue
      void this.open({ peer, addrs: [peer != null ? addr.decapsulateCode(421) : addr] }, false)
    }
    for (const [peer, h] of this.heard) if (now - h.at > 60_000) this.heard.delete(peer)
    // In random order, so that a fleet starting together does not all dial the first node it heard.
    for (const [peer, h] of shuffled([...this.heard], this.rng)) if (table.get(peer)?.reachable !== true) this.joinThrough(peer, h.addrs)
  }

  /**
   * An isolated node syncs with peers heard on the LAN to join, a few at once: one sync brings it
   * the whole membership, and a fleet of N starting together that dialled everyone it heard would
   * make N^2 handshakes (at N=64, seconds of every node's CPU).
   */
  private joinThrough (peer: string, addrs: Multiaddr[]): void {
    if (this.dialing.size >= JOIN_SYNCS || this.backingOff(peer) || this.isBanned(peer)) return
    void this.open({ peer, addrs }, false)
  }

  private addrsOf (peer: string): Multiaddr[] {
    const info = this.c.membership.table.get(peer)?.info
    return (info?.addrs ?? []).map(a => multiaddr(a)).filter(a => isDialable(a, this.c.libp2p))
  }

  /** Hand-off connections to members live while used; idle ones close, and the busiest stay under the cap. */
  private trimConnections (now: number): void {
    const table = this.c.membership.table
    const idleMs = this.init.idleConnectionMs ?? DEFAULT_IDLE_CONNECTION_MS
    const spare: Array<{ conn: Connection, idle: number }> = []
    let members = 0
    const open = new Set<string>()
    for (const conn of this.c.libp2p.getConnections()) {
      const peer = conn.remotePeer.toString()
      if (conn.status !== 'open' || table.get(peer) == null) continue
      members++
      open.add(conn.id)
      if (this.carriesSession(conn)) continue
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
}

/**
 * Another host's loopback (or link-local) address is our own: dialling it reaches ourselves or a
 * stranger. Loopback stays dialable when this node itself only has loopback (tests on one machine).
 */
function isDialable (addr: Multiaddr, libp2p: MeshLibp2p): boolean {
  const host = addr.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')?.value ?? ''
  const local = host.startsWith('127.') || host === '::1' || host.startsWith('fe80:')
  if (!local) return true
  // Only now: listing this node's own addresses is not free, and most addresses are not local.
  return libp2p.getMultiaddrs().every(a => { const h = a.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')?.value ?? ''; return h.startsWith('127.') || h === '::1' })
}
