import { TypedEventEmitter } from 'main-event'
import { RuntimeError, type RuntimeRequest, type RuntimeResponse } from '../runtime/types.js'
import { CallError } from './errors.js'
import type { LoadSourceEvents, NodeLoad } from '../mesh/load.js'
import { TypeLoadCounter } from './type-load.js'
import type { LocalLoad, TypeLoad } from '../scheduler/types.js'

/** The admission settings of one function on this node. */
export interface Admission {
  concurrency: number
  queue: number
  timeoutMs: number
}

/** Runs an admitted call: the executor's one way down to a runtime. */
export type CallRunner = (name: string, req: RuntimeRequest) => Promise<RuntimeResponse>

export interface CallRequest extends Omit<RuntimeRequest, 'signal'> {
  /** The caller's own deadline or disconnect; the function's timeout applies as well. */
  signal?: AbortSignal
  /** Called once, when the call got a slot or a place in the queue (it will not be refused any more). */
  onAdmitted?: () => void
  /** Called once, when the call got its slot and starts running (at once, or after waiting in the queue). */
  onStarted?: () => void
  /** The call's task type, for the per-type load (typeLoad()); absent: none. */
  taskType?: number
}

export interface CallResult {
  response: RuntimeResponse
  queueMs: number
  execMs: number
}

export interface ExecutorEvents extends LoadSourceEvents {
  'call:end': CustomEvent<{ name: string, status: number, code?: string, queueMs: number, execMs: number }>
}

interface Waiter {
  grant: () => void
  fail: (err: CallError) => void
}

interface FunctionState {
  admission: Admission
  running: number
  waiting: Waiter[]
  run: CallRunner
}

/**
 * Per-function slots and a bounded FIFO queue: the source of truth for "my load". A call either
 * gets a slot, waits in line, or is refused at once (429); a call that cannot finish by its
 * deadline ends with 504 and gives its slot or place back. It never knows about peers.
 */
export class Executor extends TypedEventEmitter<ExecutorEvents> {
  private readonly functions = new Map<string, FunctionState>()
  /** The same calls as the per-function counts, per task type, whatever the function. */
  private readonly byType = new TypeLoadCounter()
  /** Set by close(): a stopping node takes no new call. */
  private closed = false
  /** Resolved whenever the last call in flight ends. */
  private idleWaiters: Array<() => void> = []

  /**
   * A stopping node: every new call is refused with 429 (OVERLOADED), so a peer handing it off
   * tries another node; calls already running or queued go on.
   */
  close (): void {
    this.closed = true
  }

  /** No call running or queued. */
  idle (): boolean {
    for (const s of this.functions.values()) if (s.running > 0 || s.waiting.length > 0) return false
    return true
  }

  /** Resolves true once idle, or false when `graceMs` passed first. */
  async settled (graceMs: number): Promise<boolean> {
    if (this.idle()) return true
    return await new Promise<boolean>(resolve => {
      const done = (): void => { clearTimeout(timer); resolve(true) }
      const timer = setTimeout(() => { this.idleWaiters = this.idleWaiters.filter(w => w !== done); resolve(false) }, graceMs)
      this.idleWaiters.push(done)
    })
  }

  /** Calls still queued when a stopping node's grace is over: answered 429, they never ran. */
  abandonQueued (): number {
    let count = 0
    for (const [name, s] of this.functions) {
      for (const w of s.waiting.splice(0)) { count++; w.fail(new CallError('OVERLOADED', `the node is stopping; function ${name} did not get a slot within its grace period`)) }
    }
    if (count > 0) this.changed()
    return count
  }

  /** Adds or updates a function; calls in flight keep running, queued calls keep their place. */
  register (name: string, admission: Admission, run: CallRunner): void {
    const current = this.functions.get(name)
    if (current != null) {
      current.admission = admission
      current.run = run
      this.drain(current)
    } else {
      this.functions.set(name, { admission, running: 0, waiting: [], run })
    }
    this.changed()
  }

  /** Removes a function: queued calls fail with FUNCTION_NOT_FOUND, running ones finish. */
  unregister (name: string): void {
    const state = this.functions.get(name)
    if (state == null) return
    this.functions.delete(name)
    for (const w of state.waiting.splice(0)) w.fail(new CallError('FUNCTION_NOT_FOUND', `function ${name} was removed`))
    this.changed()
  }

  has (name: string): boolean {
    return this.functions.has(name)
  }

  admission (name: string): Admission | undefined {
    return this.functions.get(name)?.admission
  }

  /** One function's load, cheap enough for every scheduling decision. */
  loadOf (name: string): LocalLoad | undefined {
    const s = this.functions.get(name)
    return s == null ? undefined : { running: s.running, queued: s.waiting.length, capacity: s.admission.concurrency, queueCapacity: s.admission.queue }
  }

  /** Calls running and queued here per task type; the same object until something changes. */
  typeLoad (): readonly TypeLoad[] {
    return this.byType.snapshot()
  }

