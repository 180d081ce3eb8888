import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'

/** The PeerId a multiaddr names (its last /p2p/ component), if any. */
export function peerIdIn (addr: Multiaddr): string | undefined {
  return addr.getComponents().findLast(c => c.name === 'p2p')?.value
}

/** The IP host a multiaddr names ('' when it has none). */
export function hostOf (addr: Multiaddr): string {
  return addr.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')?.value ?? ''
}

/** This node, as far as telling a dialable address goes: the addresses it listens on. */
export interface OwnAddrs {
  getMultiaddrs: () => Multiaddr[]
}

/**
 * `self`'s addresses, listed at most once per `ttlMs`. libp2p lists them by reading every network
 * interface, and on a LAN where a fleet is forming a node hears a stranger's loopback address in
 * every mDNS announcement: in CPU profiles of a forming 64-node mDNS fleet, that listing took about
 * 0.5 s of each node's first 150 s (and nothing with bootstrap addresses alone).
 */
export function cachedOwnAddrs (self: OwnAddrs, ttlMs = 5000, now: () => number = () => performance.now()): OwnAddrs {
  let listedAt = -Infinity
  let addrs: Multiaddr[] = []
  return {
    getMultiaddrs: () => {
      const t = now()
      if (t - listedAt >= ttlMs) {
        addrs = self.getMultiaddrs()
        listedAt = t
      }
      return addrs
    }
  }
}

/** The addresses of a member's record this node can dial. */
export function dialableAddrs (addrs: readonly string[], self: OwnAddrs): Multiaddr[] {
  return addrs.map(a => multiaddr(a)).filter(a => isDialable(a, self))
}

/**
 * Another host's loopback (or link-local) address is our own: dialling it reaches ourselves or a
 * stranger. Loopback stays dialable when this node itself only has loopback (tests on one machine).
 */
export function isDialable (addr: Multiaddr, self: OwnAddrs): boolean {
  const host = hostOf(addr)
  const local = host.startsWith('127.') || host === '::1' || host.startsWith('fe80:')
  if (!local) return true
  // Only now: listing this node's own addresses is not free, and most addresses are not local.
  return self.getMultiaddrs().every(a => { const h = hostOf(a); return h.startsWith('127.') || h === '::1' })
}
