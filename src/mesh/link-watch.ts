import { RING_MIN_MEMBERS, ringLost, ringState, standingRing, type RingMember, type RingState } from './ring.js'
import type { LoadRelay } from './link-load.js'
import type { LinkSession } from './link-session.js'
import type { Membership } from './membership.js'
import type { MeshView } from './view.js'
import type { Logger } from '../log.js'

/**
 * Watching every link: a link's opener pings every PING_EVERY heartbeats (each ping is answered at
 * once); a link quiet for SUSPECT_AFTER heartbeats is pinged at once, by either end; one quiet for
 * SILENT_HEARTBEATS is dead: its connection is dropped and the link leaves both records. So a
 * neighbour that stops answering is dropped 3 to 4 heartbeats after its last word, while an idle
 * link costs one round trip every 2 heartbeats (each message costs an idle node 1 to 2 ms of CPU,
 * most of it in waking up for it: that, not bytes, is what an idle node spends on its links;
 * protocols/load.md).
 */
export const PING_EVERY = 2
const SUSPECT_AFTER = 2
export const SILENT_HEARTBEATS = 3
/**
 * Watching the ring (ring.ts): a node pulses its successor every heartbeat and watches only its
 * predecessor, which pulses it as often: quiet for RING_SUSPECT_AFTER heartbeats it is pinged,
 * quiet for RING_SILENT_HEARTBEATS it is dead. Twice the pulses, so the same two missed in a row
 * and a ping left unanswered for a heartbeat: 2 to 3 heartbeats after its last word. The other
 * links are silent; when the ring breaks by a loss (a member leaves, or a ring link is no longer
 * listed) every node probes each of them at once and drops those unanswered within a heartbeat, so
 * a dead member or a partition still leaves every view 3 to 4 heartbeats after the last word. One
 * frame out a second per node, whatever its links.
 */
const RING_SUSPECT_AFTER = 1
const RING_SILENT_HEARTBEATS = 2
/**
 * A frame that lands this much of a heartbeat before a boundary still counts for the heartbeat that
 * starts there: the opener's ping goes out on the boundary, and with two clocks a few ms apart it
 * lands a little before or a little after the responder's own tick. Without the slack, a ping that
 * beat the tick once and trailed it two heartbeats later made the link look quiet for 2 heartbeats
 * and drew a needless suspect ping (8 to 20 % more frames on an idle LAN fleet).
 */
const QUIET_SLACK = 1 / 20
/** Changes to the member table after which the ring is looked at again. */
const RING_EVENTS = ['member:join', 'member:update', 'member:leave', 'own:sealed'] as const
/**
 * Heartbeats with nobody joining or leaving this node's view before it links to its ring
 * successor. While a fleet forms, the ring changes with every member that becomes reachable: a
 * node that linked to each new successor at once made a link, and soon shed one, for every few
 * joiners, each a record version for every member to check, and a 64-node fleet starting on 2
 * cores never formed.
 */
const RING_SETTLE_HEARTBEATS = 3
const VIEW_EVENTS = ['member:join', 'member:leave'] as const

export interface LinkWatchInit {
  heartbeatMs: number
}

export interface LinkWatchComponents {
  membership: Membership
  view: MeshView
  load: LoadRelay
  /** The link manager's sessions as they are when asked. */
  sessions: () => Iterable<LinkSession>
  session: (peer: string) => LinkSession | undefined
  /** The link manager's counters this adds to. */
  stats: { suspectPings: number, probes: number }
  log: Logger
  now: () => number
}

/**
 * The links' liveness: which links this node pings and watches, each heartbeat, and which it drops
 * as dead. It watches every link until the ring is complete, then the ring alone, and probes the
 * silent links whenever the ring breaks by a loss.
 */
export class LinkWatch {
  /** The ring over the reachable members, as of the last change to the table. */
  private ring: RingState = { complete: false }
  private ringCheckQueued = false
  /** The members of the ring when it was last complete, with their links. */
  private lastRing: RingMember[] = []
  /** While the ring is incomplete by joins alone: this node's place in the last complete one, the standing ring (see duty). */
  private standing?: { pred: string, succ: string, members: ReadonlySet<string> }
  /** When a member last joined or left this node's view (monotonic ms). */
  private viewChangedAt = -Infinity
  private started = false
  /** Deadlines of probes in flight, cancelled on stop. */
  private readonly probeTimers = new Set<ReturnType<typeof setTimeout>>()

