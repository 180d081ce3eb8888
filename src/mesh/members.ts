import { TypedEventEmitter } from 'main-event'
import { compareVersion, versionHash, type MemberInfo, type SignedRecord, type Version } from './record.js'

/** One member as this node knows it: its latest signed record and what this node made of it. */
export interface Member {
  readonly info: MemberInfo
  /** The signed envelope, as it is passed on. */
  readonly bytes: Uint8Array
  /** When this version arrived (monotonic ms). */
  readonly receivedAt: number
  /** Reachable from this node over links both ends list: alive, as far as this node can tell. */
  readonly reachable: boolean
  /** When it was last reachable (monotonic ms): after a partition, worth redialling for a while. */
  readonly lastReachableAt: number
  /** The neighbour this node first heard of it from (undefined for itself). */
  readonly introducedBy?: string
  /** It was reachable at some point: a member nobody ever linked to is a record and nothing more. */
  readonly everReachable: boolean
}

export interface MemberTableEvents {
  /** A member became reachable. */
  'member:join': CustomEvent<Member>
  /** A reachable member's record changed (functions, addresses, links). */
  'member:update': CustomEvent<Member>
  /** A member is no longer reachable (dead, partitioned away, or leaving). */
  'member:leave': CustomEvent<Member>
}

export type Novelty = 'new' | 'same' | 'older' | 'replay'
export type PutResult = 'added' | 'updated' | 'full' | 'not newer' | 'address taken'

export interface MemberTableInit {
  self: string
  /** The table never holds more (itself included). */
  maxMembers: number
  /** A version this many seqs behind the newest (same incarnation), or of an older incarnation, is a replay. */
  replayWindow?: number
  now?: () => number
}

interface Entry extends Member {
  reachable: boolean
  lastReachableAt: number
  everReachable: boolean
  hash: bigint
}

/**
 * Every member of the mesh this node knows, bounded. A member is alive when it is reachable from
 * this node over overlay links that both of their ends list in their signed records: a dead node's
 * neighbours drop it from their records, a partition cuts every path, and nobody can keep another
 * node alive by claiming a link to it. Pure state: no I/O, no timers; the caller recomputes.
 */
export class MemberTable extends TypedEventEmitter<MemberTableEvents> {
  readonly self: string
  readonly maxMembers: number
  private readonly replayWindow: bigint
  private readonly now: () => number
  private readonly entries = new Map<string, Entry>()
  /** Addresses this node has dialled and found the named peer at (Noise proved who answered). */
  private readonly confirmed = new Map<string, string>()
  private reachableDigest = 0n
  private reachableCount = 0

  constructor (init: MemberTableInit) {
    super()
    this.self = init.self
    this.maxMembers = init.maxMembers
    this.replayWindow = BigInt(init.replayWindow ?? 8)
    this.now = init.now ?? (() => performance.now())
  }

  get size (): number { return this.entries.size }
  /** Reachable members, this node included. */
  get reachableSize (): number { return this.reachableCount }
  get (peerId: string): Member | undefined { return this.entries.get(peerId) }
  all (): Member[] { return [...this.entries.values()] }
  reachable (): Member[] { return this.all().filter(m => m.reachable && m.info.peerId !== this.self) }
  unreachable (): Member[] { return this.all().filter(m => !m.reachable) }

  /** XOR of the reachable members' version hashes: two nodes with the same live view have the same digest. */
  digest (): bigint { return this.reachableDigest }

  /** How a record's version compares with what the table holds. */
  novelty (v: Version & { peerId: string }): Novelty {
    const known = this.entries.get(v.peerId)
    if (known == null) return 'new'
    const c = compareVersion(v, known.info)
    if (c > 0) return 'new'
    if (c === 0) return 'same'
    const replay = v.incarnation < known.info.incarnation || known.info.seq - v.seq >= this.replayWindow
    return replay ? 'replay' : 'older'
  }

