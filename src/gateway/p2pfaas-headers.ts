import { TASK_TYPE_HEADER } from '../invoke/task.js'
import type { TraceEntry } from '../invoke/call.js'

/** Request headers the original P2PFaaS honoured, and ours. Lower-case, as node:http gives them. */
export const REQUEST = {
  bypass: 'x-p2pfaas-scheduler-bypass',
  forward: 'x-p2pfaas-scheduler-forward',
  tracingId: 'x-p2pfaas-scheduler-task-tracing-id',
  taskType: TASK_TYPE_HEADER,
  idempotent: 'x-p2pfaas-idempotent'
} as const

const seconds = (ms: number): number => Math.round(ms * 1000) / 1_000_000

/**
 * The response headers of the original P2PFaaS, computed from a call's trace (origin first,
 * executor last), so its benchmark scripts read our answers unchanged.
 */
export function traceHeaders (trace: TraceEntry[], self: string, version: string, schedulerLabel: string): Record<string, string> {
  const last = trace[trace.length - 1]
  const headers: Record<string, string> = {
    'X-P2pfaas-Version': version,
    'X-P2pfaas-Scheduler': schedulerLabel,
    'X-P2pfaas-Hops': String(Math.max(0, trace.length - 1)),
    'X-P2pfaas-Externally-Executed': last != null && last.peer !== self ? 'True' : 'False',
    'X-P2pfaas-Peers-List-Id': JSON.stringify(trace.map(t => t.peer)),
    'X-P2pfaas-Timing-Total-Seconds-List': JSON.stringify(trace.map(t => seconds(t.totalMs))),
    'X-P2pfaas-Timing-Scheduling-Seconds-List': JSON.stringify(trace.map(t => seconds(t.schedulingMs))),
    'X-P2pfaas-Timing-Probing-Seconds-List': JSON.stringify(trace.map(t => seconds(t.probingMs)))
  }
  if (last != null && last.decision === 'local') {
    headers['X-P2pfaas-Timing-Execution-Time-Seconds'] = String(seconds(last.execMs))
    headers['X-P2pfaas-Timing-Queue-Time-Seconds'] = String(seconds(last.queueMs))
  }
  return headers
}
