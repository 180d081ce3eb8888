import { lpStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { decodeJson, encodeJson } from '../json-frame.js'
import { MAX_RESPONSE_BYTES, OBSERVE_PROTOCOL, ObserveResultSchema, type ObserveRequest, type ObserveResponse, type ObserveResult } from './protocol.js'
import type { Libp2p } from '@libp2p/interface'

export class ObserveClientError extends Error {
  constructor (readonly code: string, message: string) {
    super(message)
    this.name = 'ObserveClientError'
  }
}

/**
 * Asks a connected node what changed since the cursors; a refusal or a failure to talk throws
 * ObserveClientError with the node's code (UNREACHABLE when there was no answer, BAD_RESPONSE when
 * the answer is not what the protocol allows).
 */
export async function observe (libp2p: Pick<Libp2p, 'dialProtocol'>, peer: string, request: ObserveRequest, signal: AbortSignal): Promise<ObserveResult> {
  let response: ObserveResponse
  let stream
  try {
    stream = await libp2p.dialProtocol(peerIdFromString(peer), OBSERVE_PROTOCOL, { signal })
    const lp = lpStream(stream, { maxDataLength: MAX_RESPONSE_BYTES })
    await lp.write(encodeJson(request), { signal })
    response = decodeJson((await lp.read({ signal })).subarray()) as ObserveResponse
    await stream.close().catch(() => {})
  } catch (err: any) {
    stream?.abort(err instanceof Error ? err : new Error(String(err)))
    throw new ObserveClientError(signal.aborted ? 'TIMEOUT' : 'UNREACHABLE', signal.aborted ? `${peer} did not answer in time` : `cannot talk to ${peer}: ${err?.message ?? err}`)
  }
  if (response == null || typeof response !== 'object' || typeof response.ok !== 'boolean') throw new ObserveClientError('BAD_RESPONSE', `${peer} answered something that is not an observe response`)
  if (!response.ok) throw new ObserveClientError(String(response.code).slice(0, 64), String(response.message).slice(0, 4096))
  const checked = ObserveResultSchema.safeParse(response.result)
  if (!checked.success) throw new ObserveClientError('BAD_RESPONSE', `${peer} answered observe with something malformed: ${checked.error.issues.slice(0, 3).map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  // The schema is looser than the types in two places (a hop's decision is any short string): what
  // the dashboard does with them (shows them) needs no more.
  return checked.data
}
