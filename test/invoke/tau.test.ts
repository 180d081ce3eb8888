import { pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CallError } from '../../src/executor/errors.js'
import { TracedCallError } from '../../src/invoke/errors.js'
import { createInvokeClient } from '../../src/invoke/client.js'
import { InvokeService, type RoutedEvent } from '../../src/invoke/service.js'
import { seededRng } from '../../src/scheduler/seeded.js'
import { createThreshold } from '../../src/scheduler/threshold.js'
import type { Call } from '../../src/invoke/call.js'
import type { Executor } from '../../src/executor/executor.js'
import type { MeshView, PeerState } from '../../src/mesh/view.js'
import type { Policy } from '../../src/scheduler/types.js'
import type { Libp2p } from '@libp2p/interface'

/**
 * PowerOfNSchedulerTau's wait, in the invoke service alone: a fake executor, a fake mesh view and no
 * network (every test ends with the call run here), so what is checked is when the decision is made
 * and from what load.
 */

const TAU = 100
const FN = 'echo'

interface Fakes {
  service: InvokeService
  /** What happened, in order: 'loadOf', 'sleep <ms>', 'run'. */
  log: string[]
  load: { running: number, queued: number, capacity: number, queueCapacity: number }
  peers: PeerState[]
  routed: RoutedEvent[]
  ranAt: number[]
}

function peer (peerId: string, running: number): PeerState {
  return {
    peerId, addrs: [], connected: true, link: true, functions: [FN], lastSeen: 0, incarnation: 1n, loadAt: performance.now(),
    load: { functions: [{ name: FN, running, queued: 0, capacity: 4 }], totals: { running, queued: 0, capacity: 4 } }
  }
}

function build (policy: Policy, sleep?: (ms: number, signal: AbortSignal) => Promise<void>): Fakes {
  const log: string[] = []
  const ranAt: number[] = []
  const load = { running: 4, queued: 0, capacity: 4, queueCapacity: 4 }
  const peers: PeerState[] = [peer('PEER', 0)]
  const executor = {
    loadOf: (name: string) => { log.push('loadOf'); return name === FN ? { ...load } : undefined },
    typeLoad: () => [],
    call: async (_name: string, opts: { onAdmitted?: () => void }) => {
      log.push('run')
      ranAt.push(performance.now())
      opts.onAdmitted?.()
      return { response: { status: 200, headers: {}, body: new Uint8Array() }, queueMs: 0, execMs: 1 }
    }
  } as unknown as Executor
  const view = {
    all: () => [...peers],
    functionLoad: (id: string, fn: string) => peers.find(p => p.peerId === id)?.load.functions.find(f => f.name === fn),
    noteFunctionLoad: () => {}
  } as unknown as MeshView
  const libp2p = { peerId: { toString: () => 'SELF' } } as unknown as Libp2p
  const service = new InvokeService({ maxBodyBytes: 1024 }, {
    self: 'SELF', client: createInvokeClient({ libp2p }), executor, view, policy: () => policy, rng: seededRng(1), log: pino({ level: 'silent' }),
    ...(sleep === undefined ? {} : { sleep })
  })
  const routed: RoutedEvent[] = []
  service.addEventListener('call:routed', e => { routed.push(e.detail) })
  return { service, log, load, peers, routed, ranAt }
}

function call (timeoutMs: number): Call {
  return {
    callId: 'c1', function: FN, method: 'POST', path: '/', query: '', headers: {}, body: new Uint8Array(),
    hops: 0, visited: [], deadline: performance.now() + timeoutMs, idempotent: false, bypass: false, forceForward: false
  }
}

const tau = (): Policy => createThreshold({ F: 1, T: 2, loss: false, maxHops: 1, tauMs: TAU })

afterEach(() => { vi.useRealTimers() })

