import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { LoadProbe, LoadProbeAnswer, type PeerFunctionLoad } from '../wire/invoke.js'
import { FRAME_OVERHEAD_BYTES, INVOKE_PROTOCOL, MAX_CALL_STREAMS, MAX_PROBE_FRAME_BYTES, PROBE_PROTOCOL } from './constants.js'
import { decodeFrame, encodeRequest, fromHeaders, traceFromWire } from './wire.js'
import type { Call, TraceEntry } from './call.js'
import type { RuntimeResponse } from '../runtime/types.js'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'

export type HandOffResult =
  /** Refused before accepting: the call may go elsewhere. */
  | { outcome: 'refused', code: string, message: string, load?: PeerFunctionLoad }
  /** Accepted and answered. */
  | { outcome: 'answered', response: RuntimeResponse, trace: TraceEntry[], errorCode?: string, errorMessage?: string, load?: PeerFunctionLoad }
  /** Accepted, then the peer or the stream was lost: the call may have run. */
  | { outcome: 'lost', message: string }

export interface HandOffOptions {
  peer: string
  call: Call
  /** The largest body the answer may carry (bytes). */
  maxBodyBytes: number
  signal: AbortSignal
  /** Fires once, when the peer accepts the call, with the load it reported. */
  onAccepted?: (load?: PeerFunctionLoad) => void
  /** The caller is a client (the CLI, the bench), not a node: the peer schedules the call as its entry. */
  fromClient?: boolean
}

export interface ProbeOptions {
  peer: string
  function: string
  signal: AbortSignal
}

/** The invoke protocol's client end, as the invoke service uses it (a fake in its unit tests). */
export interface InvokeTransport {
  handOff(options: HandOffOptions): Promise<HandOffResult>
  probeLoad(options: ProbeOptions): Promise<PeerFunctionLoad | undefined>
}

export interface InvokeClientComponents {
  libp2p: Pick<Libp2p, 'peerId' | 'getConnections' | 'dialProtocol'>
}

/**
 * Hands calls to peers over /p2pfaas/invoke/1.0.0 and probes their load over /p2pfaas/load/1.0.0.
 * One per node (or per CLI session): it keeps the parsed peer ids of the peers it talks to.
 */
export class InvokeClient implements InvokeTransport {
  /** Parsed once per peer (base58 and a multihash: microseconds a call would pay each time); this client's own. */
  private readonly peerIds = new Map<string, PeerId>()

  constructor (private readonly c: InvokeClientComponents) {}

  /**
   * A request frame out, a verdict back, then the response. Never throws: every failure is one of
   * the three outcomes, so the caller can tell "try elsewhere" (refused) from "may have run" (lost).
   */
  async handOff (o: HandOffOptions): Promise<HandOffResult> {
    const { peer, call, signal } = o
    let accepted = false
    let stream
    try {
      stream = await this.openStream(peer, INVOKE_PROTOCOL, signal)
      const lp = lpStream(stream, { maxDataLength: o.maxBodyBytes + FRAME_OVERHEAD_BYTES })
      await lp.write(encodeRequest(call, this.c.libp2p.peerId.toString(), performance.now(), o.fromClient ?? false), { signal })
      const first = decodeFrame((await lp.read({ signal })).subarray())
      if (first.verdict == null) throw new Error('the peer answered without a verdict')
      if (!first.verdict.accepted) {
        closeQuietly(stream)
        return { outcome: 'refused', code: first.verdict.code, message: first.verdict.message, load: first.verdict.load }
      }
      accepted = true
      o.onAccepted?.(first.verdict.load)
      const second = decodeFrame((await lp.read({ signal })).subarray())
      const r = second.response
      if (r == null) throw new Error('the peer answered without a response')
      closeQuietly(stream)
      return {
        outcome: 'answered',
        response: { status: r.status, headers: fromHeaders(r.headers), body: r.body },
        trace: r.trace.map(traceFromWire),
        errorCode: r.errorCode !== '' ? r.errorCode : undefined,
        errorMessage: r.errorMessage !== '' ? r.errorMessage : undefined,
        load: r.load
      }
    } catch (err: any) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
      const message = signal.aborted ? 'the deadline passed' : (err?.message ?? String(err))
      return accepted ? { outcome: 'lost', message } : { outcome: 'refused', code: signal.aborted ? 'TIMEOUT' : 'UNREACHABLE', message }
    }
  }

  /** Asks a peer its load for one function now (the threshold policy's probe). Undefined when the probe fails. */
  async probeLoad (o: ProbeOptions): Promise<PeerFunctionLoad | undefined> {
    let stream
    try {
      stream = await this.openStream(o.peer, PROBE_PROTOCOL, o.signal)
      const lp = lpStream(stream, { maxDataLength: MAX_PROBE_FRAME_BYTES })
      await lp.write(LoadProbe.encode({ function: o.function }), { signal: o.signal })
      const answer = LoadProbeAnswer.decode((await lp.read({ signal: o.signal })).subarray())
      closeQuietly(stream)
      return answer.deployed ? answer.load : undefined
    } catch (err: any) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)))
      return undefined
    }
  }

  /**
   * A stream on the connection we already have to the peer (the mesh keeps one per pair); a dial only
   * when there is none. Going through dialProtocol every call costs peer-store work per call.
   */
  private async openStream (peer: string, protocol: string, signal: AbortSignal): Promise<Stream> {
    let peerId = this.peerIds.get(peer)
    if (peerId == null) {
      peerId = peerIdFromString(peer)
      if (this.peerIds.size >= 4096) this.peerIds.clear()
      this.peerIds.set(peer, peerId)
    }
    const conn = this.c.libp2p.getConnections(peerId).find(c => c.status === 'open')
    // negotiateFully: false sends the protocol name with the first frame instead of waiting a round trip for it.
    // maxOutboundStreams: a client that does not itself handle the protocol (the CLI) would otherwise be
    // held to libp2p's default of 64 calls outstanding per node.
    if (conn != null) return await conn.newStream(protocol, { signal, negotiateFully: false, maxOutboundStreams: MAX_CALL_STREAMS })
    return await this.c.libp2p.dialProtocol(peerId, protocol, { signal, maxOutboundStreams: MAX_CALL_STREAMS })
  }
}

export const createInvokeClient = (components: InvokeClientComponents): InvokeClient => new InvokeClient(components)

/** The exchange is complete once the last frame is read: closing need not hold the caller up. */
function closeQuietly (stream: Stream): void {
  stream.close().catch(() => { stream.abort(new Error('close failed')) })
}
