import { TypedEventEmitter } from 'main-event'
import { DEFAULT_MAX_MEMBERS } from './defaults.js'
import { MemberTable, type Member } from './members.js'
import { certifyRecord, peekRecord, peerIdString, RecordError, sealRecord, type MemberInfo, type SignedRecord } from './record.js'
import { onlyLinksAdded, sameInfo, versionCauses, type VersionCause } from './versions.js'
import { NeighbourScores, PENALTY } from './neighbour-scores.js'
import { createRemoteWarn, type RemoteWarn } from '../log.js'
import type { Logger } from '../log.js'
import type { DigestEntry } from '../wire/mesh.js'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'

/** Unreachable members are kept this long: redialled after a partition, and their versions remembered. */
export const DEFAULT_RETAIN_MS = 10 * 60_000
/** Changes to this node's own record closer together than this go out as one new version. */
const OWN_RECORD_COALESCE_MS = 20
/** A version that only adds links between reachable members waits until this long after the previous one. */
const GAINED_LINKS_INTERVAL_MS = 3000
/** An announced version asked for and not received is asked again of the next announcer after this. */
const ASK_AGAIN_MS = 1000

export interface MembershipInit {
  privateKey: PrivateKey
  /** Above every earlier run of this node (see node/incarnation.ts). */
  incarnation: bigint
  maxMembers?: number
  retainMs?: number
  /** A neighbour's repeated warning is logged at most once per this (ms). */
  warnEveryMs?: number
  now?: () => number
}

export interface MembershipComponents {
  /** Queues records for one neighbour's session (batched by the session). */
  push(peer: string, records: Uint8Array[]): void
  /**
   * Queues announcements of versions for one neighbour (it asks for those it lacks). `later`: the
   * versions change nobody's view (links added between members everyone reaches), so they may wait
   * for a frame the link sends anyway.
   */
  announce(peer: string, versions: DigestEntry[], later?: boolean): void
  /** Every peer with an open session (links and syncs), for floods. */
  sessions(): Iterable<string>
  log: Logger
}

export interface MembershipEvents {
  'member:join': CustomEvent<Member>
  'member:update': CustomEvent<Member>
  'member:leave': CustomEvent<Member>
  /** A neighbour misbehaved past the limit: cut it off. */
  'ban': CustomEvent<{ peer: string, reason: string }>
  /** This node signed a new version of its own record. */
  'own:sealed': CustomEvent<SignedRecord>
}

export interface MembershipStats {
  recordsAccepted: number
  recordsIgnored: number
  recordsRejected: number
  tableFull: number
  /** Versions of this node's own record it signed, by what each changed (one version may count under several). */
  ownVersions: Record<VersionCause, number>
}

/** What an answer to a digest holds. */
export interface DigestAnswer {
  records: Uint8Array[]
  want: Uint8Array[]
}

/**
 * The member table's keeper: this node's own signed record, records arriving from neighbours
 * (checked, stored, passed on to the other neighbours once), digests answered, and the score of
 * every neighbour that sent something it should not have.
 */
export class Membership extends TypedEventEmitter<MembershipEvents> {
  readonly table: MemberTable
  readonly self: string
  readonly stats: MembershipStats = { recordsAccepted: 0, recordsIgnored: 0, recordsRejected: 0, tableFull: 0, ownVersions: { start: 0, addrs: 0, functions: 0, links_lost: 0, links_gained: 0, leaving: 0, outranked: 0 } }
  private readonly scores: NeighbourScores
  /** Versions asked of a neighbour lately, by `peerId/incarnation/seq`. */
  private readonly asked = new Map<string, number>()
  private readonly warn: RemoteWarn
  private own: MemberInfo
  private resealTimer?: ReturnType<typeof setTimeout>
  private resealAt = 0
  private lastSealAt = -Infinity
  private sealing?: Promise<void>
  private readonly retainMs: number
  private readonly now: () => number

  constructor (private readonly init: MembershipInit, private readonly c: MembershipComponents) {
    super()
    this.self = peerIdFromPrivateKey(init.privateKey).toString()
    this.table = new MemberTable({ self: this.self, maxMembers: init.maxMembers ?? DEFAULT_MAX_MEMBERS, now: init.now })
    this.retainMs = init.retainMs ?? DEFAULT_RETAIN_MS
    this.now = init.now ?? (() => performance.now())
    this.warn = createRemoteWarn(c.log.child({ component: 'membership' }), { everyMs: init.warnEveryMs })
    this.own = { peerId: this.self, incarnation: init.incarnation, seq: 0n, addrs: [], functions: [], links: [], leaving: false }
    this.scores = new NeighbourScores({
      table: this.table,
      retainMs: this.retainMs,
      now: this.now,
      warn: this.warn,
      sessions: () => this.c.sessions(),
      onBan: (peer, reason) => { this.safeDispatchEvent('ban', { detail: { peer, reason } }) },
      onRefused: () => { this.stats.recordsRejected++ }
    })
    for (const e of ['member:join', 'member:update', 'member:leave'] as const) {
      this.table.addEventListener(e, evt => { this.safeDispatchEvent(e, { detail: evt.detail }) })
    }
  }

