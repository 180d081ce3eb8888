import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { createPeerScoreParams, createTopicScoreParams } from '@libp2p/gossipsub/score'
import { identify, type Identify } from '@libp2p/identify'
import { mdns } from '@libp2p/mdns'
import { ping, type Ping } from '@libp2p/ping'
import { noise } from '@libp2p/noise'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2p } from 'libp2p'
import { LOAD_TOPIC, MAX_LOAD_MESSAGE_BYTES } from './load-message.js'
import type { PeerDiscovery, PrivateKey } from '@libp2p/interface'

/** Our own mDNS service name: unrelated libp2p nodes (IPFS, ...) on the LAN use `_p2p._udp.local`. */
export const MDNS_SERVICE_TAG = '_p2pfaas._udp.local'
export const AGENT_PREFIX = 'p2pfaas/'
export const VERSION = '0.1.0'

export interface MeshServices {
  identify: Identify
  pubsub: GossipSub
  /** Round trips to peers, for `p2pfaas peers`. */
  ping: Ping
  mdns?: PeerDiscovery
}

export type MeshLibp2p = Libp2p<MeshServices & Record<string, unknown>>

export interface MeshLibp2pInit {
  privateKey: PrivateKey
  listen: string[]
  announce?: string[]
  /** Private-network key file contents; without it the mesh is open to any libp2p node. */
  swarmKey?: Uint8Array
  mdns?: { interval: number } | false
  /** Extra identify suffix, e.g. "node" or "cli". */
  role?: string
}

/**
 * The libp2p node as P2PFaaS needs it: TCP, Noise, yamux, identify, gossipsub with signed
 * messages and scoring for the load topic, optional pnet and mDNS. Nothing here knows functions.
 */
export async function createMeshLibp2p (init: MeshLibp2pInit): Promise<MeshLibp2p> {
  const services: Record<string, any> = {
    identify: identify(),
    ping: ping(),
    pubsub: gossipsub({
      globalSignaturePolicy: 'StrictSign',
      allowPublishToZeroTopicPeers: true,
      // Every node publishes straight to every peer it is connected to (floodPublish, the default),
      // which on a LAN mesh is nearly everyone; the gossip mesh is only the backup path for peers
      // not directly connected. A small degree keeps duplicate copies (and packets) down: at N = 8
      // the library's D = 6 sends each load message about 6 times to every node.
      floodPublish: true,
      D: 3,
      Dlo: 2,
      Dhi: 5,
      Dscore: 2,
      Dout: 1,
      Dlazy: 3,
      emitSelf: false,
      allowedTopics: [LOAD_TOPIC],
      maxInboundDataLength: MAX_LOAD_MESSAGE_BYTES * 4,
      scoreParams: createPeerScoreParams({
        // Many nodes behind one address is normal here (one host, many emulated nodes).
        IPColocationFactorThreshold: 64,
        topics: {
          [LOAD_TOPIC]: createTopicScoreParams({
            topicWeight: 1,
            // Rewards stay small (quantum in ms: the library default of 1 ms saturates in a second),
            // so a few invalid messages outweigh any amount of good behaviour.
            timeInMeshWeight: 0.01,
            timeInMeshQuantum: 1000,
            timeInMeshCap: 3600,
            firstMessageDeliveriesWeight: 1,
            firstMessageDeliveriesCap: 10,
            // Low-rate topic: delivery-rate penalties would punish honest idle peers.
            meshMessageDeliveriesWeight: 0,
            meshFailurePenaltyWeight: 0,
            // Every rejected load message costs its propagator; a few put it below the gossip threshold.
            invalidMessageDeliveriesWeight: -10,
            invalidMessageDeliveriesDecay: 0.9
          })
        }
      })
    })
  }
  if (init.mdns !== false && init.mdns != null) {
    services.mdns = mdns({ interval: init.mdns.interval, serviceTag: MDNS_SERVICE_TAG })
  }

  const node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen, announce: init.announce ?? [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionProtector: init.swarmKey != null ? preSharedKey({ psk: init.swarmKey }) : undefined,
    nodeInfo: { name: 'p2pfaas', version: VERSION, userAgent: `${AGENT_PREFIX}${VERSION}${init.role != null ? ` (${init.role})` : ''}` },
    services
  }) as unknown as MeshLibp2p
  skipNoOpProtocolMerges(node)
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
