import { TypedEventEmitter } from 'main-event'
import { describe, expect, it } from 'vitest'
import { CallAccounting, NOT_FOUND, type AccountedCall, type RanCall } from '../../src/invoke/accounting.js'
import type { ExecutorEvents } from '../../src/executor/executor.js'
import type { InvokeServiceEvents, RoutedEvent } from '../../src/invoke/service.js'
import type { Call } from '../../src/invoke/call.js'

const call = (fn: string, hops: number): Call => ({
  callId: `c-${Math.random()}`, function: fn, method: 'POST', path: '/', query: '', headers: {}, body: new Uint8Array(),
  hops, visited: [], deadline: 0, idempotent: false, bypass: false, forceForward: false
})

const trace = (peers: string[]): RoutedEvent['trace'] =>
  peers.map(peer => ({ peer, decision: 'local' as const, schedulingMs: 0, probingMs: 0, queueMs: 1, execMs: 2, totalMs: 5 }))

function setUp (): { accounting: CallAccounting, invoke: TypedEventEmitter<InvokeServiceEvents>, executor: TypedEventEmitter<ExecutorEvents>, routed: AccountedCall[], ran: RanCall[] } {
  const invoke = new TypedEventEmitter<InvokeServiceEvents>()
  const executor = new TypedEventEmitter<ExecutorEvents>()
  const accounting = new CallAccounting({ invoke, executor, self: 'A' })
  const routed: AccountedCall[] = []
  const ran: RanCall[] = []
  accounting.addEventListener('call:routed', e => { routed.push(e.detail) })
  accounting.addEventListener('call:ran', e => { ran.push(e.detail) })
  return { accounting, invoke, executor, routed, ran }
}

const rows = (t: Iterable<{ fn: string, code?: string, count: number }>): unknown[] => [...t].map(r => ({ ...r }))

describe('CallAccounting', () => {
  it('counts each call once, by where it entered and how it ended, and hands it on classified', async () => {
    const { accounting, invoke, executor, routed, ran } = setUp()
    await accounting.start()
    const route = (detail: RoutedEvent): void => { invoke.safeDispatchEvent('call:routed', { detail }) }

    invoke.safeDispatchEvent('call:started', { detail: { call: call('f', 0), decision: 'local' } })
    invoke.safeDispatchEvent('call:started', { detail: { call: call('f', 1), decision: 'local' } })
    route({ call: call('f', 0), decision: 'local', executor: 'A', status: 200, trace: trace(['A']), probes: 0 })
    route({ call: call('f', 0), decision: 'forward', executor: 'B', status: 200, trace: trace(['A', 'B']), probes: 2 })
    route({ call: call('f', 0), decision: 'reject', status: 429, code: 'OVERLOADED', trace: trace(['A']), probes: 0 })
    route({ call: call('f', 1), decision: 'local', executor: 'A', status: 504, code: 'TIMEOUT', trace: trace(['A']), probes: 0 })
    route({ call: call('nope', 0), decision: 'local', status: 404, code: 'FUNCTION_NOT_FOUND', trace: trace(['A']), probes: 0 })
    executor.safeDispatchEvent('call:end', { detail: { name: 'f', status: 200, queueMs: 1, execMs: 2 } })
    executor.safeDispatchEvent('call:end', { detail: { name: 'f', status: 429, code: 'OVERLOADED', queueMs: 0, execMs: 0 } })

    expect(rows(accounting.started)).toEqual([{ fn: 'f', count: 1 }])
    expect(rows(accounting.answered)).toEqual([{ fn: 'f', code: '200', count: 2 }, { fn: 'f', code: '429', count: 1 }, { fn: NOT_FOUND, code: '404', count: 1 }])
    expect(rows(accounting.received)).toEqual([{ fn: 'f', count: 1 }])
    expect(rows(accounting.forwarded)).toEqual([{ fn: 'f', count: 1 }])
    expect(rows(accounting.rejected)).toEqual([{ fn: 'f', code: 'OVERLOADED', count: 1 }, { fn: 'f', code: 'TIMEOUT', count: 1 }, { fn: NOT_FOUND, code: 'FUNCTION_NOT_FOUND', count: 1 }])
    expect(rows(accounting.probes)).toEqual([{ fn: 'f', count: 2 }])
    expect(accounting.invocations('f')).toBe(2)
    expect(accounting.invocations('g')).toBe(0)

    expect(routed.map(c => [c.entered, c.counted, c.outcome])).toEqual([
      [true, 'f', 'local'], [true, 'f', 'forwarded'], [true, 'f', 'rejected'], [false, 'f', 'error'], [true, NOT_FOUND, 'error']
    ])
    expect(ran.map(r => r.status)).toEqual([200, 429])
  })

  it('listens only between start and stop', async () => {
    const { accounting, executor, invoke, routed } = setUp()
    executor.safeDispatchEvent('call:end', { detail: { name: 'f', status: 200, queueMs: 0, execMs: 1 } })
    await accounting.start()
    await accounting.start()
    executor.safeDispatchEvent('call:end', { detail: { name: 'f', status: 200, queueMs: 0, execMs: 1 } })
    await accounting.stop()
    executor.safeDispatchEvent('call:end', { detail: { name: 'f', status: 200, queueMs: 0, execMs: 1 } })
    invoke.safeDispatchEvent('call:routed', { detail: { call: call('f', 0), decision: 'local', status: 200, trace: trace(['A']), probes: 0 } })
    expect(accounting.invocations('f')).toBe(1)
    expect(routed).toEqual([])
  })
})