  /**
   * Stores a newer record (its signature already checked by the caller). The table stays bounded;
   * a record claiming an address this node found another live member at is refused.
   */
  put (record: SignedRecord, from?: string): PutResult {
    const { info } = record
    const known = this.entries.get(info.peerId)
    if (known != null && compareVersion(info, known.info) <= 0) return 'not newer'
    if (known == null && this.entries.size >= this.maxMembers) return 'full'
    for (const addr of info.addrs) {
      const owner = this.confirmed.get(addr)
      if (owner != null && owner !== info.peerId && this.entries.get(owner)?.reachable === true) return 'address taken'
    }
    const entry: Entry = {
      info,
      bytes: record.bytes,
      receivedAt: this.now(),
      reachable: known?.reachable ?? false,
      lastReachableAt: known?.lastReachableAt ?? 0,
      introducedBy: known?.introducedBy ?? (info.peerId === this.self ? undefined : from),
      everReachable: known?.everReachable ?? false,
      hash: versionHash(info.peerId, info)
    }
    this.entries.set(info.peerId, entry)
    if (entry.reachable) {
      this.reachableDigest ^= known!.hash ^ entry.hash
      if (known!.info.peerId !== this.self) this.safeDispatchEvent('member:update', { detail: entry })
    }
    return known == null ? 'added' : 'updated'
  }

  /** This node dialled `addr` and Noise proved `peerId` answered there. */
  confirmAddress (addr: string, peerId: string): void {
    if (this.confirmed.size >= 4 * this.maxMembers) this.confirmed.clear()
    this.confirmed.set(addr, peerId)
  }

  /** Members reachable from this node over links both ends list, optionally without the link to `without`. */
  private reach (without?: string): Set<string> {
    const seen = new Set<string>()
    const self = this.entries.get(this.self)
    if (self == null || self.info.leaving) return seen
    seen.add(this.self)
    const queue = [self]
    for (let i = 0; i < queue.length; i++) {
      const u = queue[i]!
      for (const v of u.info.links) {
        if (seen.has(v) || (u === self && v === without)) continue
        const other = this.entries.get(v)
        if (other == null || other.info.leaving || !other.info.links.includes(u.info.peerId)) continue
        seen.add(v)
        queue.push(other)
      }
    }
    return seen
  }

  /** Whether dropping this node's link to `neighbour` would leave every member it reaches still reachable. */
  canDropLink (neighbour: string): boolean {
    return this.reach(neighbour).size === this.reach().size
  }

  /**
   * Who is reachable from this node now (breadth first over links both ends list). Emits join and
   * leave for the members whose state changed. Cheap: O(members x links).
   */
  recompute (): void {
    const now = this.now()
    const seen = this.reach()
    let digest = 0n
    const joined: Entry[] = []
    const left: Entry[] = []
    for (const e of this.entries.values()) {
      const reachable = seen.has(e.info.peerId)
      if (reachable) {
        digest ^= e.hash
        e.lastReachableAt = now
        e.everReachable = true
      }
      if (reachable !== e.reachable) {
        e.reachable = reachable
        if (e.info.peerId !== this.self) (reachable ? joined : left).push(e)
      }
    }
    this.reachableDigest = digest
    this.reachableCount = seen.size
    for (const e of left) this.safeDispatchEvent('member:leave', { detail: e })
    for (const e of joined) this.safeDispatchEvent('member:join', { detail: e })
  }

  /** Members `peer` introduced that were never reachable, first heard of before `before`: made up, or a mesh this node cannot reach. */
  neverReachableFrom (peer: string, before: number): number {
    let n = 0
    for (const e of this.entries.values()) if (e.introducedBy === peer && !e.everReachable && e.receivedAt < before) n++
    return n
  }

  /** Drops members unreachable for longer than `retainMs`, and those only `peer` vouched for (a banned peer's inventions). */
  forget (retainMs: number, bannedIntroducer?: string): number {
    const now = this.now()
    let dropped = 0
    for (const [id, e] of this.entries) {
      if (e.reachable || id === this.self) continue
      if (now - e.lastReachableAt > retainMs || (bannedIntroducer != null && e.introducedBy === bannedIntroducer)) {
        this.entries.delete(id)
        dropped++
      }
    }
    if (dropped > 0) {
      const live = new Set(this.entries.keys())
      for (const [addr, owner] of this.confirmed) if (!live.has(owner)) this.confirmed.delete(addr)
    }
    return dropped
  }
}
