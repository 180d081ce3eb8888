import type { RuntimeErrorCode } from '../runtime/types.js'

/** Every code a call can end with besides a function's own answer; stable, clients match on them. */
export type CallErrorCode = RuntimeErrorCode | 'OVERLOADED' | 'BAD_REQUEST' | 'PEER_LOST' | 'HOP_LIMIT'
  /** Deployed only on members this node cannot reach now (dead, hung or cut off, not yet forgotten). */
  | 'FUNCTION_UNREACHABLE'
  /** A peer handed this node more calls than --peer-invoke-rate allows it (src/mesh/peer-limiter.ts). */
  | 'THROTTLED'

export const HTTP_STATUS: Record<CallErrorCode, number> = {
  OVERLOADED: 429,
  TIMEOUT: 504,
  FUNCTION_NOT_FOUND: 404,
  FUNCTION_UNREACHABLE: 503,
  RUNTIME_UNAVAILABLE: 503,
  FUNCTION_CRASHED: 502,
  RESPONSE_TOO_LARGE: 502,
  DEPLOY_FAILED: 400,
  BAD_REQUEST: 400,
  PEER_LOST: 502,
  HOP_LIMIT: 508,
  THROTTLED: 429
}

/** A call that ends without the function's own answer. Knows nothing of peers: whoever routes calls adds where one went. */
export class CallError extends Error {
  constructor (readonly code: CallErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CallError'
  }

  get status (): number {
    return HTTP_STATUS[this.code]
  }
}
