import { TypedEventEmitter } from 'main-event'
import type { FunctionLoad, NodeLoad } from './load.js'
import type { MemberInfo } from './record.js'
import type { SlotLoad } from '../rules.js'

/** One peer as this node knows it. Read-only to everyone but the view. */
export interface PeerState {
  readonly peerId: string
  readonly addrs: readonly string[]
  /** A live libp2p connection to it exists right now (a link, a hand-off, or a client's). */
  readonly connected: boolean
  /** One of this node's overlay neighbours: its load arrives on change and with every pulse. */
  readonly link: boolean
  /** Its load per function as last reported; counts are 0 while `loadAt` is undefined. */
  readonly load: NodeLoad
  /** When its load was last reported (this node's monotonic ms); undefined: never, so unknown. */
  readonly loadAt?: number
  /** Names of the functions it has deployed (from its signed record). */
  readonly functions: readonly string[]
  /** When this node last heard from it or of a new version of its record (monotonic ms). */
  readonly lastSeen: number
  /** Its current run, from its record: a new value means it restarted. */
  readonly incarnation: bigint
}

export interface MeshViewEvents {
  'peer:join': CustomEvent<PeerState>
  'peer:update': CustomEvent<PeerState>
  'peer:leave': CustomEvent<{ peerId: string, reason: 'unreachable' }>
}

export interface MeshViewInit {
  /** Monotonic clock, injectable for tests. */
  now?: () => number
}

const EMPTY_TOTALS = Object.freeze({ queued: 0, running: 0, capacity: 0 })

/**
 * The mesh as this node sees it: every live member, peerId → state. Schedulers read it on every
 * decision, so reads are plain map lookups and never wait on I/O. Writers: membership (who is
 * alive, with what functions and addresses), links (neighbours' load and pulses), connection events,
 * and call answers (the load a peer reported with its verdict). Only members are in it: strangers
 * that merely connect (foreign libp2p nodes, CLIs) never look like P2PFaaS nodes.
 */
export class MeshView extends TypedEventEmitter<MeshViewEvents> {
  private readonly now: () => number
  private readonly peers = new Map<string, PeerState>()
  /** Facts about peers not (yet) members: kept until they are (a neighbour's first load comes before it is reachable). */
  private readonly pending = new Map<string, { connected: boolean, link: boolean, load?: NodeLoad, loadAt?: number }>()

  constructor (init: MeshViewInit = {}) {
    super()
    this.now = init.now ?? (() => performance.now())
  }

  start (): void {}

  stop (): void {
    this.peers.clear()
    this.pending.clear()
  }

  get (peerId: string): PeerState | undefined {
    return this.peers.get(peerId)
  }

  /** Every live member, in no particular order. A fresh array; the states themselves are shared. */
  all (): PeerState[] {
    return [...this.peers.values()]
  }

  /** Members this node has a connection to right now. */
  connected (): PeerState[] {
    return this.all().filter(p => p.connected)
  }

  get size (): number {
    return this.peers.size
  }

  /** Milliseconds since the peer's load was last reported; undefined when unknown or not a member. */
  ageOf (peerId: string): number | undefined {
    const at = this.peers.get(peerId)?.loadAt
    return at == null ? undefined : this.now() - at
  }

  /** One function's load on a member as this node last knew it; undefined when it is not a member or lacks the function. */
  functionLoad (peerId: string, name: string): FunctionLoad | undefined {
    return this.peers.get(peerId)?.load.functions.find(f => f.name === name)
  }

