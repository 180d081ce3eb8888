import { describe, expect, it } from 'vitest'
import { observedCall, type Chosen } from '../../src/invoke/outcome.js'
import { createLeastLoaded } from '../../src/scheduler/least-loaded.js'
import type { Call, TraceEntry } from '../../src/invoke/call.js'
import type { RoutedEvent } from '../../src/invoke/service.js'

/** What a policy's observe() is told, from what the invoke service's call:routed event carries. */

const SELF = 'Self'
const call = { callId: 'c1', function: 'echo', hops: 0 } as Call
const step = (peer: string, decision: TraceEntry['decision'], totalMs: number, queueMs = 0): TraceEntry =>
  ({ peer, decision, schedulingMs: 0.1, probingMs: 0, queueMs, execMs: 3, totalMs })
const chosen = (action: Chosen['action'], byPolicy = true, task: Chosen['task'] = {}): Chosen => ({ policy: createLeastLoaded(), action, byPolicy, task })
const routed = (over: Partial<RoutedEvent>): RoutedEvent => ({ call, decision: 'local', status: 200, trace: [], probes: 0, ...over })

describe('observedCall', () => {
  it('a call run here: ranOn local, with its queue time', () => {
    expect(observedCall(SELF, routed({ trace: [step(SELF, 'local', 12, 4)] }), chosen('local'))).toEqual({
      function: 'echo', callId: 'c1', hops: 0, action: 'local', byPolicy: true, ranOn: 'local', ok: true, status: 200, totalMs: 12, queuedMs: 4, probes: 0
    })
  })

  it('carries the call\'s id, task type and deadline, as the decision read them', () => {
    const o = observedCall(SELF, routed({ trace: [step(SELF, 'local', 12, 4)] }), chosen('local', true, { taskType: 1, deadlineMs: 500 }))
    expect(o).toMatchObject({ callId: 'c1', taskType: 1, deadlineMs: 500 })
  })

  it('a call handed off: ranOn the peer that ran it (the last on the path), this node\'s total', () => {
    const o = observedCall(SELF, routed({ decision: 'forward', trace: [step(SELF, 'forward', 30), step('B', 'forward', 25), step('C', 'local', 20, 7)], probes: 2 }), chosen('forward'))
    expect(o).toMatchObject({ action: 'forward', ranOn: 'C', ok: true, totalMs: 30, queuedMs: 7, probes: 2 })
  })

  it('a call refused here, or lost with its peer: no ranOn, the error code, no queue time', () => {
    const refused = observedCall(SELF, routed({ decision: 'reject', status: 429, code: 'OVERLOADED', trace: [step(SELF, 'reject', 1)] }), chosen('reject'))
    expect(refused).toEqual({ function: 'echo', callId: 'c1', hops: 0, action: 'reject', byPolicy: true, ok: false, error: 'OVERLOADED', status: 429, totalMs: 1, probes: 0 })
    const lost = observedCall(SELF, routed({ decision: 'forward', status: 502, code: 'PEER_LOST', trace: [step(SELF, 'forward', 40)] }), chosen('forward', false))
    expect(lost).toMatchObject({ action: 'forward', byPolicy: false, ok: false, error: 'PEER_LOST' })
    expect(lost.ranOn).toBeUndefined()
  })

  it('a call that failed where it ran: ranOn there, not ok', () => {
    const o = observedCall(SELF, routed({ status: 504, code: 'TIMEOUT', trace: [step(SELF, 'local', 1000)] }), chosen('local'))
    expect(o).toMatchObject({ ranOn: 'local', ok: false, error: 'TIMEOUT', status: 504 })
    expect(o.queuedMs).toBeUndefined()
  })
})
