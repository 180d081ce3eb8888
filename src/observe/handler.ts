import { refusalMessage, type PeerAccess } from '../access.js'
import { FrameRefusal, readJsonRequest, serveOneFrame, type FrameReader } from '../json-frame.js'
import { createRemoteWarn, type Logger, type RemoteWarn } from '../log.js'
import { MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, MAX_STREAMS, OBSERVE_PROTOCOL, ObserveRequestSchema, READ_TIMEOUT_MS, type ObserveRequest, type ObserveResult } from './protocol.js'
import type { CallRecorder } from './recorder.js'
import type { PeerLimiter } from '../mesh/peer-limiter.js'
import type { Connection, Libp2p, Startable, Stream } from '@libp2p/interface'

export interface ObserveHandlerInit {
  /** A peer must send its request within this (ms). */
  readTimeoutMs?: number
  /** A peer's repeated warning is logged at most once per this (ms). */
  warnEveryMs?: number
}

export interface ObserveHandlerComponents {
  libp2p: Pick<Libp2p, 'peerId' | 'handle' | 'unhandle'>
  /** Calls that entered here. */
  recorder: Pick<CallRecorder, 'observedSince' | 'callsSince'>
  /** This node's overlay neighbours. */
  neighbours: () => string[]
  /** Who may read (`--private-reads`). */
  access: Pick<PeerAccess, 'mayRead'>
  log: Logger
  /** Requests one peer may send; none: no limit. The node shares the management protocol's. */
  limiter?: PeerLimiter
}

/**
 * The receiving end of /p2pfaas/observe/1.0.0: what the dashboard of another node asks (links,
 * counts per second, recent calls, since its cursors). A read like `p2pfaas ls`: open to any peer
 * unless the node's reads are private. A bad request gets BAD_REQUEST, never a crash.
 */
export class ObserveHandler implements Startable {
  private readonly readTimeoutMs: number
  private readonly warn: RemoteWarn
  private readonly warnError: RemoteWarn
  private started = false

  constructor (init: ObserveHandlerInit, private readonly c: ObserveHandlerComponents) {
    this.readTimeoutMs = init.readTimeoutMs ?? READ_TIMEOUT_MS
    const log = c.log.child({ component: 'observe' })
    this.warn = createRemoteWarn(log, { everyMs: init.warnEveryMs })
    this.warnError = createRemoteWarn(log, { everyMs: init.warnEveryMs, level: 'error' })
  }

  async start (): Promise<void> {
    await this.c.libp2p.handle(OBSERVE_PROTOCOL, (stream, connection) => { void this.onStream(stream, connection) }, { maxInboundStreams: MAX_STREAMS })
    this.started = true
  }

  async stop (): Promise<void> {
    await this.c.libp2p.unhandle(OBSERVE_PROTOCOL)
    this.started = false
  }

  isStarted (): boolean {
    return this.started
  }

  private answer (req: ObserveRequest): ObserveResult {
    return {
      node: this.c.libp2p.peerId.toString(),
      neighbours: this.c.neighbours(),
      seconds: this.c.recorder.observedSince(req.sinceT),
      calls: this.c.recorder.callsSince(req.sinceSeq)
    }
  }

  /** The request, read and checked: a refusal (FrameRefusal) when the peer may not have the answer. */
  private async request (lp: FrameReader, peer: string): Promise<ObserveRequest> {
    const self = this.c.libp2p.peerId.toString()
    // Before the request is read: a flood costs this node the answer, not the parsing.
    if (this.c.limiter?.take(peer) === false) {
      const rate = this.c.limiter.rate()
      this.warn(peer, 'throttled observe', { rate }, 'a peer sends more observe and management requests than --peer-manage-rate: refusing them with THROTTLED')
      throw new FrameRefusal('THROTTLED', `node ${self} takes at most ${rate} management and observe requests/s from one peer (--peer-manage-rate); slow down`)
    }
    const req = await readJsonRequest(lp, ObserveRequestSchema, this.readTimeoutMs)
    if (!this.c.access.mayRead(peer, req.secret)) {
      this.warn(peer, 'unauthorised', { op: 'observe' }, 'refused an unauthorised observe request')
      throw new FrameRefusal('UNAUTHORIZED', refusalMessage(self, peer, 'observe', false))
    }
    return req
  }

  private async onStream (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    await serveOneFrame(stream, {
      maxRequestBytes: MAX_REQUEST_BYTES,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      answer: async lp => this.answer(await this.request(lp, peer)),
      onInternal: err => { this.warnError(peer, 'internal', { err: err?.message }, 'observe request failed') }
    })
  }
}

export const createObserveHandler = (init: ObserveHandlerInit, components: ObserveHandlerComponents): ObserveHandler => new ObserveHandler(init, components)