  /** This node's own record, signed; sealed once before anything else is sent. */
  async start (): Promise<void> {
    await this.reseal()
  }

  stop (): void {
    if (this.resealTimer != null) clearTimeout(this.resealTimer)
    this.resealTimer = undefined
  }

  ownRecord (): SignedRecord {
    const me = this.table.get(this.self)
    if (me == null) throw new Error('membership not started')
    return { info: me.info, bytes: me.bytes }
  }

  ownInfo (): MemberInfo { return this.own }

  /** A change to this node's own record waits to be sealed (see update): the fleet has not heard it yet. */
  get versionPending (): boolean { return this.resealTimer != null }

  /** Changes what this node says of itself; a new signed version follows shortly and is flooded. */
  update (change: Partial<Pick<MemberInfo, 'addrs' | 'functions' | 'links' | 'leaving'>>): void {
    const next = { ...this.own, ...change }
    if (sameInfo(next, this.own)) return
    // A lost link tells the fleet who became unreachable, a link to a newcomer (or across a healed
    // partition) who became reachable, and functions and addresses say where calls can go: those
    // go out at once. A new link between members already reachable only adds a path; while a fleet
    // forms those change many times a second, and each version costs every member a signature check.
    const onlyNewPaths = onlyLinksAdded(this.own, next) &&
      next.links.every(l => this.own.links.includes(l) || this.table.get(l)?.reachable === true)
    this.own = next
    const at = this.now() + (onlyNewPaths ? Math.max(OWN_RECORD_COALESCE_MS, this.lastSealAt + GAINED_LINKS_INTERVAL_MS - this.now()) : OWN_RECORD_COALESCE_MS)
    if (this.resealTimer != null && this.resealAt <= at) return
    if (this.resealTimer != null) clearTimeout(this.resealTimer)
    this.resealAt = at
    this.resealTimer = setTimeout(() => {
      this.resealTimer = undefined
      void this.reseal()
    }, at - this.now())
  }

  /** Seals and floods the current self-description now (at stop: the leaving record). */
  async flush (): Promise<void> {
    if (this.resealTimer != null) clearTimeout(this.resealTimer)
    this.resealTimer = undefined
    await this.reseal()
  }

  private async reseal (): Promise<void> {
    await this.sealing
    const run = (async () => {
      const latest = this.table.get(this.self)?.info
      if (latest != null && sameInfo(latest, this.own)) return
      for (const cause of versionCauses(latest, this.own)) this.stats.ownVersions[cause]++
      this.own = { ...this.own, seq: latest != null && latest.incarnation === this.own.incarnation ? latest.seq + 1n : 1n }
      const record = await sealRecord(this.own, this.init.privateKey)
      this.lastSealAt = this.now()
      this.table.put(record)
      // Nobody else may claim where this node listens.
      for (const addr of record.info.addrs) this.table.confirmAddress(addr, this.self)
      this.recomputeAndRelay([{ peerId: this.self, wasReachable: true, linksAdded: false }])
      this.safeDispatchEvent('own:sealed', { detail: record })
    })()
    this.sealing = run.catch(err => { this.c.log.error({ err }, 'could not sign this node\'s record') })
    await this.sealing
  }

  /**
   * Records from a neighbour: each checked (shape, then signature only when it is news), stored,
   * and passed on to every other neighbour. A bad one costs the sender score; a duplicate costs
   * nothing.
   */
  async receive (records: readonly Uint8Array[], from: string, expectSigner?: string): Promise<{ accepted: number, ignored: number, rejected: number }> {
    const count = { accepted: 0, ignored: 0, rejected: 0 }
    const accepted: Accepted[] = []
    for (const bytes of records) {
      const outcome = await this.consider(bytes, from, expectSigner)
      count[outcome.result]++
      if (outcome.accepted != null) accepted.push(outcome.accepted)
    }
    if (accepted.length > 0) this.recomputeAndRelay(accepted, from)
    return count
  }