  constructor (private readonly init: LinkWatchInit, private readonly c: LinkWatchComponents) {}

  start (): void {
    this.started = true
    for (const event of RING_EVENTS) this.c.membership.addEventListener(event, this.queueRingCheck)
    for (const event of VIEW_EVENTS) this.c.membership.addEventListener(event, this.onViewChange)
  }

  stop (): void {
    this.started = false
    for (const event of RING_EVENTS) this.c.membership.removeEventListener(event, this.queueRingCheck)
    for (const event of VIEW_EVENTS) this.c.membership.removeEventListener(event, this.onViewChange)
    for (const timer of this.probeTimers) clearTimeout(timer)
    this.probeTimers.clear()
  }

  /** Whether the ring carries this node's liveness now: complete, and both its ring links up here. */
  ringMode (): boolean {
    const { complete, pred, succ } = this.ring
    return complete && this.c.session(pred!)?.role === 'link' && this.c.session(succ!)?.role === 'link'
  }

  /** A neighbour in the ring, or in the last complete one while this node keeps that (see duty): its link is not shed. */
  isRingNeighbour (peer: string): boolean {
    return this.ring.pred === peer || this.ring.succ === peer || this.standing?.pred === peer || this.standing?.succ === peer
  }

  /**
   * The ring successor, when this node has no session with it and its view has settled: the dialer
   * links to it beyond the node's share. Only the successor: the predecessor links to this node
   * itself, and two ends dialling each other at once cost two handshakes for one link.
   */
  ringWanted (): string[] {
    const table = this.c.membership.table
    const succ = this.ring.succ
    if (succ == null || table.reachableSize < RING_MIN_MEMBERS || this.c.session(succ) != null || table.get(succ)?.reachable !== true) return []
    return this.c.now() - this.viewChangedAt >= RING_SETTLE_HEARTBEATS * this.init.heartbeatMs ? [succ] : []
  }

  private readonly onViewChange = (): void => {
    this.viewChangedAt = this.c.now()
  }

  /**
   * One heartbeat of every link: pulses and pings out, quiet heartbeats counted, dead links
   * dropped. `elapsed`: since this node's previous heartbeat (longer after a stall of its own).
   */
  beat (now: number, elapsed: number): void {
    const h = this.init.heartbeatMs
    // The (wall-clock) heartbeat this tick stands for: pings go out on the same ones everywhere
    // (see LinkManager.scheduleTick). A link is quiet this heartbeat if nothing came since the one
    // before began, give or take the clocks' difference (that start put in this.now()'s time), nor
    // since this node's previous tick: after a stall of its own, the whole time since is its own.
    const wall = Date.now()
    const beat = Math.round(wall / h)
    const pingTick = beat % PING_EVERY === 0
    const quietBefore = Math.min(now - elapsed, now - (wall - (beat - 1) * h) - QUIET_SLACK * h)
    const ring = this.duty()
    for (const s of [...this.c.sessions()]) {
      if (s.role !== 'link') continue
      if (ring != null && s.peer !== ring.pred && ring.covers(s.peer)) {
        // A silent link: its load arrives on every change, and the ring bounds how long a dead
        // neighbour's link stays up, so what it last said is as fresh as the link.
        s.quietTicks = 0
        s.coveredAt = now
        this.c.view.confirmLoad(s.peer, now)
        if (s.peer === ring.succ) s.send({ pulse: this.c.load.pulse(s, false) })
        continue
      }
      const watchedAsRing = ring != null && s.peer === ring.pred
      const [suspectAfter, silentAfter] = watchedAsRing ? [RING_SUSPECT_AFTER, RING_SILENT_HEARTBEATS] : [SUSPECT_AFTER, SILENT_HEARTBEATS]
      const heard = Math.max(s.lastHeard, s.coveredAt)
      if (heard < quietBefore) s.quietTicks++
      if (s.quietTicks >= silentAfter && now - heard > (silentAfter - 0.5) * h) {
        this.dropSilent(s, 'link silent: dropping it')
        continue
      }
      const suspect = s.quietTicks >= suspectAfter
      if (suspect) this.c.stats.suspectPings++
      if ((!watchedAsRing && s.initiator && pingTick) || suspect) s.send({ pulse: this.c.load.pulse(s, true) })
    }
  }

