import type { CallTask } from './task.js'
import type { Call, TraceEntry } from './call.js'
import type { CallOutcome as ObservedCall, Decision, Policy } from '../scheduler/types.js'

/** Where a call went and how it ended, as the invoke service reports it (`call:routed`). */
export interface RoutedEvent {
  call: Call
  decision: Decision['action']
  /** Who ran it, when it ran. */
  executor?: string
  status: number
  code?: string
  trace: TraceEntry[]
  probes: number
}

/** What this node decided for a call, kept until its answer is known. */
export interface Chosen {
  /** The policy that decided: told the outcome even if another one is in force by then. */
  policy: Policy
  action: ObservedCall['action']
  byPolicy: boolean
  /** The call's task type and deadline, as the decision read them. */
  task: CallTask
}

/**
 * The call as a policy's `observe` sees it, from what the `call:routed` event carries: the trace's
 * first entry is this node's (its total), the last is where the call ran, if it ran (`local`).
 */
export function observedCall (self: string, routed: RoutedEvent, chosen: Chosen): ObservedCall {
  const { call, trace, code, status, probes } = routed
  const last = trace[trace.length - 1]
  const ranOn = last?.decision === 'local' ? (last.peer === self ? 'local' : last.peer) : undefined
  const ok = code === undefined
  return {
    function: call.function,
    callId: call.callId,
    ...chosen.task,
    hops: call.hops,
    action: chosen.action,
    byPolicy: chosen.byPolicy,
    ...(ranOn === undefined ? {} : { ranOn }),
    ok,
    ...(ok ? {} : { error: code }),
    status,
    totalMs: trace[0]?.totalMs ?? 0,
    ...(ok && ranOn !== undefined && last !== undefined ? { queuedMs: last.queueMs } : {}),
    probes
  }
}
