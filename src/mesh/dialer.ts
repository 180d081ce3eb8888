import { peerIdFromString } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import { AGENT_PREFIX, type MeshLibp2p } from './libp2p.js'
import type { Logger } from '../log.js'
import type { Connection, IdentifyResult, PeerId, PeerInfo } from '@libp2p/interface'

/**
 * mDNS answers are multicast, so discovery is nearly always mutual within milliseconds; the wait
 * only matters when it was one-sided, and duplicate connections are closed anyway.
 */
export const DEFAULT_TIE_BREAK_GRACE_MS = 500
export const DEFAULT_RECONCILE_INTERVAL_MS = 500
const MIN_BACKOFF_MS = 250
const MAX_BACKOFF_MS = 10_000
const MAX_FOREIGN = 1024

export interface PeerDialerInit {
  /** Addresses to keep a connection to whatever discovery says (with or without /p2p/<id>). */
  bootstrap?: Multiaddr[]
  /** How long the larger PeerId of a pair waits for the smaller one to dial before dialling itself. */
  tieBreakGraceMs?: number
  /** A discovered peer not advertised again for this long is no longer dialled (ms). */
  candidateTtlMs: number
  reconcileIntervalMs?: number
}

export interface PeerDialerComponents {
  libp2p: MeshLibp2p
  log: Logger
}

interface Target {
  /** Known once discovered or once the first connection told us. */
  peerId?: PeerId
  addrs: Multiaddr[]
  source: 'mdns' | 'bootstrap'
  firstSeen: number
  lastSeen: number
  nextAttempt: number
  backoff: number
  dialling: boolean
}

export interface PeerDialer {
  start(): void
  stop(): void
}

/**
 * libp2p 3 finds peers but does not dial them: this does. One connection per pair: of two peers
 * that discover each other, the smaller PeerId dials, the larger waits a grace period (in case
 * discovery was one-sided), and if both dialled anyway each side keeps the connection the smaller
 * one opened. Failed dials back off; a peer that restarts is redialled as soon as it is announced
 * again. Peers whose identify says they are not P2PFaaS nodes are hung up on and never dialled.
 */
