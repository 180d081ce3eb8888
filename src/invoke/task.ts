import { parseTaskType, type TaskLabels } from '../functions/settings.js'
import type { Call } from './call.js'

/**
 * The original's request header naming a call's task type (lower-case, as node:http gives it). It
 * travels with the call's headers, so every node on the path reads the same type.
 */
export const TASK_TYPE_HEADER = 'x-p2pfaas-scheduler-learning-task-type'

/** A call's task type and deadline, as its scheduling request and its outcome carry them. */
export interface CallTask {
  taskType?: number
  deadlineMs?: number
}

/**
 * The header first (a client typing its own calls, as the original's benchmark did), else the
 * function's `p2pfaas.task-type` label. The deadline is the function's: its type's in
 * `p2pfaas.task-deadlines`, else `p2pfaas.deadline`. A header that is not a task type (the label's
 * rule: 0 to 63) is not trusted: the label's type stands.
 */
export function taskOfCall (call: Pick<Call, 'headers'>, labels: TaskLabels | undefined): CallTask {
  const header = call.headers[TASK_TYPE_HEADER]
  const parsed = header === undefined ? undefined : parseTaskType(header)
  const taskType = parsed?.ok === true ? parsed.value : labels?.taskType
  const deadlineMs = (taskType === undefined ? undefined : labels?.deadlinesMs?.[taskType]) ?? labels?.deadlineMs
  return {
    ...(taskType === undefined ? {} : { taskType }),
    ...(deadlineMs === undefined ? {} : { deadlineMs })
  }
}
