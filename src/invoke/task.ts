import { parseTaskType, type TaskLabels } from '../functions/settings.js'
import type { Call } from './call.js'
import type { TypeLoad } from '../scheduler/types.js'

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

/** What to call as a call run here moves on: when it gets its slot, and when it is over. */
export interface TypeLoadTicket {
  started(): void
  ended(): void
}

/**
 * This node's calls per task type, running and queued, whatever the function: the executor counts
 * per function and knows nothing of types, so the invoke service counts around its calls. Read at
 * every decision, so the snapshot is kept until something changes.
 */
export class TypeLoadCounter {
  // -1 stands for "no task type"; task types are 0 to 63.
  private readonly counts = new Map<number, { running: number, queued: number }>()
  private cached: readonly TypeLoad[] | undefined

  enter (taskType: number | undefined): TypeLoadTicket {
    const key = taskType ?? -1
    let running = false
    let over = false
    this.change(key, 0, 1)
    return {
      started: () => {
        if (running || over) return
        running = true
        this.change(key, 1, -1)
      },
      ended: () => {
        if (over) return
        over = true
        if (running) this.change(key, -1, 0)
        else this.change(key, 0, -1)
      }
    }
  }

  snapshot (): readonly TypeLoad[] {
    this.cached ??= Object.freeze([...this.counts].map(([key, c]) => Object.freeze(key < 0 ? { ...c } : { taskType: key, ...c })))
    return this.cached
  }

  private change (key: number, running: number, queued: number): void {
    const c = this.counts.get(key) ?? { running: 0, queued: 0 }
    c.running += running
    c.queued += queued
    if (c.running <= 0 && c.queued <= 0) this.counts.delete(key)
    else this.counts.set(key, c)
    this.cached = undefined
  }
}