export function createPeerDialer (init: PeerDialerInit, components: PeerDialerComponents): PeerDialer {
  const { libp2p } = components
  const log = components.log.child({ component: 'dialer' })
  const self = libp2p.peerId.toString()
  const graceMs = init.tieBreakGraceMs ?? DEFAULT_TIE_BREAK_GRACE_MS
  const targets = new Map<string, Target>()
  const foreign = new Set<string>()
  let timer: ReturnType<typeof setInterval> | undefined
  let started = false

  for (const addr of init.bootstrap ?? []) {
    const id = peerIdIn(addr)
    targets.set(`bootstrap:${addr.toString()}`, {
      peerId: id != null ? parsePeerId(id) : undefined,
      addrs: [addr],
      source: 'bootstrap',
      firstSeen: 0,
      lastSeen: Infinity,
      nextAttempt: 0,
      backoff: MIN_BACKOFF_MS,
      dialling: false
    })
  }

  const isConnected = (peerId: PeerId | undefined): boolean =>
    peerId != null && libp2p.getConnections(peerId).some(c => c.status === 'open')

  const dial = (target: Target, now: number): void => {
    target.dialling = true
    const addrs = target.addrs
    libp2p.dial(addrs.length === 1 ? addrs[0]! : addrs, { signal: AbortSignal.timeout(10_000) })
      .then(conn => {
        target.peerId ??= conn.remotePeer
        target.backoff = MIN_BACKOFF_MS
        log.debug({ peer: conn.remotePeer.toString(), source: target.source }, 'dialled')
      })
      .catch(err => {
        target.nextAttempt = now + target.backoff * (0.75 + Math.random() / 2)
        target.backoff = Math.min(target.backoff * 2, MAX_BACKOFF_MS)
        log.debug({ target: addrs.map(String), err: err.message }, 'dial failed')
      })
      .finally(() => { target.dialling = false })
  }

  const reconcile = (): void => {
    if (!started) return
    const now = performance.now()
    for (const [key, target] of targets) {
      if (target.source === 'mdns' && now - target.lastSeen > init.candidateTtlMs) {
        targets.delete(key)
        continue
      }
      if (target.dialling || isConnected(target.peerId) || now < target.nextAttempt) continue
      if (target.peerId != null && foreign.has(target.peerId.toString())) continue
      const iDial = target.source === 'bootstrap' || target.peerId == null ||
        self < target.peerId.toString() || now - target.firstSeen >= graceMs
      if (iDial) dial(target, now)
    }
  }

  const onDiscovered = (evt: CustomEvent<PeerInfo>): void => {
    const id = evt.detail.id.toString()
    if (id === self || foreign.has(id)) return
    const addrs = evt.detail.multiaddrs.filter(isLanAddress).map(a => withPeerId(a, id))
    if (addrs.length === 0) return
    const now = performance.now()
    const known = targets.get(id)
    if (known == null) {
      targets.set(id, { peerId: evt.detail.id, addrs, source: 'mdns', firstSeen: now, lastSeen: now, nextAttempt: 0, backoff: MIN_BACKOFF_MS, dialling: false })
      log.info({ peer: id, addrs: addrs.map(String) }, 'discovered peer')
      queueMicrotask(reconcile)
      return
    }
    known.addrs = addrs
    known.lastSeen = now
    if (!isConnected(known.peerId)) {
      // Announced again while we are not connected (it restarted, or came back): try now.
      if (known.nextAttempt > now) known.firstSeen = now
      known.nextAttempt = 0
      known.backoff = MIN_BACKOFF_MS
      queueMicrotask(reconcile)
    }
  }

  const onConnectionOpen = (evt: CustomEvent<Connection>): void => {
    const peer = evt.detail.remotePeer
    const conns = libp2p.getConnections(peer).filter(c => c.status === 'open')
    if (conns.length < 2) return
    // Both ends apply the same rule, so they close the same duplicate.
    const keepDirection = self < peer.toString() ? 'outbound' : 'inbound'
    if (!conns.some(c => c.direction === keepDirection)) return
    for (const c of conns) {
      if (c.direction !== keepDirection) {
        log.debug({ peer: peer.toString() }, 'closing duplicate connection')
        void c.close().catch(() => c.abort(new Error('duplicate connection')))
      }
    }
  }

  const onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    const { peerId, agentVersion } = evt.detail
    if (agentVersion?.startsWith(AGENT_PREFIX) === true) return
    const id = peerId.toString()
    if (foreign.size >= MAX_FOREIGN) foreign.clear()
    if (!foreign.has(id)) log.info({ peer: id, agentVersion }, 'not a P2PFaaS node: hanging up')
    foreign.add(id)
    targets.delete(id)
    void libp2p.hangUp(peerId).catch(() => {})
  }

  return {
    start () {
      if (started) return
      started = true
      libp2p.services.mdns?.addEventListener('peer', onDiscovered)
      libp2p.addEventListener('connection:open', onConnectionOpen)
      libp2p.addEventListener('peer:identify', onIdentify)
      timer = setInterval(reconcile, init.reconcileIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS)
      reconcile()
    },
    stop () {
      if (!started) return
      started = false
      if (timer != null) clearInterval(timer)
      timer = undefined
      libp2p.services.mdns?.removeEventListener('peer', onDiscovered)
      libp2p.removeEventListener('connection:open', onConnectionOpen)
      libp2p.removeEventListener('peer:identify', onIdentify)
    }
  }
}

/**
 * mDNS advertises every address a node has, loopback included; another host's loopback is our
 * own, so dialling it reaches ourselves or a stranger on this machine.
 */
function isLanAddress (addr: Multiaddr): boolean {
  const host = addr.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')?.value ?? ''
  return !(host === '127.0.0.1' || host.startsWith('127.') || host === '::1' || host.startsWith('fe80:'))
}

function withPeerId (addr: Multiaddr, peerId: string): Multiaddr {
  return peerIdIn(addr) != null ? addr : addr.encapsulate(`/p2p/${peerId}`)
}

function parsePeerId (id: string): PeerId | undefined {
  try { return peerIdFromString(id) } catch { return undefined }
}

export function peerIdIn (addr: Multiaddr): string | undefined {
  return addr.getComponents().findLast(c => c.name === 'p2p')?.value
}
