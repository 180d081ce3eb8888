import { lpStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { RESULT_SCHEMAS } from './results.js'
import { decodeJson, encodeJson, MANAGE_PROTOCOL, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, type ManageRequest, type ManageResponse, type ManageResults } from './protocol.js'
import type { Libp2p } from '@libp2p/interface'

export class ManageClientError extends Error {
  constructor (readonly code: string, message: string, readonly deployed?: string[]) {
    super(message)
    this.name = 'ManageClientError'
  }
}

/**
 * Sends one management request to a connected node and returns its result; a refusal or a failure
 * to talk throws ManageClientError with the node's code (UNREACHABLE when there was no answer).
 */
export async function manage<Op extends ManageRequest['op']> (libp2p: Libp2p, peer: string, request: Extract<ManageRequest, { op: Op }>, signal: AbortSignal): Promise<ManageResults[Op]> {
  let response: ManageResponse<Op>
  let stream
  try {
    stream = await libp2p.dialProtocol(peerIdFromString(peer), MANAGE_PROTOCOL, { signal })
    const lp = lpStream(stream, { maxDataLength: Math.max(MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES) })
    await lp.write(encodeJson(request), { signal })
    response = decodeJson((await lp.read({ signal })).subarray()) as ManageResponse<Op>
    await stream.close().catch(() => {})
  } catch (err: any) {
    stream?.abort(err instanceof Error ? err : new Error(String(err)))
    throw new ManageClientError(signal.aborted ? 'TIMEOUT' : 'UNREACHABLE', signal.aborted ? `${peer} did not answer in time` : `cannot talk to ${peer}: ${err?.message ?? err}`)
  }
  if (response == null || typeof response !== 'object' || typeof response.ok !== 'boolean') throw new ManageClientError('BAD_RESPONSE', `${peer} answered something that is not a management response`)
  if (!response.ok) throw new ManageClientError(String(response.code).slice(0, 64), String(response.message).slice(0, 4096), Array.isArray(response.deployed) ? response.deployed.map(String) : undefined)
  const checked = RESULT_SCHEMAS[request.op].safeParse(response.result)
  if (!checked.success) throw new ManageClientError('BAD_RESPONSE', `${peer} answered ${request.op} with something malformed: ${checked.error.issues.slice(0, 3).map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  return checked.data as ManageResults[Op]
}
