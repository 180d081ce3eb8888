import { TopicValidatorResult } from '@libp2p/gossipsub'
import { encodeLoadMessage, judgeLoadMessage, LOAD_TOPIC, ReplayGuard, type LoadVerdict } from './load-message.js'
import type { LoadSource } from './load.js'
import type { MeshView } from './view.js'
import type { Logger } from '../log.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'

export const DEFAULT_HEARTBEAT_MS = 1000
export const DEFAULT_MIN_PUBLISH_INTERVAL_MS = 100

export interface LoadGossipInit {
  /** A message goes out at least this often, changed or not (ms). */
  heartbeatMs?: number
  /** Changes closer together than this are coalesced into one message (ms). */
  minPublishIntervalMs?: number
}

export interface LoadGossipComponents {
  pubsub: GossipSub
  peerId: PeerId
  view: MeshView
  loadSource: LoadSource
  log: Logger
}

export interface LoadGossipStats {
  published: number
  publishedBytes: number
  accepted: number
  acceptedBytes: number
  rejected: number
  ignored: number
}

export interface LoadGossip {
  start(): void
  stop(): void
  /** Publishes the current load now (the heartbeat restarts from here). */
  publishNow(): Promise<void>
  readonly stats: Readonly<LoadGossipStats>
}

/**
 * Publishes this node's load on change (coalesced) and on a heartbeat, and feeds peers' load into
 * the mesh view. Every incoming message passes gossipsub's validator first, so a bad one is never
 * forwarded and its propagator loses score.
 */
export function createLoadGossip (init: LoadGossipInit, components: LoadGossipComponents): LoadGossip {
  const heartbeatMs = init.heartbeatMs ?? DEFAULT_HEARTBEAT_MS
  const minIntervalMs = init.minPublishIntervalMs ?? DEFAULT_MIN_PUBLISH_INTERVAL_MS
  const { pubsub, peerId, view, loadSource } = components
  const log = components.log.child({ component: 'load-gossip' })
  const guard = new ReplayGuard()
  // Validator verdicts, kept for the message event so each message is decoded once.
  const verdicts = new WeakMap<Message, LoadVerdict>()
  const incarnation = BigInt(Date.now())
  const stats: LoadGossipStats = { published: 0, publishedBytes: 0, accepted: 0, acceptedBytes: 0, rejected: 0, ignored: 0 }
  let seq = 0n
  let lastPublishAt = -Infinity
  let heartbeat: ReturnType<typeof setTimeout> | undefined
  let pending: ReturnType<typeof setTimeout> | undefined
  let started = false

  const validator = (propagator: PeerId, msg: Message): TopicValidatorResult => {
    const verdict = judgeLoadMessage(msg, guard)
    verdicts.set(msg, verdict)
    if (verdict.result === 'accept') return TopicValidatorResult.Accept
    if (verdict.result === 'ignore') {
      stats.ignored++
      return TopicValidatorResult.Ignore
    }
    stats.rejected++
    log.warn({ propagator: propagator.toString(), reason: verdict.reason }, 'rejected load message')
    return TopicValidatorResult.Reject
  }

  const onMessage = (evt: CustomEvent<Message>): void => {
    const msg = evt.detail
    if (msg.topic !== LOAD_TOPIC) return
    const verdict = verdicts.get(msg) ?? judgeLoadMessage(msg, guard)
    verdicts.delete(msg)
    if (verdict.result !== 'accept') return
    stats.accepted++
    stats.acceptedBytes += msg.data.byteLength
    view.applyLoad(verdict.from.toString(), { load: verdict.load, incarnation: verdict.incarnation })
  }

  const scheduleHeartbeat = (): void => {
    if (heartbeat != null) clearTimeout(heartbeat)
    heartbeat = setTimeout(() => { void publish() }, heartbeatMs)
  }

  const publish = async (): Promise<void> => {
    if (!started) return
    if (pending != null) clearTimeout(pending)
    pending = undefined
    lastPublishAt = performance.now()
    scheduleHeartbeat()
    seq++
    const data = encodeLoadMessage({ nodeId: peerId, incarnation, seq, timeMs: Date.now(), load: loadSource.snapshot() })
    try {
      await pubsub.publish(LOAD_TOPIC, data)
      stats.published++
      stats.publishedBytes += data.byteLength
    } catch (err) {
      log.debug({ err }, 'load publish failed')
    }
  }

  const onLoadChange = (): void => {
    if (!started || pending != null) return
    const wait = Math.max(0, lastPublishAt + minIntervalMs - performance.now())
    pending = setTimeout(() => { void publish() }, wait)
  }

  return {
    stats,
    start () {
      if (started) return
      started = true
      pubsub.topicValidators.set(LOAD_TOPIC, validator)
      pubsub.addEventListener('message', onMessage)
      pubsub.subscribe(LOAD_TOPIC)
      loadSource.addEventListener('change', onLoadChange)
      // Peers learn of a new node from its first message, so say something at once.
      void publish()
    },
    stop () {
      if (!started) return
      started = false
      if (heartbeat != null) clearTimeout(heartbeat)
      if (pending != null) clearTimeout(pending)
      heartbeat = pending = undefined
      loadSource.removeEventListener('change', onLoadChange)
      pubsub.removeEventListener('message', onMessage)
      pubsub.unsubscribe(LOAD_TOPIC)
      pubsub.topicValidators.delete(LOAD_TOPIC)
    },
    publishNow: publish
  }
}