  /**
   * Recomputes who is reachable, then passes on what changed to the other neighbours: records of
   * members that are reachable (or just stopped being so), and of members that just became
   * reachable. A record of a member nobody can reach is kept but never passed on, so honest nodes
   * never spread what a liar made up.
   */
  private recomputeAndRelay (accepted: Accepted[], from?: string): void {
    const joined: string[] = []
    let left = 0
    const onJoin = (evt: CustomEvent<Member>): void => { joined.push(evt.detail.info.peerId) }
    const onLeave = (): void => { left++ }
    this.table.addEventListener('member:join', onJoin)
    this.table.addEventListener('member:leave', onLeave)
    try {
      this.table.recompute()
    } finally {
      this.table.removeEventListener('member:join', onJoin)
      this.table.removeEventListener('member:leave', onLeave)
    }
    const relay = new Map<string, { member: Member, except?: string, later?: boolean }>()
    for (const a of accepted) {
      const m = this.table.get(a.peerId)
      // A version that only adds links between members this node reached before and still does
      // changes no view here: most versions while a fleet forms are such. Its announcement waits
      // for a frame each link sends anyway (a pulse), so a burst of them shares one. A lost link
      // is never such a version: it may be how a dead member leaves the views, and goes at once.
      const later = a.linksAdded && a.wasReachable && m?.reachable === true && joined.length === 0 && left === 0
      if (m != null && (m.reachable || a.wasReachable)) relay.set(a.peerId, { member: m, except: from, later })
    }
    for (const id of joined) {
      const m = this.table.get(id)
      if (m != null && !relay.has(id)) relay.set(id, { member: m })
    }
    for (const r of relay.values()) {
      // A node's own new record goes out whole (every neighbour needs it); others' are announced
      // and sent to whoever asks, so a change crosses each link once as a record, not D times.
      if (r.member.info.peerId === this.self) this.flood(r.member.bytes)
      else this.announceVersion(r.member.info, r.except, r.later)
    }
  }

  private announceVersion (info: MemberInfo, except?: string, later?: boolean): void {
    const entry = [versionOf(info)]
    // Not to the member itself either: it has its own record.
    for (const peer of this.c.sessions()) if (peer !== except && peer !== info.peerId) this.c.announce(peer, entry, later)
  }

  /**
   * Announced versions from a neighbour: the ones worth asking it for. A version already asked of
   * someone in the last second is not asked again (the first answer will do); if that answer never
   * comes, the next announcement asks again.
   */
  wantsFrom (entries: readonly DigestEntry[], from: string): Uint8Array[] {
    if (entries.length > this.table.maxMembers) {
      this.penalise(from, 'oversized have', PENALTY.severe, `announced ${entries.length} records`)
      return []
    }
    const now = this.now()
    if (this.asked.size > 4 * this.table.maxMembers) this.asked.clear()
    const want: Uint8Array[] = []
    for (const e of entries) {
      const id = peerIdString(e.peerId)
      if (id == null || id === this.self) continue
      if (this.table.novelty({ peerId: id, incarnation: e.incarnation, seq: e.seq }) !== 'new') continue
      const key = `${id}/${e.incarnation}/${e.seq}`
      const at = this.asked.get(key)
      if (at != null && now - at < ASK_AGAIN_MS) continue
      this.asked.set(key, now)
      want.push(e.peerId)
    }
    return want
  }

  private async consider (bytes: Uint8Array, from: string, expectSigner?: string): Promise<{ result: 'accepted' | 'ignored' | 'rejected', accepted?: Accepted }> {
    let signed: SignedRecord
    try {
      const peeked = peekRecord(bytes)
      if (expectSigner != null && peeked.info.peerId !== expectSigner) throw new RecordError('forged', `a hello carrying ${peeked.info.peerId}'s record`)
      const novelty = this.table.novelty(peeked.info)
      if (novelty === 'same' || novelty === 'older') { this.stats.recordsIgnored++; return { result: 'ignored' } }
      signed = await certifyRecord(peeked)
      if (novelty === 'replay') throw new RecordError('replay', `an old version of ${peeked.info.peerId}'s record (replayed)`)
    } catch (err) {
      this.reject(from, err instanceof RecordError ? err.problem : 'malformed', (err as Error).message)
      return { result: 'rejected' }
    }
    if (signed.info.peerId === this.self) {
      // Someone holds a newer record of ours than we do (a restart lost it): outrank it.
      if (signed.info.incarnation >= this.own.incarnation) this.own = { ...this.own, incarnation: signed.info.incarnation + 1n, seq: 0n }
      void this.reseal()
      this.stats.recordsIgnored++
      return { result: 'ignored' }
    }
    const known = this.table.get(signed.info.peerId)
    if (known == null && this.scores.refuseIntroduction(from)) return { result: 'rejected' }
    const linksAdded = known != null && onlyLinksAdded(known.info, signed.info)
    const result = this.table.put(signed, from)
    if (result === 'full') {
      this.stats.tableFull++
      this.warn(from, 'table full', { maxMembers: this.table.maxMembers }, 'member table full: a new member was not admitted (--max-members)')
      return { result: 'ignored' }
    }
    if (result === 'address taken') {
      this.reject(from, 'address taken', `${signed.info.peerId} claims an address another live member answers at`)
      return { result: 'rejected' }
    }
    if (result === 'not newer') { this.stats.recordsIgnored++; return { result: 'ignored' } }
    this.stats.recordsAccepted++
    return { result: 'accepted', accepted: { peerId: signed.info.peerId, wasReachable: known?.reachable === true, linksAdded } }
  }

