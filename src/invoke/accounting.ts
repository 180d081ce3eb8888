import { TypedEventEmitter } from 'main-event'
import type { ExecutorEvents } from '../executor/executor.js'
import type { InvokeServiceEvents, RoutedEvent } from './service.js'

/**
 * Call accounting: the one subscriber to the call events of the invoke service and the executor.
 * It classifies each call once (entered here or handed over, how it ended) and keeps the running
 * counts; the OpenFaaS status, the Prometheus series and the dashboard's recorder all read them
 * here, so no two of them can count the same call differently.
 */

/** The function of calls to functions deployed nowhere the node knows of: one shared name, so names from outside cannot grow memory. */
export const NOT_FOUND = '_not_found'

/** How a call that entered the mesh here ended. */
export type CallOutcomeKind = 'local' | 'forwarded' | 'rejected' | 'error'

const REJECTIONS = new Set(['OVERLOADED', 'HOP_LIMIT'])

export function outcomeOf (evt: Pick<RoutedEvent, 'code' | 'decision' | 'executor'>, self: string): CallOutcomeKind {
  if (evt.code != null) return REJECTIONS.has(evt.code) || evt.decision === 'reject' ? 'rejected' : 'error'
  return evt.executor == null || evt.executor === self ? 'local' : 'forwarded'
}

/** A call the invoke service finished routing, with what every reader derives from it. */
export interface AccountedCall extends RoutedEvent {
  /** It entered the mesh at this node (hop 0): a client's call, not a peer's hand-off. */
  entered: boolean
  /** The function it is counted under: NOT_FOUND for a name nobody has deployed. */
  counted: string
  outcome: CallOutcomeKind
}

/** A call this node's executor ended (for a client or for a peer). */
export type RanCall = ExecutorEvents['call:end']['detail']

export function accountCall (e: RoutedEvent, self: string): AccountedCall {
  return { ...e, entered: e.call.hops === 0, counted: e.code === 'FUNCTION_NOT_FOUND' ? NOT_FOUND : e.call.function, outcome: outcomeOf(e, self) }
}

/** Counts by function (and status or code), each row kept from its first call on, in that order. */
export class Tally {
  private readonly rows = new Map<string, { fn: string, code?: string, count: number }>()

  add (fn: string, code?: string, n = 1): void {
    const key = code === undefined ? fn : `${fn}\u0000${code}`
    const row = this.rows.get(key)
    if (row != null) row.count += n
    else this.rows.set(key, code === undefined ? { fn, count: n } : { fn, code, count: n })
  }

  get (fn: string, code?: string): number {
    return this.rows.get(code === undefined ? fn : `${fn}\u0000${code}`)?.count ?? 0
  }

  [Symbol.iterator] (): IterableIterator<Readonly<{ fn: string, code?: string, count: number }>> {
    return this.rows.values()
  }
}

export interface CallAccountingComponents {
  invoke: Pick<TypedEventEmitter<InvokeServiceEvents>, 'addEventListener' | 'removeEventListener'>
  executor: Pick<TypedEventEmitter<ExecutorEvents>, 'addEventListener' | 'removeEventListener'>
  /** This node's PeerId: a call that ran here ran locally. */
  self: string
}

export interface CallAccountingEvents {
  'call:routed': CustomEvent<AccountedCall>
  'call:ran': CustomEvent<RanCall>
}

export class CallAccounting extends TypedEventEmitter<CallAccountingEvents> {
  /** Client calls that found somewhere to run (counted when they start there). */
  readonly started = new Tally()
  /** Client calls answered, by function and HTTP status. */
  readonly answered = new Tally()
  /** Calls peers handed to this node, accepted or refused. */
  readonly received = new Tally()
  /** Calls this node handed over to a peer. */
  readonly forwarded = new Tally()
  /** Calls this node ended with an error of its own (not forwarded), by error code. */
  readonly rejected = new Tally()
  /** Load probes sent while scheduling calls. */
  readonly probes = new Tally()
  /** Calls the executor ended, whoever sent them: OpenFaaS's invocationCount. */
  readonly ran = new Tally()
  private running = false

  constructor (private readonly c: CallAccountingComponents) {
    super()
  }

  invocations (fn: string): number {
    return this.ran.get(fn)
  }

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    this.c.invoke.addEventListener('call:started', this.onStarted)
    this.c.invoke.addEventListener('call:routed', this.onRouted)
    this.c.executor.addEventListener('call:end', this.onEnd)
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    this.c.invoke.removeEventListener('call:started', this.onStarted)
    this.c.invoke.removeEventListener('call:routed', this.onRouted)
    this.c.executor.removeEventListener('call:end', this.onEnd)
  }

  private readonly onStarted = (evt: InvokeServiceEvents['call:started']): void => {
    if (evt.detail.call.hops === 0) this.started.add(evt.detail.call.function)
  }

  private readonly onRouted = (evt: InvokeServiceEvents['call:routed']): void => {
    const call = accountCall(evt.detail, this.c.self)
    const fn = call.counted
    if (call.entered) this.answered.add(fn, String(call.status))
    else this.received.add(fn)
    if (call.decision === 'forward') this.forwarded.add(fn)
    else if (call.code != null) this.rejected.add(fn, call.code)
    if (call.probes > 0) this.probes.add(fn, undefined, call.probes)
    this.safeDispatchEvent('call:routed', { detail: call })
  }

  private readonly onEnd = (evt: ExecutorEvents['call:end']): void => {
    this.ran.add(evt.detail.name)
    this.safeDispatchEvent('call:ran', { detail: evt.detail })
  }
}
