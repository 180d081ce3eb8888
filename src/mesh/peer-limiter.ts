/**
 * How much one remote peer may ask of this node: a token bucket per PeerId (Noise authenticated it,
 * so a peer cannot spend another's tokens). A peer that floods a protocol is refused at once, before
 * its request is read, while every other peer keeps its own full bucket. The invoke and management
 * protocols each hold one.
 */

export interface PeerLimiterInit {
  /**
   * Requests per second one peer may keep up; 0 or less: no limit. A function is read at every
   * request, so the rate can follow the node's capacity (it must be cheap).
   */
  ratePerSecond: number | (() => number)
  /** Seconds of that rate a peer may send at once: the bucket's size. Default 2. */
  burstSeconds?: number
  /** Peers whose buckets are kept; the least recently heard is forgotten first. Default 4096. */
  maxPeers?: number
  now?: () => number
}

export interface PeerLimiter {
  /** Takes one token for a request from `peer`: false when the peer is over its rate. */
  take(peer: string): boolean
  /** The rate in force now (requests per second; 0: no limit). */
  rate(): number
  /** Requests refused since the limiter was made. */
  readonly throttled: number
  /** Peers whose buckets are kept now. */
  readonly size: number
}

export const DEFAULT_BURST_SECONDS = 2
export const DEFAULT_MAX_PEERS = 4096

interface Bucket { tokens: number, at: number }

export function createPeerLimiter (init: PeerLimiterInit): PeerLimiter {
  const rateOf = typeof init.ratePerSecond === 'function' ? init.ratePerSecond : () => init.ratePerSecond as number
  const burstSeconds = init.burstSeconds ?? DEFAULT_BURST_SECONDS
  const maxPeers = init.maxPeers ?? DEFAULT_MAX_PEERS
  const now = init.now ?? (() => performance.now())
  // A Map keeps insertion order: re-inserting on every request makes its first key the least
  // recently heard peer, the one to forget when the map is full. Forgetting a peer gives it a full
  // bucket again, which costs a flooder a new identity and connection (Noise) per burst.
  const buckets = new Map<string, Bucket>()
  let throttled = 0

  const take = (peer: string): boolean => {
    const rate = rateOf()
    if (!(rate > 0)) return true
    const burst = Math.max(1, rate * burstSeconds)
    const t = now()
    const bucket = buckets.get(peer)
    let tokens = burst
    if (bucket != null) {
      buckets.delete(peer)
      tokens = Math.min(burst, bucket.tokens + (t - bucket.at) * rate / 1000)
    } else if (buckets.size >= maxPeers) {
      buckets.delete(buckets.keys().next().value!)
    }
    const allowed = tokens >= 1
    buckets.set(peer, { tokens: allowed ? tokens - 1 : tokens, at: t })
    if (!allowed) throttled++
    return allowed
  }

  return {
    take,
    rate: () => Math.max(0, rateOf()),
    get throttled () { return throttled },
    get size () { return buckets.size }
  }
}
