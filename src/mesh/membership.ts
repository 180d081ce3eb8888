import { TypedEventEmitter } from 'main-event'
import { DEFAULT_MAX_MEMBERS } from './defaults.js'
import { MemberTable, type Member } from './members.js'
import { certifyRecord, peekRecord, peerIdString, RecordError, sealRecord, type FunctionSlots, type MemberInfo, type SignedRecord } from './record.js'
import { createRemoteWarn, type RemoteWarn } from '../log.js'
import type { Logger } from '../log.js'
import type { DigestEntry } from '../wire/mesh.js'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'

/** Unreachable members are kept this long: redialled after a partition, and their versions remembered. */
export const DEFAULT_RETAIN_MS = 10 * 60_000
/** Changes to this node's own record closer together than this go out as one new version. */
const OWN_RECORD_COALESCE_MS = 20
/** Penalty points per offence; a peer at or below -BAN_SCORE is cut off. Scores decay towards 0. */
const PENALTY = { small: 10, severe: 50 } as const
export const BAN_SCORE = 50
const SCORE_DECAY_PER_SECOND = 0.9

export interface MembershipInit {
  privateKey: PrivateKey
  /** Above every earlier run of this node (see node/incarnation.ts). */
  incarnation: bigint
  maxMembers?: number
  retainMs?: number
  now?: () => number
}

export interface MembershipComponents {
  /** Queues records for one neighbour's session (batched by the session). */
  push(peer: string, records: Uint8Array[]): void
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
  readonly stats: MembershipStats = { recordsAccepted: 0, recordsIgnored: 0, recordsRejected: 0, tableFull: 0 }
  private readonly scores = new Map<string, number>()
  private readonly introduced = new Map<string, number>()
  private readonly warn: RemoteWarn
  private own: MemberInfo
  private resealTimer?: ReturnType<typeof setTimeout>
  private sealing?: Promise<void>
  private readonly retainMs: number

