import { TypedEventEmitter } from 'main-event'
import type { NodeLoad } from './load.js'

/** One peer as this node knows it. Read-only to everyone but the view. */
export interface PeerState {
  readonly peerId: string
  readonly addrs: readonly string[]
  /** A live libp2p connection to it exists right now. */
  readonly connected: boolean
  readonly load: NodeLoad
  /** Names of the functions it has deployed (from its load). */
  readonly functions: readonly string[]
  /** When its last valid load message arrived, on this node's monotonic clock (ms). */
  readonly lastSeen: number
  /** Its process start time as it announced it: a new value means it restarted. */
  readonly incarnation: bigint
}

export interface MeshViewEvents {
  'peer:join': CustomEvent<PeerState>
  'peer:update': CustomEvent<PeerState>
  'peer:leave': CustomEvent<{ peerId: string, reason: 'expired' }>
}

export interface MeshViewInit {
  /** A peer silent this long is stale and leaves the view (ms). Three heartbeats by default. */
  expireAfterMs: number
  /** How often to look for silent peers (ms). */
  sweepIntervalMs?: number
  /** Monotonic clock, injectable for tests. */
  now?: () => number
}

export interface LoadUpdate {
  load: NodeLoad
  incarnation: bigint
}

/**
 * The mesh as this node sees it: peerId → state. Schedulers read it on every decision, so reads are
 * plain map lookups and never wait on I/O; writers are the gossip receiver and connection events.
 * A peer enters only when it has gossiped a valid load message, so strangers that merely connect
 * (foreign libp2p nodes, CLIs) never look like P2PFaaS nodes.
 */
export class MeshView extends TypedEventEmitter<MeshViewEvents> {
  readonly expireAfterMs: number
  private readonly sweepIntervalMs: number
  private readonly now: () => number
  private readonly peers = new Map<string, PeerState>()
  /** Connection facts for peers that have not gossiped yet (or any more). */
  private readonly links = new Map<string, { connected: boolean, addrs: readonly string[] }>()
  private timer?: ReturnType<typeof setInterval>

  constructor (init: MeshViewInit) {
    super()
    this.expireAfterMs = init.expireAfterMs
    this.sweepIntervalMs = init.sweepIntervalMs ?? Math.max(50, Math.floor(init.expireAfterMs / 6))
    this.now = init.now ?? (() => performance.now())
  }

  start (): void {
    this.timer ??= setInterval(() => { this.sweep() }, this.sweepIntervalMs)
    this.timer.unref?.()
  }

  stop (): void {
    if (this.timer != null) clearInterval(this.timer)
    this.timer = undefined
    this.peers.clear()
    this.links.clear()
  }

  get (peerId: string): PeerState | undefined {
    return this.peers.get(peerId)
  }

  /** Every known peer, in no particular order. A fresh array; the states themselves are shared. */
  all (): PeerState[] {
    return [...this.peers.values()]
  }

  /** Peers a request could be handed to now. */
  connected (): PeerState[] {
    return this.all().filter(p => p.connected)
  }

  get size (): number {
    return this.peers.size
  }

  /** Milliseconds since the peer's last load message, or undefined when it is not in the view. */
  ageOf (peerId: string): number | undefined {
    const peer = this.peers.get(peerId)
    return peer == null ? undefined : this.now() - peer.lastSeen
  }

  applyLoad (peerId: string, update: LoadUpdate): PeerState {
    const previous = this.peers.get(peerId)
    const link = this.links.get(peerId)
    const next: PeerState = {
      peerId,
      addrs: link?.addrs ?? previous?.addrs ?? [],
      connected: link?.connected ?? false,
      load: update.load,
      functions: update.load.functions.map(f => f.name),
      lastSeen: this.now(),
      incarnation: update.incarnation
    }
    this.peers.set(peerId, next)
    this.safeDispatchEvent(previous == null ? 'peer:join' : 'peer:update', { detail: next })
    return next
  }

  /**
   * A fresher reading of one function's load on a peer (from its answer to a call or a probe).
   * It does not count as a sign of life: only gossip moves lastSeen.
   */
  noteFunctionLoad (peerId: string, name: string, load: { queued: number, running: number, capacity: number }): void {
    const peer = this.peers.get(peerId)
    if (peer == null) return
    const functions = peer.load.functions.map(f => f.name === name ? { name, ...load } : f)
    if (!functions.some(f => f.name === name)) return
    const totals = functions.reduce((t, f) => ({ queued: t.queued + f.queued, running: t.running + f.running, capacity: t.capacity + f.capacity }), { queued: 0, running: 0, capacity: 0 })
    const next = { ...peer, load: { functions, totals } }
    this.peers.set(peerId, next)
    this.safeDispatchEvent('peer:update', { detail: next })
  }

  /**
   * `addrs` are the peer's own (identify's listen addresses) and replace what is known;
   * `addrsIfUnknown` (a connection's remote address, an ephemeral port when it dialled us) only
   * fills in until the peer says where it listens.
   */
  setLink (peerId: string, link: { connected: boolean, addrs?: readonly string[], addrsIfUnknown?: readonly string[] }): void {
    const known = this.links.get(peerId)
    const knownAddrs = known?.addrs ?? this.peers.get(peerId)?.addrs ?? []
    const addrs = link.addrs ?? (knownAddrs.length > 0 ? knownAddrs : link.addrsIfUnknown ?? knownAddrs)
    const peer = this.peers.get(peerId)
    if (peer == null && !link.connected) {
      // Nothing to remember about a stranger that left: keeps the map bounded by live connections.
      this.links.delete(peerId)
      return
    }
    this.links.set(peerId, { connected: link.connected, addrs })
    if (peer == null) return
    if (peer.connected === link.connected && peer.addrs === addrs) return
    const next = { ...peer, connected: link.connected, addrs }
    this.peers.set(peerId, next)
    this.safeDispatchEvent('peer:update', { detail: next })
  }

  /** Drops peers silent for longer than expireAfterMs. Called by the timer; public for tests. */
  sweep (): void {
    const now = this.now()
    for (const [peerId, peer] of this.peers) {
      if (now - peer.lastSeen > this.expireAfterMs) {
        this.peers.delete(peerId)
        if (this.links.get(peerId)?.connected !== true) this.links.delete(peerId)
        this.safeDispatchEvent('peer:leave', { detail: { peerId, reason: 'expired' } })
      }
    }
  }
}
