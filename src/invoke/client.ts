import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { LoadProbe, LoadProbeAnswer, type PeerFunctionLoad } from '../wire/invoke.js'
import { INVOKE_PROTOCOL, PROBE_PROTOCOL, type Call, type TraceEntry } from './call.js'
import { decodeFrame, encodeRequest, FRAME_OVERHEAD_BYTES, fromHeaders, traceFromWire } from './wire.js'
import type { RuntimeResponse } from '../runtime/types.js'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'

export type HandOffResult =
  /** Refused before accepting: the call may go elsewhere. */
  | { outcome: 'refused', code: string, message: string, load?: PeerFunctionLoad }
  /** Accepted and answered. */
  | { outcome: 'answered', response: RuntimeResponse, trace: TraceEntry[], errorCode?: string, errorMessage?: string, load?: PeerFunctionLoad }
  /** Accepted, then the peer or the stream was lost: the call may have run. */
  | { outcome: 'lost', message: string }

/**
 * Hands one call to one peer over /p2pfaas/invoke/1.0.0: a request frame out, a verdict back,
 * then the response. Never throws: every failure is one of the three outcomes, so the caller can
 * tell "try elsewhere" (refused) from "may have run" (lost).
 */
export async function handOff (libp2p: Libp2p, peer: string, call: Call, maxBodyBytes: number, signal: AbortSignal, onAccepted?: (load?: PeerFunctionLoad) => void, fromClient = false): Promise<HandOffResult> {
  let accepted = false
  let stream
  try {
    stream = await openStream(libp2p, peer, INVOKE_PROTOCOL, signal)
    const lp = lpStream(stream, { maxDataLength: maxBodyBytes + FRAME_OVERHEAD_BYTES })
    await lp.write(encodeRequest(call, libp2p.peerId.toString(), performance.now(), fromClient), { signal })
    const first = decodeFrame((await lp.read({ signal })).subarray())
    if (first.verdict == null) throw new Error('the peer answered without a verdict')
    if (!first.verdict.accepted) {
      closeQuietly(stream)
      return { outcome: 'refused', code: first.verdict.code, message: first.verdict.message, load: first.verdict.load }
    }
    accepted = true
    onAccepted?.(first.verdict.load)
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
export async function probeLoad (libp2p: Libp2p, peer: string, fn: string, signal: AbortSignal): Promise<PeerFunctionLoad | undefined> {
  let stream
  try {
    stream = await openStream(libp2p, peer, PROBE_PROTOCOL, signal)
    const lp = lpStream(stream, { maxDataLength: 1024 })
    await lp.write(LoadProbe.encode({ function: fn }), { signal })
    const answer = LoadProbeAnswer.decode((await lp.read({ signal })).subarray())
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
const peerIds = new Map<string, PeerId>()

async function openStream (libp2p: Libp2p, peer: string, protocol: string, signal: AbortSignal): Promise<Stream> {
  let peerId = peerIds.get(peer)
  if (peerId == null) {
    peerId = peerIdFromString(peer)
    if (peerIds.size >= 4096) peerIds.clear()
    peerIds.set(peer, peerId)
  }
  const conn = libp2p.getConnections(peerId).find(c => c.status === 'open')
  // negotiateFully: false sends the protocol name with the first frame instead of waiting a round trip for it.
  // maxOutboundStreams: a client that does not itself handle the protocol (the CLI) would otherwise be
  // held to libp2p's default of 64 calls outstanding per node.
  if (conn != null) return await conn.newStream(protocol, { signal, negotiateFully: false, maxOutboundStreams: MAX_CALL_STREAMS })
  return await libp2p.dialProtocol(peerId, protocol, { signal, maxOutboundStreams: MAX_CALL_STREAMS })
}

/** Calls in flight to one peer: as many as the receiving end accepts (src/invoke/handler.ts). */
export const MAX_CALL_STREAMS = 1024

/** The exchange is complete once the last frame is read: closing need not hold the caller up. */
function closeQuietly (stream: Stream): void {
  stream.close().catch(() => { stream.abort(new Error('close failed')) })
}
