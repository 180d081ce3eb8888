import { peerIdFromString } from '@libp2p/peer-id'
import { createPeerDialer } from './dialer.js'
import { createMeshLibp2p, type MeshLibp2p } from './libp2p.js'
import { createLoadGossip, DEFAULT_HEARTBEAT_MS, type LoadGossip } from './load-gossip.js'
import { MeshView } from './view.js'
import type { LoadSource } from './load.js'
import type { Logger } from '../log.js'
import type { Connection, IdentifyResult, PeerId, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** A peer missing this many heartbeats in a row is stale and leaves the view. */
export const STALE_AFTER_HEARTBEATS = 3

export interface MeshInit {
  privateKey: PrivateKey
  listen: string[]
  announce?: string[]
  bootstrap?: Multiaddr[]
  swarmKey?: Uint8Array
  /** mDNS query interval (ms), or false to turn mDNS off. */
  mdns: number | false
  heartbeatMs?: number
  loadSource: LoadSource
  log: Logger
}

export interface Mesh {
  readonly libp2p: MeshLibp2p
  readonly view: MeshView
  readonly gossip: LoadGossip
  readonly peerId: PeerId
  /** Addresses peers can dial us on. */
  addrs(): string[]
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * The mesh room: libp2p, the dialler, load gossip and the view, started and stopped together.
 * Connection events feed the view's "connected" and address facts; gossip feeds its load.
 */
export async function createMesh (init: MeshInit): Promise<Mesh> {
  const heartbeatMs = init.heartbeatMs ?? DEFAULT_HEARTBEAT_MS
  const libp2p = await createMeshLibp2p({
    privateKey: init.privateKey,
    listen: init.listen,
    announce: init.announce,
    swarmKey: init.swarmKey,
    mdns: init.mdns === false ? false : { interval: init.mdns },
    role: 'node'
  })
  const log = init.log
  const view = new MeshView({ expireAfterMs: STALE_AFTER_HEARTBEATS * heartbeatMs })
  const gossip = createLoadGossip({ heartbeatMs }, { pubsub: libp2p.services.pubsub, peerId: libp2p.peerId, view, loadSource: init.loadSource, log })
  const dialer = createPeerDialer({
    bootstrap: init.bootstrap,
    candidateTtlMs: init.mdns === false ? 30_000 : Math.max(30_000, 3 * init.mdns)
  }, { libp2p, log })

  const onConnectionOpen = (evt: CustomEvent<Connection>): void => {
    const conn = evt.detail
    view.setLink(conn.remotePeer.toString(), { connected: true, addrsIfUnknown: [conn.remoteAddr.toString()] })
  }
  const onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    const peerId = evt.detail.peerId
    const connected = libp2p.getConnections(peerId).length > 0
    view.setLink(peerId.toString(), { connected, addrs: evt.detail.listenAddrs.map(String) })
  }
  // Connection facts come from libp2p itself, not from counting events: a duplicate connection
  // closed while the kept one was still opening can report a disconnect for a connected peer.
  const openConnections = (peerId: PeerId | string): Connection[] =>
    libp2p.getConnections(typeof peerId === 'string' ? peerIdFromString(peerId) : peerId).filter(c => c.status === 'open')
  const onDisconnect = (evt: CustomEvent<PeerId>): void => {
    view.setLink(evt.detail.toString(), { connected: openConnections(evt.detail).length > 0 })
  }
  // A peer's first load message: take its link from libp2p as it is now.
  const onJoin = (evt: CustomEvent<{ peerId: string, addrs: readonly string[] }>): void => {
    const conns = openConnections(evt.detail.peerId)
    view.setLink(evt.detail.peerId, { connected: conns.length > 0, addrsIfUnknown: conns.map(c => c.remoteAddr.toString()) })
  }

  return {
    libp2p,
    view,
    gossip,
    peerId: libp2p.peerId,
    addrs: () => libp2p.getMultiaddrs().map(String),
    async start () {
      libp2p.addEventListener('connection:open', onConnectionOpen)
      libp2p.addEventListener('peer:identify', onIdentify)
      libp2p.addEventListener('peer:disconnect', onDisconnect)
      view.addEventListener('peer:join', onJoin)
      await libp2p.start()
      view.start()
      gossip.start()
      dialer.start()
      log.info({ peerId: libp2p.peerId.toString(), addrs: libp2p.getMultiaddrs().map(String) }, 'mesh started')
    },
    async stop () {
      dialer.stop()
      gossip.stop()
      view.stop()
      await libp2p.stop()
      libp2p.removeEventListener('connection:open', onConnectionOpen)
      libp2p.removeEventListener('peer:identify', onIdentify)
      libp2p.removeEventListener('peer:disconnect', onDisconnect)
      view.removeEventListener('peer:join', onJoin)
    }
  }
}
