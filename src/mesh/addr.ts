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
