import { newCall } from '../../invoke/call.js'
import { createInvokeClient, type HandOffResult } from '../../invoke/client.js'
import { MAX_BODY_BYTES } from '../../rules.js'
import type { CallResult } from './summary.js'
import type { Target } from './runner.js'
import type { CallOptions } from './arrivals.js'
import type { Libp2p } from '@libp2p/interface'

/**
 * yamux takes at most 1000 streams on one connection: with more calls outstanding to one node the
 * muxer refuses the stream before the node sees it. Not UNREACHABLE: the node was there, the
 * generator had too many calls open on one connection (lower --concurrency-cap).
 */
const STREAM_LIMIT = /max outbound streams/i

/** A hand-off's outcome as a bench record sees it; `target` is the PeerId called. */
export function fromHandOff (result: HandOffResult, target: string): CallResult {
  if (result.outcome === 'refused') {
    const code = result.code === 'UNREACHABLE' && STREAM_LIMIT.test(result.message) ? 'STREAM_LIMIT' : result.code
    return { outcome: result.code === 'OVERLOADED' ? 'rejected' : 'error', status: 0, code, hops: 0, ranOn: '', forwarded: false }
  }
  if (result.outcome === 'lost') return { outcome: 'error', status: 0, code: 'LOST', hops: 0, ranOn: '', forwarded: false }
  const ranOn = result.trace.at(-1)?.peer ?? ''
  const hops = Math.max(0, result.trace.length - 1)
  const status = result.response.status
  const forwarded = ranOn !== '' && ranOn !== target
  const execMs = result.trace.at(-1)?.execMs
  if (result.errorCode != null) return { outcome: result.errorCode === 'OVERLOADED' ? 'rejected' : 'error', status, code: result.errorCode, hops, ranOn, forwarded }
  if (status >= 400) return { outcome: 'error', status, code: `HTTP_${status}`, hops, ranOn, forwarded }
  return { outcome: 'ok', status, code: '', hops, ranOn, forwarded, ...(execMs != null ? { execMs } : {}) }
}

export interface Libp2pTargetInit {
  fn: string
  headers: Record<string, string>
  timeoutMs: number
}

/** One node called over the invoke protocol, as `p2pfaas invoke` calls it (a client call, hops 0). */
export function libp2pTarget (libp2p: Libp2p, peer: string, init: Libp2pTargetInit): Target {
  const client = createInvokeClient({ libp2p })
  return {
    label: peer,
    async send (body, signal, options?: CallOptions) {
      const headers = options?.headers != null ? { ...init.headers, ...options.headers } : init.headers
      const call = newCall({ function: init.fn, query: options?.query ?? '', headers, body, deadline: performance.now() + init.timeoutMs })
      return fromHandOff(await client.handOff({ peer, call, maxBodyBytes: MAX_BODY_BYTES, signal, fromClient: true }), peer)
    }
  }
}
