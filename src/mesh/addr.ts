import type { Multiaddr } from '@multiformats/multiaddr'

/** The PeerId a multiaddr names (its last /p2p/ component), if any. */
export function peerIdIn (addr: Multiaddr): string | undefined {
  return addr.getComponents().findLast(c => c.name === 'p2p')?.value
}