  /** A member is alive (joined) or its record changed: functions, slots and addresses follow it. */
  upsertMember (info: MemberInfo): void {
    const previous = this.peers.get(info.peerId)
    const facts = this.pending.get(info.peerId)
    this.pending.delete(info.peerId)
    const reported = previous?.load ?? facts?.load
    const known = new Map((reported?.functions ?? []).map(f => [f.name, f]))
    const functions: FunctionLoad[] = info.functions.map(f => ({ name: f.name, capacity: f.capacity, running: known.get(f.name)?.running ?? 0, queued: known.get(f.name)?.queued ?? 0 }))
    const next: PeerState = {
      peerId: info.peerId,
      addrs: info.addrs,
      connected: previous?.connected ?? facts?.connected ?? false,
      link: previous?.link ?? facts?.link ?? false,
      load: { functions, totals: sum(functions) },
      loadAt: previous != null ? (previous.incarnation === info.incarnation ? previous.loadAt : undefined) : facts?.loadAt,
      functions: info.functions.map(f => f.name),
      lastSeen: this.now(),
      incarnation: info.incarnation
    }
    this.peers.set(info.peerId, next)
    this.safeDispatchEvent(previous == null ? 'peer:join' : 'peer:update', { detail: next })
  }

  /** A member is no longer reachable. */
  removeMember (peerId: string): void {
    const previous = this.peers.get(peerId)
    if (previous == null) return
    this.peers.delete(peerId)
    if (previous.connected || previous.link) this.pending.set(peerId, { connected: previous.connected, link: previous.link })
    this.safeDispatchEvent('peer:leave', { detail: { peerId, reason: 'unreachable' } })
  }

  /** A neighbour's load, from its link. */
  applyLoad (peerId: string, load: NodeLoad, at: number): void {
    const peer = this.peers.get(peerId)
    if (peer == null) {
      const facts = this.pending.get(peerId)
      if (facts?.link === true) this.pending.set(peerId, { ...facts, load, loadAt: at })
      return
    }
    this.replace({ ...peer, load, loadAt: at, lastSeen: at })
  }

  /** A neighbour's pulse with no load: what it last said still holds. */
  touch (peerId: string, at: number): void {
    const peer = this.peers.get(peerId)
    if (peer == null) return
    // No event: nothing a reader sees changed but ages.
    this.peers.set(peerId, { ...peer, lastSeen: at, loadAt: peer.loadAt != null ? at : undefined })
  }

  /**
   * A silent neighbour's load still holds: its link carries every change, and is alive as far as
   * this node can tell (the ring watches it). Dates the load, not when the neighbour was last heard.
   */
  confirmLoad (peerId: string, at: number): void {
    const peer = this.peers.get(peerId)
    if (peer?.loadAt == null || !peer.link) return
    this.peers.set(peerId, { ...peer, loadAt: at })
  }

  /**
   * A fresher reading of one function's load on a peer (from its answer to a call or a probe). For
   * a peer that is not a neighbour this is the only load this node gets, so it dates the load.
   */
  noteFunctionLoad (peerId: string, name: string, load: SlotLoad): void {
    const peer = this.peers.get(peerId)
    if (peer == null) return
    const functions = peer.load.functions.map(f => f.name === name ? { name, ...load } : f)
    if (!functions.some(f => f.name === name)) return
    this.replace({ ...peer, load: { functions, totals: sum(functions) }, loadAt: peer.link ? peer.loadAt : this.now() })
  }

  setLink (peerId: string, link: boolean): void {
    this.setFact(peerId, 'link', link)
  }

  setConnected (peerId: string, connected: boolean): void {
    this.setFact(peerId, 'connected', connected)
  }

  private setFact (peerId: string, fact: 'link' | 'connected', value: boolean): void {
    const peer = this.peers.get(peerId)
    if (peer == null) {
      const facts = { ...(this.pending.get(peerId) ?? { connected: false, link: false }), [fact]: value }
      // Nothing to remember about a stranger with neither: keeps the map bounded by live connections.
      if (!facts.connected && !facts.link) this.pending.delete(peerId)
      else this.pending.set(peerId, facts)
      return
    }
    if (peer[fact] === value) return
    this.replace({ ...peer, [fact]: value })
  }

  private replace (next: PeerState): void {
    this.peers.set(next.peerId, next)
    this.safeDispatchEvent('peer:update', { detail: next })
  }
}

function sum (functions: readonly FunctionLoad[]): NodeLoad['totals'] {
  if (functions.length === 0) return EMPTY_TOTALS
  const t = { queued: 0, running: 0, capacity: 0 }
  for (const f of functions) { t.queued += f.queued; t.running += f.running; t.capacity += f.capacity }
  return t
}
