import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { noise } from '@libp2p/noise'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2p } from 'libp2p'
import { coalesceWrites } from './coalesce.js'
import type { PrivateKey } from '@libp2p/interface'

/** Our own mDNS service name: unrelated libp2p nodes (IPFS, ...) on the LAN use `_p2p._udp.local`. */
export const MDNS_SERVICE_TAG = '_p2pfaas._udp.local'
export const AGENT_PREFIX = 'p2pfaas/'
export const VERSION = '0.1.0'

export interface MeshServices {
  identify: Identify
  /** Round trips to peers, for `p2pfaas peers`. */
  ping: Ping
}

export type MeshLibp2p = Libp2p<MeshServices & Record<string, unknown>>

export interface MeshLibp2pInit {
  privateKey: PrivateKey
  listen: string[]
  announce?: string[]
  /** Private-network key file contents; without it the mesh is open to any libp2p node. */
  swarmKey?: Uint8Array
  /** Extra identify suffix, e.g. "node" or "cli". */
  role?: string
  /** libp2p's hard ceiling on connections (the overlay keeps its own, lower, cap on members). */
  maxConnections?: number
}

/**
 * The libp2p node as P2PFaaS needs it: TCP, Noise, yamux, identify, ping, optional pnet (mDNS is
 * the mesh's own, mdns.ts).
 * Membership and load travel on the overlay's own link protocol (links.ts), not on pubsub: a pubsub
 * topic delivers every node's messages to every node, a cost per node that grows with the mesh
 * (protocols/load.md). Nothing here knows functions.
 */
export async function createMeshLibp2p (init: MeshLibp2pInit): Promise<MeshLibp2p> {
  const services: Record<string, any> = {
    identify: identify(),
    ping: ping()
  }

  const node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen, announce: init.announce ?? [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionProtector: init.swarmKey != null ? preSharedKey({ psk: init.swarmKey }) : undefined,
    connectionManager: init.maxConnections != null ? { maxConnections: init.maxConnections } : undefined,
    // libp2p pings every connection every 10 s on a new stream (8 packets each): the mesh's links
    // have their own pulse, and other connections are short-lived.
    connectionMonitor: { enabled: false },
    nodeInfo: { name: 'p2pfaas', version: VERSION, userAgent: `${AGENT_PREFIX}${VERSION}${init.role != null ? ` (${init.role})` : ''}` },
    services
  }) as unknown as MeshLibp2p
  skipNoOpProtocolMerges(node)
  node.addEventListener('connection:open', evt => { coalesceWrites(evt.detail) })
  return node
}

/**
 * libp2p records the protocol of every stream it opens or accepts with `peerStore.merge`, which
 * takes the peer's lock and rewrites its record even when the protocol is already there: measured
 * at 0.4-0.7 ms per stream on each side, serialised per peer, on a protocol that opens one stream
 * per call. This skips exactly the merges that would change nothing: those that only add protocols
 * the store already lists for the peer (kept in step from the store's own peer:update events).
 */
function skipNoOpProtocolMerges (node: MeshLibp2p): void {
  const known = new Map<string, Set<string>>()
  node.addEventListener('peer:update', evt => {
    if (known.size > 4096) known.clear()
    known.set(evt.detail.peer.id.toString(), new Set(evt.detail.peer.protocols))
  })
  const merge = node.peerStore.merge.bind(node.peerStore)
  node.peerStore.merge = async (id, data, options) => {
    const keys = Object.keys(data)
    const have = known.get(id.toString())
    if (have != null && keys.length === 1 && data.protocols != null && data.protocols.every(p => have.has(p))) {
      // The callers of a protocols-only merge (stream set-up) do not use the returned record.
      return undefined as unknown as Awaited<ReturnType<typeof merge>>
    }
    return await merge(id, data, options)
  }
}