  constructor (private readonly init: MembershipInit, private readonly c: MembershipComponents) {
    super()
    this.self = peerIdFromPrivateKey(init.privateKey).toString()
    this.table = new MemberTable({ self: this.self, maxMembers: init.maxMembers ?? DEFAULT_MAX_MEMBERS, now: init.now })
    this.retainMs = init.retainMs ?? DEFAULT_RETAIN_MS
    this.warn = createRemoteWarn(c.log.child({ component: 'membership' }))
    this.own = { peerId: this.self, incarnation: init.incarnation, seq: 0n, addrs: [], functions: [], links: [], leaving: false }
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

  /** Changes what this node says of itself; a new signed version follows shortly and is flooded. */
  update (change: Partial<Pick<MemberInfo, 'addrs' | 'functions' | 'links' | 'leaving'>>): void {
    const next = { ...this.own, ...change }
    if (sameInfo(next, this.own)) return
    this.own = next
    this.resealTimer ??= setTimeout(() => {
      this.resealTimer = undefined
      void this.reseal()
    }, OWN_RECORD_COALESCE_MS)
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
      this.own = { ...this.own, seq: latest != null && latest.incarnation === this.own.incarnation ? latest.seq + 1n : 1n }
      const record = await sealRecord(this.own, this.init.privateKey)
      this.table.put(record)
      this.table.recompute()
      this.flood(record.bytes)
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
    for (const bytes of records) count[await this.consider(bytes, from, expectSigner)]++
    if (count.accepted > 0) this.table.recompute()
    return count
  }

  private async consider (bytes: Uint8Array, from: string, expectSigner?: string): Promise<'accepted' | 'ignored' | 'rejected'> {
    let signed: SignedRecord
    try {
      const peeked = peekRecord(bytes)
      if (expectSigner != null && peeked.info.peerId !== expectSigner) throw new RecordError('forged', `a hello carrying ${peeked.info.peerId}'s record`)
      const novelty = this.table.novelty(peeked.info)
      if (novelty === 'same' || novelty === 'older') { this.stats.recordsIgnored++; return 'ignored' }
      signed = await certifyRecord(peeked)
      if (novelty === 'replay') throw new RecordError('replay', `an old version of ${peeked.info.peerId}'s record (replayed)`)
    } catch (err) {
      this.reject(from, err instanceof RecordError ? err.problem : 'malformed', (err as Error).message)
      return 'rejected'
    }
    if (signed.info.peerId === this.self) {
      // Someone holds a newer record of ours than we do (a restart lost it): outrank it.
      if (signed.info.incarnation >= this.own.incarnation) this.own = { ...this.own, incarnation: signed.info.incarnation + 1n, seq: 0n }
      void this.reseal()
      this.stats.recordsIgnored++
      return 'ignored'
    }
    const isNew = this.table.get(signed.info.peerId) == null
    const result = this.table.put(signed, from)
    if (result === 'full') {
      this.stats.tableFull++
      this.warn(from, 'table full', { maxMembers: this.table.maxMembers }, 'member table full: a new member was not admitted (--max-members)')
      return 'ignored'
    }
    if (result === 'address taken') {
      this.reject(from, 'address taken', `${signed.info.peerId} claims an address another live member answers at`)
      return 'rejected'
    }
    if (result === 'not newer') { this.stats.recordsIgnored++; return 'ignored' }
    if (isNew && this.countIntroduction(from)) return 'accepted'
    this.stats.recordsAccepted++
    this.flood(signed.bytes, from)
    return 'accepted'
  }

  /** True when `from` has introduced more members than the table can hold: it is inventing them. */
  private countIntroduction (from: string): boolean {
    const n = (this.introduced.get(from) ?? 0) + 1
    this.introduced.set(from, n)
    if (n <= this.table.maxMembers) return false
    this.penalise(from, 'too many members', PENALTY.severe, `introduced more members than a mesh can have (${this.table.maxMembers})`)
    return true
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
    const records: Uint8Array[] = []
    for (const m of this.table.all()) {
      if (!m.reachable && m.info.peerId !== this.self) continue
      const e = theirs.get(m.info.peerId)
      if (e == null || e.incarnation < m.info.incarnation || (e.incarnation === m.info.incarnation && e.seq < m.info.seq)) records.push(m.bytes)
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
    return this.table.all().filter(m => m.reachable || m.info.peerId === this.self).map(m => ({
      peerId: peerIdFromString(m.info.peerId).toMultihash().bytes,
      incarnation: m.info.incarnation,
      seq: m.info.seq
    }))
  }

  /** A protocol violation by a neighbour (a frame that does not decode, a hello that lies). */
  penalise (peer: string, reason: string, points: number = PENALTY.small, message?: string): void {
    const score = (this.scores.get(peer) ?? 0) - points
    this.scores.set(peer, score)
    this.warn(peer, reason, { score }, message ?? reason)
    if (score <= -BAN_SCORE) {
      this.scores.delete(peer)
      this.introduced.delete(peer)
      this.table.forget(this.retainMs, peer)
      this.safeDispatchEvent('ban', { detail: { peer, reason } })
    }
  }

  scoreOf (peer: string): number { return this.scores.get(peer) ?? 0 }

  /** Once a heartbeat: scores heal, long-gone members are forgotten. */
  tick (elapsedMs: number): void {
    const factor = SCORE_DECAY_PER_SECOND ** (elapsedMs / 1000)
    for (const [peer, s] of this.scores) {
      const next = s * factor
      if (next > -1) this.scores.delete(peer)
      else this.scores.set(peer, next)
    }
    this.table.forget(this.retainMs)
  }

  /** A neighbour's session ended: its count of introductions starts again with its next one. */
  sessionEnded (peer: string): void {
    this.introduced.delete(peer)
  }

  private reject (from: string, reason: string, message: string): void {
    this.stats.recordsRejected++
    this.penalise(from, reason, PENALTY.small, `rejected a member record from a neighbour: ${message}`)
  }

  private flood (bytes: Uint8Array, except?: string): void {
    for (const peer of this.c.sessions()) if (peer !== except) this.c.push(peer, [bytes])
  }
}

function sameInfo (a: MemberInfo, b: MemberInfo): boolean {
  return a.incarnation === b.incarnation && a.leaving === b.leaving &&
    sameList(a.addrs, b.addrs) && sameList(a.links, b.links) &&
    a.functions.length === b.functions.length && a.functions.every((f, i) => sameSlots(f, b.functions[i]))
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])
const sameSlots = (a: FunctionSlots, b: FunctionSlots | undefined): boolean => b != null && a.name === b.name && a.capacity === b.capacity

function peerIdFromMultihashBytes (bytes: Uint8Array): string {
  const id = peerIdString(bytes)
  if (id == null) throw new Error('not a PeerId')
  return id
}
