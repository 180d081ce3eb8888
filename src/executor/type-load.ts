import type { TypeLoad } from '../scheduler/types.js'

/** What to call as a call moves on: when it gets its slot, and when it is over. */
export interface TypeLoadTicket {
  started(): void
  ended(): void
}

/**
 * This node's calls per task type, running and queued, whatever the function. The executor keeps
 * it beside its per-function counts, from the same admission steps, so "my load" is counted in one
 * place; a task type is only a number to it. Read at every decision, so the snapshot is kept until
 * something changes.
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