  /** A digest from a neighbour: the records it lacks or holds older, and the ones to ask it for. */
  answerDigest (entries: readonly DigestEntry[], from: string): DigestAnswer {
    if (entries.length > this.table.maxMembers) {
      this.penalise(from, 'oversized digest', PENALTY.severe, `a digest of ${entries.length} members (at most ${this.table.maxMembers})`)
      return { records: [], want: [] }
    }
    const theirs = new Map<string, DigestEntry>()
    const want: Uint8Array[] = []
    for (const e of entries) {
      let id: string
      try { id = peerIdFromMultihashBytes(e.peerId) } catch { continue }
      theirs.set(id, e)
      const n = this.table.novelty({ peerId: id, incarnation: e.incarnation, seq: e.seq })
      if (n === 'new') want.push(e.peerId)
    }
    // What they lack, if someone can reach it (a record nobody can reach is not passed on); what
    // they hold older, whatever it is (it is no news to them that it exists).
    const records: Uint8Array[] = []
    for (const m of this.table.all()) {
      const e = theirs.get(m.info.peerId)
      const older = e != null && (e.incarnation < m.info.incarnation || (e.incarnation === m.info.incarnation && e.seq < m.info.seq))
      if (older || (e == null && (m.reachable || m.info.peerId === this.self))) records.push(m.bytes)
    }
    return { records, want }
  }

  /** The records a neighbour asked for (those this node has). */
  wanted (ids: readonly Uint8Array[], from: string): Uint8Array[] {
    if (ids.length > this.table.maxMembers) {
      this.penalise(from, 'oversized want', PENALTY.severe, `asked for ${ids.length} records`)
      return []
    }
    const out: Uint8Array[] = []
    for (const raw of ids) {
      let id: string
      try { id = peerIdFromMultihashBytes(raw) } catch { continue }
      const m = this.table.get(id)
      if (m != null) out.push(m.bytes)
    }
    return out
  }

  /** What this node knows, for a neighbour to compare with: reachable members and itself. */
  digestEntries (): DigestEntry[] {
    return this.table.all().filter(m => m.reachable || m.info.peerId === this.self).map(m => versionOf(m.info))
  }

  /** A protocol violation by a neighbour (a frame that does not decode, a hello that lies). */
  penalise (peer: string, reason: string, points: number = PENALTY.small, message?: string): void {
    this.scores.penalise(peer, reason, points, message)
  }

  scoreOf (peer: string): number { return this.scores.scoreOf(peer) }

  /** Once a heartbeat: scores heal, long-gone members are forgotten. */
  tick (elapsedMs: number): void {
    this.table.forget(this.retainMs)
    this.scores.tick(elapsedMs)
  }

  /** A neighbour's session ended: its count of introductions starts again with its next one. */
  sessionEnded (peer: string): void {
    this.scores.sessionEnded(peer)
  }

  private reject (from: string, reason: string, message: string): void {
    this.stats.recordsRejected++
    this.penalise(from, reason, PENALTY.small, `rejected a member record from a neighbour: ${message}`)
  }

  private flood (bytes: Uint8Array, except?: string): void {
    for (const peer of this.c.sessions()) if (peer !== except) this.c.push(peer, [bytes])
  }
}

/** A record taken into the table: whose, whether its member was reachable before, and whether the version only adds links. */
interface Accepted { peerId: string, wasReachable: boolean, linksAdded: boolean }

/** Which version of a member's record this is, as digests and announcements name it. */
function versionOf (info: MemberInfo): DigestEntry {
  return { peerId: peerIdFromString(info.peerId).toMultihash().bytes, incarnation: info.incarnation, seq: info.seq }
}

function peerIdFromMultihashBytes (bytes: Uint8Array): string {
  const id = peerIdString(bytes)
  if (id == null) throw new Error('not a PeerId')
  return id
}
