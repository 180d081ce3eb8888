import { CallError, type CallErrorCode } from '../executor/errors.js'
import type { TraceEntry } from './call.js'

/**
 * A call that failed, with the nodes it went through before it did. The executor's errors know
 * nothing of peers; the invoke service wraps them (or makes one, for a refusal or a peer's code)
 * in this, so what reaches a client can say where the call went. Still a CallError: code and
 * status are the executor's.
 */
export class TracedCallError extends CallError {
  constructor (code: CallErrorCode, message: string, readonly trace: TraceEntry[], options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'TracedCallError'
  }

  /** `err` with `trace`; the original kept as the cause. */
  static wrap (err: CallError, trace: TraceEntry[]): TracedCallError {
    return new TracedCallError(err.code, err.message, trace, { cause: err })
  }
}

/** The trace an error carries, when the invoke service attached one. */
export const traceOf = (err: unknown): TraceEntry[] | undefined => err instanceof TracedCallError ? err.trace : undefined
