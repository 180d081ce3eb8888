import { hostOf } from './addr.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createMeshLibp2p, MDNS_SERVICE_TAG, type MeshLibp2p } from './libp2p.js'
import { createMdnsDiscovery, type MdnsStats } from './mdns.js'
import { DEFAULT_HEARTBEAT_MS, DEFAULT_LINKS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MEMBERS } from './defaults.js'
import { LinkManager } from './links.js'
import { Membership } from './membership.js'
import { MeshView } from './view.js'
import type { LoadSource } from './load.js'
import type { Member } from './members.js'
import type { MemberInfo } from './record.js'
import type { Logger } from '../log.js'
import type { Connection, PeerId, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export { DEFAULT_HEARTBEAT_MS }
/** Clients (CLIs, dashboards' peers) may hold connections beyond the overlay's own cap on members. */
const CLIENT_CONNECTION_HEADROOM = 128
/** Under the peer store's one-hour address age (see refreshAddrs). */
const ADDRESS_REFRESH_MS = 20 * 60_000
/** At most this long between two listings of the addresses /mesh shows (see addrs below). */
const SHOWN_ADDRS_TTL_MS = 5000

export interface MeshInit {
  privateKey: PrivateKey
  listen: string[]
  announce?: string[]
  bootstrap?: Multiaddr[]
  swarmKey?: Uint8Array
  /** mDNS query interval (ms), or false to turn mDNS off. */
  mdns: number | false
  /** Pulse interval on every link; a link silent for 3 is dead. */
  heartbeatMs?: number
  /** Overlay links a node aims for. */
  links?: number
  /** Connections to other members (links and hand-offs). */
  maxConnections?: number
  /** Members the table holds at most. */
  maxMembers?: number
  /** A connection to a member that is not a link closes after this long without a stream (ms). */
  idleConnectionMs?: number
  /** This run of the node: above every earlier run's (node/incarnation.ts). Defaults to the clock. */
  incarnation?: bigint
  loadSource: LoadSource
  log: Logger
  /** A remote peer's repeated warning is logged at most once per this (ms). */
  warnEveryMs?: number
}

export interface Mesh {
  readonly libp2p: MeshLibp2p
  readonly view: MeshView
  readonly membership: Membership
  readonly links: LinkManager
  readonly peerId: PeerId
  /** mDNS packets this node sent and took in; undefined with mDNS off. */
  mdnsStats(): Readonly<MdnsStats> | undefined
  /** Addresses peers can dial us on. */
  addrs(): string[]
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * The mesh room: libp2p, the member table, the overlay's links, and the view schedulers read,
 * started and stopped together. Membership says who is alive; links carry neighbours' load;
 * connection events say who is connected.
 */
export async function createMesh (init: MeshInit): Promise<Mesh> {
  const heartbeatMs = init.heartbeatMs ?? DEFAULT_HEARTBEAT_MS
  const maxConnections = init.maxConnections ?? DEFAULT_MAX_CONNECTIONS
  const libp2p = await createMeshLibp2p({
    privateKey: init.privateKey,
    listen: init.listen,
    announce: init.announce,
    swarmKey: init.swarmKey,
    role: 'node',
    maxConnections: maxConnections + CLIENT_CONNECTION_HEADROOM
  })
  const log = init.log
  const view = new MeshView()
  let linksRef: LinkManager | undefined
  const mdns = init.mdns === false
    ? undefined
    : createMdnsDiscovery({ serviceTag: MDNS_SERVICE_TAG, maxQueryIntervalMs: init.mdns, warnEveryMs: init.warnEveryMs }, {
      peerId: libp2p.peerId,
      addresses: () => libp2p.getMultiaddrs(),
      isolated: () => linksRef?.isolated() ?? true,
      log
    })
  let links: LinkManager | undefined
  const membership = new Membership({
    privateKey: init.privateKey,
    incarnation: init.incarnation ?? BigInt(Date.now()),
    maxMembers: init.maxMembers ?? DEFAULT_MAX_MEMBERS,
    warnEveryMs: init.warnEveryMs
  }, {
    push: (peer, records) => { links?.push(peer, records) },
    announce: (peer, versions, later) => { links?.announce(peer, versions, later) },
    sessions: () => links?.sessionPeers() ?? [],
    log
  })
  links = new LinkManager({
    heartbeatMs,
    links: init.links ?? DEFAULT_LINKS,
    maxConnections,
    bootstrap: init.bootstrap ?? [],
    idleConnectionMs: init.idleConnectionMs,
    warnEveryMs: init.warnEveryMs
  }, {
    libp2p,
    membership,
    view,
    loadSource: init.loadSource,
    discovery: mdns,
    log
  })
  const linkManager = links
  linksRef = links

  // The addresses last written to the peer store, by member: most new versions change links only,
  // and a peer store write (a lock, an encoding, an event) per version is most of what one costs.
  const storedAddrs = new Map<string, string>()
  const storeAddrs = (info: MemberInfo): void => {
    storedAddrs.set(info.peerId, info.addrs.join(' '))
    // Anything that dials a member by PeerId alone (a hand-off, the dashboard) finds it by these.
    void libp2p.peerStore.merge(peerIdFromString(info.peerId), { multiaddrs: info.addrs.map(a => multiaddr(a)) }).catch(() => {})
  }
  const onJoinOrUpdate = (evt: CustomEvent<Member>): void => {
    const { info } = evt.detail
    view.upsertMember(info)
    if (storedAddrs.get(info.peerId) !== info.addrs.join(' ')) storeAddrs(info)
  }
  // The peer store forgets addresses an hour after they were written (libp2p's maxAddressAge), and
  // an idle fleet writes no new versions: one timer writes the members' addresses again well before.
  let refreshTimer: ReturnType<typeof setInterval> | undefined
  const refreshAddrs = (): void => { for (const m of membership.table.reachable()) storeAddrs(m.info) }
  const onLeave = (evt: CustomEvent<Member>): void => {
    storedAddrs.delete(evt.detail.info.peerId)
    view.removeMember(evt.detail.info.peerId)
  }
  const connectedTo = (peerId: PeerId): boolean => libp2p.getConnections(peerId).some(c => c.status === 'open')
  const onConnectionOpen = (evt: CustomEvent<Connection>): void => { view.setConnected(evt.detail.remotePeer.toString(), true) }
  const onDisconnect = (evt: CustomEvent<PeerId>): void => { view.setConnected(evt.detail.toString(), connectedTo(evt.detail)) }
  // This node's addresses as /mesh and the dashboard show them, listed again only when libp2p says
  // they changed (and at most 5 s apart): libp2p lists them afresh on every call, and a reader that
  // polls every node's /mesh (a dashboard, bench:scale at N=64) made that a node's costliest call.
  let shownAddrs: { at: number, addrs: string[] } | undefined
  const onSelfUpdate = (): void => {
    shownAddrs = undefined
    membership.update({ addrs: recordAddrs(libp2p) })
  }

  return {
    libp2p,
    view,
    membership,
    links: linkManager,
    peerId: libp2p.peerId,
    mdnsStats: () => mdns?.stats,
    addrs: () => {
      const now = performance.now()
      if (shownAddrs == null || now - shownAddrs.at >= SHOWN_ADDRS_TTL_MS) shownAddrs = { at: now, addrs: libp2p.getMultiaddrs().map(String) }
      return shownAddrs.addrs
    },
    async start () {
      membership.addEventListener('member:join', onJoinOrUpdate)
      membership.addEventListener('member:update', onJoinOrUpdate)
      membership.addEventListener('member:leave', onLeave)
      libp2p.addEventListener('connection:open', onConnectionOpen)
      libp2p.addEventListener('peer:disconnect', onDisconnect)
      libp2p.addEventListener('self:peer:update', onSelfUpdate)
      await libp2p.start()
      const functions = init.loadSource.snapshot().functions.map(f => ({ name: f.name, capacity: f.capacity }))
      membership.update({ addrs: recordAddrs(libp2p), functions })
      await membership.flush()
      view.start()
      refreshTimer = setInterval(refreshAddrs, ADDRESS_REFRESH_MS)
      refreshTimer.unref()
      await linkManager.start()
      await mdns?.start()
      log.info({ peerId: libp2p.peerId.toString(), addrs: libp2p.getMultiaddrs().map(String) }, 'mesh started')
    },
    async stop () {
      // Say goodbye first: neighbours drop this node now instead of when its links fall silent.
      membership.update({ leaving: true, links: [] })
      await membership.flush()
      await mdns?.stop()
      clearInterval(refreshTimer)
      await linkManager.stop()
      membership.stop()
      view.stop()
      await libp2p.stop()
      membership.removeEventListener('member:join', onJoinOrUpdate)
      membership.removeEventListener('member:update', onJoinOrUpdate)
      membership.removeEventListener('member:leave', onLeave)
      libp2p.removeEventListener('connection:open', onConnectionOpen)
      libp2p.removeEventListener('peer:disconnect', onDisconnect)
      libp2p.removeEventListener('self:peer:update', onSelfUpdate)
    }
  }
}

/**
 * The addresses a node puts in its record: where others can dial it. Wildcards are never dialable;
 * loopback only means something when the node has nothing else (a mesh on one machine).
 */
function recordAddrs (libp2p: MeshLibp2p): string[] {
  const all = libp2p.getMultiaddrs().map(a => a.decapsulateCode(421))
  const usable = all.filter(a => hostOf(a) !== '0.0.0.0' && hostOf(a) !== '::')
  const lan = usable.filter(a => !hostOf(a).startsWith('127.') && hostOf(a) !== '::1')
  return [...new Set((lan.length > 0 ? lan : usable).map(String))].slice(0, 8)
}
