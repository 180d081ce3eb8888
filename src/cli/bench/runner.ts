import type { Arrival, CallOptions } from './arrivals.js'
import type { CallRecord, CallResult } from './summary.js'

/** A node the bench sends calls to. */
export interface Target {
  /** What the records name it by: its PeerId, or its URL over HTTP. */
  label: string
  /** Sends one call; never rejects (every failure is a CallResult). */
  send: (body: Uint8Array, signal: AbortSignal, options?: CallOptions) => Promise<CallResult>
  close?: () => Promise<void>
}

/** Counters the progress display reads while the run goes on. */
export interface LiveCounts {
  due: number
  sent: number
  ok: number
  rejected: number
  errors: number
  dropped: number
  inFlight: number
  maxInFlight: number
}

const INTERRUPTED = new Error('interrupted')

export const newLiveCounts = (): LiveCounts => ({ due: 0, sent: 0, ok: 0, rejected: 0, errors: 0, dropped: 0, inFlight: 0, maxInFlight: 0 })

export interface OpenLoopInit {
  arrivals: readonly Arrival[]
  targets: readonly Target[]
  payloads: readonly Uint8Array[]
  /** Most calls outstanding at once; an arrival beyond it is dropped, never delayed. */
  cap: number
  timeoutMs: number
  /** Stops the schedule and cancels the outstanding calls (Ctrl-C). */
  stop?: AbortSignal
  live?: LiveCounts
  now?: () => number
}

export interface OpenLoopResult {
  /** One per arrival that came due, in schedule order. */
  records: CallRecord[]
  wallMs: number
  interrupted: boolean
}

/**
 * Sends every arrival at its time whatever became of the earlier ones (open loop). Times are
 * absolute, from the run's start: a timer that fires late never pushes later arrivals back, and
 * whatever is overdue when it fires goes out at once, so a slow timer cannot lower the rate.
 */
export async function runOpenLoop (init: OpenLoopInit): Promise<OpenLoopResult> {
  const now = init.now ?? (() => performance.now())
  const live = init.live ?? newLiveCounts()
  const { arrivals } = init
  const records: CallRecord[] = new Array(arrivals.length)
  const outstanding = new Set<AbortController>()
  let next = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const t0 = now()

  await new Promise<void>(resolve => {
    const settleIfDone = (): void => { if (next >= arrivals.length && live.inFlight === 0) resolve() }

    const fire = (i: number, a: Arrival): void => {
      const startMs = now() - t0
      const target = init.targets[a.target]!
      const base = { target: target.label, scheduledMs: a.atMs, startMs }
      live.due++
      if (live.inFlight >= init.cap) {
        live.dropped++
        records[i] = { ...base, latencyMs: null, outcome: 'dropped', status: 0, code: '', hops: 0, ranOn: '', forwarded: false }
        return
      }
      live.sent++
      live.maxInFlight = Math.max(live.maxInFlight, ++live.inFlight)
      void callWithDeadline(target, init.payloads[a.payload] ?? new Uint8Array(), a.options, init.timeoutMs, outstanding).then(result => {
        live.inFlight--
        live[result.outcome === 'error' ? 'errors' : result.outcome]++
        records[i] = { ...base, latencyMs: now() - t0 - startMs, ...result }
        settleIfDone()
      })
    }

    const tick = (): void => {
      timer = undefined
      const elapsed = now() - t0
      while (next < arrivals.length && arrivals[next]!.atMs <= elapsed) fire(next, arrivals[next++]!)
      if (next < arrivals.length) timer = setTimeout(tick, Math.max(0, arrivals[next]!.atMs - (now() - t0)))
      else settleIfDone()
    }

    const onStop = (): void => {
      if (timer != null) clearTimeout(timer)
      // Arrivals not yet due are not part of the run: they get no record.
      records.length = next
      next = arrivals.length
      for (const c of outstanding) c.abort(INTERRUPTED)
      settleIfDone()
    }
    if (init.stop?.aborted === true) { onStop(); return }
    init.stop?.addEventListener('abort', onStop, { once: true })
    tick()
  })

  return { records: records.filter(r => r != null), wallMs: now() - t0, interrupted: init.stop?.aborted === true }
}

/** One call with its own deadline; the run's stop cancels it through `outstanding`. */
async function callWithDeadline (target: Target, body: Uint8Array, options: CallOptions | undefined, timeoutMs: number, outstanding: Set<AbortController>): Promise<CallResult> {
  const controller = new AbortController()
  const deadline = setTimeout(() => { controller.abort(new Error('timeout')) }, timeoutMs)
  outstanding.add(controller)
  try {
    const result = await target.send(body, controller.signal, options)
    // A call cut short by Ctrl-C did not time out: say so, or the run would blame the nodes.
    return result.outcome === 'error' && controller.signal.reason === INTERRUPTED ? { ...result, code: 'CANCELLED' } : result
  } finally {
    clearTimeout(deadline)
    outstanding.delete(controller)
  }
}