  private dropSilent (s: LinkSession, why: string): void {
    this.c.log.info({ peer: s.peer, silentMs: Math.round(this.c.now() - s.lastHeard) }, why)
    s.abort('silent')
    void s.connection.close().catch(() => { s.connection.abort(new Error('silent link')) })
    // The ring is broken here first: the other silent links are asked at once, not when the new
    // record comes back around.
    if (this.covering()) this.probeLinks()
  }

  /**
   * The ring this node keeps its part of now, if any: the complete one; or, while the ring is
   * incomplete only because members joined since it was last complete (none lost, every link of it
   * still listed), that last complete ring. Newcomers do not threaten anyone's liveness: the old
   * ring still watches every old member, and only links to newcomers need watching one by one.
   * While a fleet forms the ring is incomplete most of the time, and watching every link then made
   * about a third of the frames a forming fleet sent (protocols/membership.md, "The ring").
   */
  private duty (): { pred: string, succ: string, covers: (peer: string) => boolean } | undefined {
    const linked = (peer: string | undefined): peer is string => peer != null && this.c.session(peer)?.role === 'link'
    if (this.ring.complete) return linked(this.ring.pred) && linked(this.ring.succ) ? { pred: this.ring.pred, succ: this.ring.succ, covers: () => true } : undefined
    const g = this.standing
    return g != null && linked(g.pred) && linked(g.succ) ? { pred: g.pred, succ: g.succ, covers: peer => g.members.has(peer) } : undefined
  }

  /** Whether a ring vouches for silent links now (see duty). */
  private covering (): boolean {
    return this.ring.complete || this.standing != null
  }

  private readonly queueRingCheck = (): void => {
    if (this.ringCheckQueued || !this.started) return
    this.ringCheckQueued = true
    // Records come in batches: one look at the ring per batch.
    setImmediate(() => {
      this.ringCheckQueued = false
      if (this.started) this.checkRing()
    })
  }

  private checkRing (): void {
    const table = this.c.membership.table
    const self = table.get(table.self)
    const members = [...(self != null ? [self] : []), ...table.reachable()].map(m => ({ peerId: m.info.peerId, links: m.info.links }))
    const was = this.covering()
    this.ring = ringState(table.self, members)
    // The ring broke by a loss: a member left, or a ring link is no longer listed (dead, cut off).
    // Silent links may be dead too: each is asked now. A newcomer not linked in yet breaks it too,
    // but threatens nobody's liveness: the ring vouched for every link until now (coveredAt), and
    // its last complete form goes on doing so (duty).
    const lost = !this.ring.complete && this.lastRing.length > 0 && ringLost(this.lastRing, members)
    if (was && lost) this.probeLinks()
    if (this.ring.complete) this.lastRing = members
    this.standing = this.ring.complete || lost ? undefined : standingRing(table.self, this.lastRing, members)
  }

  /**
   * Pings every link not heard from in the last half heartbeat; one still unanswered a heartbeat
   * later is dropped as silent. A link already asked is not asked again before its answer is due.
   */
  private probeLinks (): void {
    const now = this.c.now()
    const h = this.init.heartbeatMs
    let sent = 0
    for (const s of this.c.sessions()) {
      if (s.role !== 'link' || s.probeAt != null || now - s.lastHeard < h / 2) continue
      s.probeAt = now
      s.send({ pulse: this.c.load.pulse(s, true) })
      sent++
    }
    if (sent === 0) return
    this.c.stats.probes += sent
    const timer = setTimeout(() => {
      this.probeTimers.delete(timer)
      this.endProbes(now)
    }, h)
    this.probeTimers.add(timer)
  }

  private endProbes (sentAt: number): void {
    for (const s of [...this.c.sessions()]) {
      if (s.probeAt == null || s.probeAt > sentAt) continue
      s.probeAt = undefined
      if (s.role === 'link' && s.isOpen && s.lastHeard < sentAt) this.dropSilent(s, 'link silent: a probe went unanswered')
    }
  }
}
