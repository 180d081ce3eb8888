/** How long a banned peer is refused (ms). */
export const BAN_MS = 5 * 60_000
/** The most peers any of the link manager's per-peer maps remembers; a full one starts afresh. */
export const MAX_REMEMBERED = 1024

export interface PeerGatesComponents {
  now: () => number
  rng: () => number
}

/**
 * Whom the link manager will not talk to, or not yet: banned peers (for BAN_MS), nodes that are not
 * P2PFaaS nodes, and dial targets backing off after a failure. Each map is bounded by MAX_REMEMBERED.
 */
export class PeerGates {
  private readonly backoff = new Map<string, { until: number, ms: number }>()
  private readonly banned = new Map<string, number>()
  private readonly foreign = new Set<string>()

  constructor (private readonly c: PeerGatesComponents) {}

  /** A dial to `key` (a peer, or a seed address) failed: the next waits twice as long, to 8 s. */
  noteFailure (key: string): void {
    const ms = Math.min(8000, (this.backoff.get(key)?.ms ?? 500) * 2)
    if (this.backoff.size >= MAX_REMEMBERED) this.backoff.clear()
    this.backoff.set(key, { until: this.c.now() + ms * (0.75 + this.c.rng() / 2), ms })
  }

  /** A link came up: the peer is dialled at once next time. */
  clearBackoff (key: string): void {
    this.backoff.delete(key)
  }

  backingOff (key: string): boolean {
    return (this.backoff.get(key)?.until ?? 0) > this.c.now()
  }

  ban (peer: string): void {
    if (this.banned.size >= MAX_REMEMBERED) this.banned.clear()
    this.banned.set(peer, this.c.now() + BAN_MS)
  }

  isBanned (peer: string): boolean {
    const until = this.banned.get(peer)
    if (until == null) return false
    if (until > this.c.now()) return true
    this.banned.delete(peer)
    return false
  }

  /** Marks a peer as not a P2PFaaS node; true when it was not marked yet. */
  markForeign (peer: string): boolean {
    if (this.foreign.size >= MAX_REMEMBERED) this.foreign.clear()
    const known = this.foreign.has(peer)
    this.foreign.add(peer)
    return !known
  }

  isForeign (peer: string): boolean {
    return this.foreign.has(peer)
  }
}