  snapshot (): NodeLoad {
    const functions = []
    const totals = { queued: 0, running: 0, capacity: 0 }
    for (const [name, s] of this.functions) {
      functions.push({ name, queued: s.waiting.length, running: s.running, capacity: s.admission.concurrency })
      totals.queued += s.waiting.length
      totals.running += s.running
      totals.capacity += s.admission.concurrency
    }
    return { functions, totals }
  }

  async call (name: string, req: CallRequest): Promise<CallResult> {
    const state = this.functions.get(name)
    if (state == null) throw new CallError('FUNCTION_NOT_FOUND', `function ${name} is not deployed on this node`)
    // One controller and one timer per call (AbortSignal.any is slow and leaks on Node 20).
    const controller = new AbortController()
    const signal = controller.signal
    let timedOut = false
    const timer = setTimeout(() => { timedOut = true; controller.abort(new DOMException('deadline passed', 'TimeoutError')) }, state.admission.timeoutMs)
    const onCallerAbort = (): void => { controller.abort(req.signal?.reason) }
    if (req.signal?.aborted === true) onCallerAbort()
    else req.signal?.addEventListener('abort', onCallerAbort, { once: true })
    const arrived = performance.now()
    let queueMs = 0
    let execMs = 0
    const ticket = this.byType.enter(req.taskType)
    try {
      await this.acquire(name, state, signal, req.onAdmitted)
      queueMs = performance.now() - arrived
      ticket.started()
      req.onStarted?.()
      const started = performance.now()
      try {
        const response = await this.runWithin(state, name, { ...req, signal })
        execMs = performance.now() - started
        this.safeDispatchEvent('call:end', { detail: { name, status: response.status, queueMs, execMs } })
        return { response, queueMs, execMs }
      } finally {
        execMs = execMs === 0 ? performance.now() - started : execMs
        this.release(state)
      }
    } catch (err) {
      const callError = toCallError(err, name, signal, timedOut)
      this.safeDispatchEvent('call:end', { detail: { name, status: callError.status, code: callError.code, queueMs, execMs } })
      throw callError
    } finally {
      ticket.ended()
      clearTimeout(timer)
      req.signal?.removeEventListener('abort', onCallerAbort)
    }
  }

  private async acquire (name: string, state: FunctionState, signal: AbortSignal, onAdmitted?: () => void): Promise<void> {
    if (this.closed) throw new CallError('OVERLOADED', `the node is stopping and takes no new call for ${name}`)
    if (state.running < state.admission.concurrency && state.waiting.length === 0) {
      state.running++
      this.changed()
      onAdmitted?.()
      return
    }
    if (state.waiting.length >= state.admission.queue) {
      throw new CallError('OVERLOADED', `function ${name} is at capacity on this node (${state.running} running, ${state.waiting.length} queued)`)
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = state.waiting.indexOf(waiter)
        if (i >= 0) state.waiting.splice(i, 1)
        this.changed()
        reject(signal.reason)
      }
      const waiter: Waiter = {
        grant: () => { signal.removeEventListener('abort', onAbort); resolve() },
        fail: (err) => { signal.removeEventListener('abort', onAbort); reject(err) }
      }
      if (signal.aborted) { reject(signal.reason); return }
      signal.addEventListener('abort', onAbort, { once: true })
      state.waiting.push(waiter)
      this.changed()
      onAdmitted?.()
    })
  }

  /** A runtime that ignores the signal still cannot hold the caller past the deadline. */
  private async runWithin (state: FunctionState, name: string, req: RuntimeRequest): Promise<RuntimeResponse> {
    const { signal } = req
    if (signal.aborted) throw signal.reason
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => { reject(signal.reason) }
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([state.run(name, req), aborted])
    } finally {
      if (onAbort != null) signal.removeEventListener('abort', onAbort)
    }
  }

  private release (state: FunctionState): void {
    state.running--
    this.drain(state)
    this.changed()
  }

  /** Hands free slots to the longest-waiting calls. */
  private drain (state: FunctionState): void {
    while (state.running < state.admission.concurrency && state.waiting.length > 0) {
      const next = state.waiting.shift()!
      state.running++
      next.grant()
    }
  }

  private changed (): void {
    if (this.idleWaiters.length > 0 && this.idle()) for (const w of this.idleWaiters.splice(0)) w()
    this.safeDispatchEvent('change')
  }
}

function toCallError (err: unknown, name: string, signal: AbortSignal, timedOut: boolean): CallError {
  if (err instanceof CallError) return err
  if (err instanceof RuntimeError) return new CallError(err.code, err.message, { cause: err })
  if (signal.aborted) {
    return timedOut
      ? new CallError('TIMEOUT', `function ${name} did not answer before its deadline`, { cause: err })
      : new CallError('TIMEOUT', `the caller gave up on function ${name}`, { cause: err })
  }
  return new CallError('FUNCTION_CRASHED', `function ${name} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err })
}
