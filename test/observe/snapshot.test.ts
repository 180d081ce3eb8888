import { describe, expect, it } from 'vitest'
import { CallRecorder } from '../../src/observe/recorder.js'
import { accountCall, outcomeOf, type AccountedCall } from '../../src/invoke/accounting.js'
import { buildSnapshot, type NodeReport } from '../../src/observe/snapshot.js'
import { toSparse } from '../../src/observe/histogram.js'
import type { RoutedEvent } from '../../src/invoke/service.js'

/** A call routed at node A, as A's call accounting hands it on. */
const routed = (over: Partial<RoutedEvent> & { hops?: number, path?: string[] }): CustomEvent<AccountedCall> => {
  const path = over.path ?? ['A']
  return new CustomEvent('call:routed', {
    detail: accountCall({
      call: { callId: `c${Math.random()}`, function: 'f', hops: over.hops ?? 0 } as RoutedEvent['call'],
      decision: over.decision ?? 'local',
      executor: over.executor ?? path.at(-1),
      status: over.status ?? 200,
      code: over.code,
      trace: path.map(peer => ({ peer, decision: 'local', schedulingMs: 0, probingMs: 0, queueMs: 1, execMs: 10, totalMs: 20 })),
      probes: 0
    }, 'A')
  })
}

describe('the call recorder', () => {
  it('counts the calls that entered here by outcome, per second, and keeps them with their path', () => {
    let now = 1_000_000
    const r = new CallRecorder({ now: () => now })
    r.onRouted(routed({}))
    r.onRouted(routed({ path: ['A', 'B'] }))
    r.onRouted(routed({ code: 'OVERLOADED', status: 429, decision: 'reject' }))
    r.onRouted(routed({ code: 'TIMEOUT', status: 504 }))
    r.onRouted(routed({ hops: 1, path: ['B', 'A'] })) // entered at B: B records it
    const [second] = r.secondsSince()
    expect(second!.t).toBe(1000)
    expect(second!.functions.get('f')).toMatchObject({ arrivals: 4, local: 1, forwarded: 1, rejected: 1, errors: 1 })
    expect(r.callsSince().map(c => c.outcome)).toEqual(['local', 'forwarded', 'rejected', 'error'])
    expect(r.callsSince(2).map(c => c.seq)).toEqual([3, 4])
    now += 200_000
    expect(r.secondsSince()).toEqual([])
  })

  it('tells rejections from errors', () => {
    expect(outcomeOf({ code: 'HOP_LIMIT', decision: 'forward' }, 'A')).toBe('rejected')
    expect(outcomeOf({ code: 'FUNCTION_CRASHED', decision: 'local' }, 'A')).toBe('error')
    expect(outcomeOf({ decision: 'forward', executor: 'B' }, 'A')).toBe('forwarded')
  })
})

describe('the mesh-wide snapshot', () => {
  it('adds every node\'s counts, merges links once, and lights the edges calls crossed', () => {
    const at = 2_000_500
    const t = Math.floor(at / 1000)
    const second = (n: number, latency: number): NodeReport['seconds'] => new Map([[t, [{ name: 'f', arrivals: n, local: n - 1, forwarded: 1, rejected: 0, errors: 0, latency: toSparse(Object.assign(new Array(90).fill(0), { [Math.round(Math.log(latency / 0.1) / Math.log(1.2))]: n })) }]]])
    const call = (path: string[], ago: number) => ({ seq: 1, callId: path.join(), function: 'f', at: at - ago, outcome: 'forwarded' as const, status: 200, path, totalMs: 5, hops: [] })
    const reports = new Map<string, NodeReport>([
      ['A', { neighbours: ['B', 'C'], seconds: second(3, 10), calls: [call(['A', 'B'], 100)] }],
      ['B', { neighbours: ['A'], seconds: second(5, 10), calls: [call(['B', 'A'], 10_000)] }]
    ])
    const load = { functions: [], totals: { running: 0, queued: 0, capacity: 1 } }
    const snap = buildSnapshot({
      self: 'A', at, policy: 'p', reports, seriesSeconds: 10, functionWindowSeconds: 60, handoffWindowMs: 3000, maxTraces: 10,
      nodes: [{ peerId: 'A', self: true, addrs: [], state: 'up', load, functions: ['f'] }, { peerId: 'B', self: false, addrs: [], state: 'up', load, functions: ['f'] }, { peerId: 'C', self: false, addrs: [], state: 'gone', load, functions: ['f'] }]
    })
    expect(snap.edges).toEqual([{ a: 'A', b: 'B' }, { a: 'A', b: 'C' }])
    expect(snap.series).toHaveLength(10)
    expect(snap.series.at(-1)).toMatchObject({ t, arrivals: 8, forwarded: 2 })
    expect(snap.series.at(-1)!.p50Ms! / 10).toBeCloseTo(1, 0)
    expect(snap.functions).toEqual([expect.objectContaining({ name: 'f', nodes: ['A', 'B'], ratePerS: 8 / 60 })])
    expect(snap.handoffs).toEqual([{ from: 'A', to: 'B', count: 1 }])
    expect(snap.traces.map(c => c.callId)).toEqual(['A,B', 'B,A'])
  })
})