describe('PowerOfNSchedulerTau: the invoke service waits tau before deciding', () => {
  it('waits until tau after arrival, then decides from the load read after the wait', async () => {
    const waits: number[] = []
    const f: Fakes = build(tau(), async ms => {
      waits.push(ms)
      f.log.push('sleep')
      // A slot frees during the wait: below T now, so the call runs here without a probe.
      f.load.running = 1
    })
    const accepted = vi.fn()
    const outcome = await f.service.route(call(5000), accepted)
    expect(outcome.response.status).toBe(200)
    expect(waits).toHaveLength(1)
    expect(waits[0]).toBeGreaterThan(TAU - 50)
    expect(waits[0]).toBeLessThanOrEqual(TAU)
    // The load is read at arrival (to know the threshold is reached), then again after the wait.
    expect(f.log).toEqual(['loadOf', 'sleep', 'loadOf', 'run'])
    expect(accepted).toHaveBeenCalledTimes(1)
    expect(f.routed).toHaveLength(1)
    expect(f.routed[0]).toMatchObject({ decision: 'local', status: 200 })
  })

  it('with fake timers: nothing is decided before tau has passed, the call runs right after', async () => {
    vi.useFakeTimers()
    const f = build(tau())
    const start = performance.now()
    const pending = f.service.route(call(5000))
    await vi.advanceTimersByTimeAsync(TAU - 1)
    expect(f.log).toEqual(['loadOf'])
    // The candidate went away during the wait: the rules run the call here, decided now.
    f.peers.length = 0
    await vi.advanceTimersByTimeAsync(1)
    await pending
    expect(f.log).toEqual(['loadOf', 'loadOf', 'run'])
    expect(f.ranAt[0]! - start).toBeGreaterThanOrEqual(TAU)
  })

  it('does not wait below the threshold: the original waited only when it would balance', async () => {
    const sleep = vi.fn(async () => {})
    const f = build(tau(), sleep)
    f.load.running = 1
    await f.service.route(call(5000))
    expect(sleep).not.toHaveBeenCalled()
    expect(f.log).toEqual(['loadOf', 'run'])
  })

  it('does not wait when a shared rule decides: bypass, hop limit, no candidate', async () => {
    const sleep = vi.fn(async () => {})
    const f = build(tau(), sleep)
    await f.service.route({ ...call(5000), bypass: true })
    await f.service.route({ ...call(5000), hops: 1, visited: ['OTHER'] })
    f.peers.length = 0
    await f.service.route(call(5000))
    expect(sleep).not.toHaveBeenCalled()
    expect(f.log.filter(x => x === 'run')).toHaveLength(3)
  })

  it('a deadline shorter than tau gets one TIMEOUT answer at once, and nothing runs', async () => {
    const sleep = vi.fn(async () => {})
    const f = build(tau(), sleep)
    const accepted = vi.fn()
    const err = await f.service.route(call(TAU / 2), accepted).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CallError)
    expect(err).toMatchObject({ code: 'TIMEOUT', status: 504 })
    expect((err as CallError).message).toMatch(/PowerOfNSchedulerTau\(1, 2, false, 1, 100ms\) decides 100 ms after a call arrives/)
    expect((err as TracedCallError).trace).toHaveLength(1)
    expect((err as TracedCallError).trace?.[0]).toMatchObject({ peer: 'SELF', decision: 'reject' })
    expect(sleep).not.toHaveBeenCalled()
    expect(f.log).not.toContain('run')
    expect(accepted).not.toHaveBeenCalled()
    expect(f.routed).toHaveLength(1)
    expect(f.routed[0]).toMatchObject({ decision: 'reject', code: 'TIMEOUT', status: 504 })
  })

  it('a deadline that passes during the wait gets one TIMEOUT answer, and nothing runs', async () => {
    vi.useFakeTimers()
    // The sleep never ends on its own: only the call's deadline (the route's own timer) ends it.
    const f = build(tau(), async (_ms, signal) => await new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
    }))
    const accepted = vi.fn()
    const pending = f.service.route(call(TAU + 50), accepted).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(TAU + 50)
    const err = await pending
    expect(err).toMatchObject({ code: 'TIMEOUT' })
    expect((err as CallError).message).toMatch(/deadline passed while .* waited to decide/)
    expect(f.log).not.toContain('run')
    expect(accepted).not.toHaveBeenCalled()
    expect(f.routed).toHaveLength(1)
  })
})
