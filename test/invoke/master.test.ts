import { pino } from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { CallError } from '../../src/executor/errors.js'
import { createInvokeClient } from '../../src/invoke/client.js'
import { InvokeService, type RoutedEvent } from '../../src/invoke/service.js'
import { createRoundRobinMaster } from '../../src/scheduler/round-robin-master.js'
import { seededRng } from '../../src/scheduler/seeded.js'
import type { Call } from '../../src/invoke/call.js'
import type { Executor } from '../../src/executor/executor.js'
import type { MeshView, PeerState } from '../../src/mesh/view.js'
import type { Policy } from '../../src/scheduler/types.js'
import type { Libp2p } from '@libp2p/interface'

/**
 * round-robin-master in the invoke service, with a fake executor, a fake mesh view and a libp2p
 * that reaches no one: which members are offered as candidates (every holder, load known or not),
 * and that a node whose master cannot be reached refuses the call instead of running it itself.
 */

const FN = 'echo'
const SELF = '12D3KooWALCRPo7rcA5TtfcBPjnhFqTrU1iDWDQnnFzYGnAoAaUt'
const MASTER = '12D3KooWBHjCGCqp1z99Fjb9fzHY9nWdBzyzhxVYBhXWe13VwvxJ'
const OTHER = '12D3KooWHAe28B8avaq9GUwRQBmmWzDpuW3U49b62oGcm4gaAVfT'

/** A member with the function deployed; its load unknown (never reported) unless `running` is given. */
function member (peerId: string, running?: number): PeerState {
  const load = { name: FN, running: running ?? 0, queued: 0, capacity: 4 }
  return {
    peerId, addrs: [], connected: false, link: false, functions: [FN], lastSeen: 0, incarnation: 1n,
    ...(running === undefined ? {} : { loadAt: performance.now() }),
    load: { functions: [load], totals: { running: load.running, queued: 0, capacity: 4 } }
  }
}

function build (policy: Policy, peers: PeerState[], self = SELF): { service: InvokeService, ran: string[], dialled: string[], routed: RoutedEvent[] } {
  const ran: string[] = []
  const dialled: string[] = []
  const executor = {
    loadOf: (name: string) => name === FN ? { running: 0, queued: 0, capacity: 4, queueCapacity: 4 } : undefined,
    typeLoad: () => [],
    call: async () => {
      ran.push('here')
      return { response: { status: 200, headers: {}, body: new Uint8Array() }, queueMs: 0, execMs: 1 }
    }
  } as unknown as Executor
  const view = { all: () => [...peers], functionLoad: (id: string, fn: string) => peers.find(p => p.peerId === id)?.load.functions.find(f => f.name === fn), noteFunctionLoad: () => {} } as unknown as MeshView
  const libp2p = {
    peerId: { toString: () => self },
    getConnections: () => [],
    dialProtocol: async (peer: { toString: () => string }) => {
      dialled.push(peer.toString())
      throw new Error('no route to the peer')
    }
  } as unknown as Libp2p
  const service = new InvokeService({ maxBodyBytes: 1024 }, { self, client: createInvokeClient({ libp2p }), executor, view, policy: () => policy, rng: seededRng(1), log: pino({ level: 'silent' }) })
  const routed: RoutedEvent[] = []
  service.addEventListener('call:routed', e => { routed.push(e.detail) })
  return { service, ran, dialled, routed }
}

const call = (): Call => ({
  callId: 'c1', function: FN, method: 'POST', path: '/', query: '', headers: {}, body: new Uint8Array(),
  hops: 0, visited: [], deadline: performance.now() + 5000, idempotent: false, bypass: false, forceForward: false
})

describe('round-robin-master in the invoke service', () => {
  it('offers the master as a candidate though its load was never reported, and refuses the call when it cannot be reached', async () => {
    const { service, ran, dialled, routed } = build(createRoundRobinMaster({ master: MASTER }), [member(MASTER), member(OTHER, 0)])
    const accepted = vi.fn()
    const err = await service.route(call(), accepted).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CallError)
    expect(err).toMatchObject({ code: 'OVERLOADED', status: 429 })
    expect((err as Error).message).toMatch(/refused the call and round-robin-master does not run it here instead \(every call goes through the master; the last refusal: UNREACHABLE/)
    // Only the master was tried (not OTHER, whose load is known and idle), and nothing ran here.
    expect(dialled).toEqual([MASTER])
    expect(ran).toEqual([])
    expect(accepted).not.toHaveBeenCalled()
    expect(routed).toHaveLength(1)
  })

  it('refuses at once, saying so, when the master is not a member with the function', async () => {
    const { service, ran, dialled } = build(createRoundRobinMaster({ master: MASTER }), [member(OTHER, 0)])
    const err = await service.route(call()).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'OVERLOADED' })
    expect((err as Error).message).toBe(`the call to ${FN} is refused here: the master ${MASTER} is out of reach (not a member with ${FN} deployed, or refusing calls)`)
    expect(dialled).toEqual([])
    expect(ran).toEqual([])
    // With no other member at all, the same: the policy is asked even with no candidate.
    const alone = build(createRoundRobinMaster({ master: MASTER }), [])
    await expect(alone.service.route(call())).rejects.toMatchObject({ code: 'OVERLOADED' })
    expect(alone.ran).toEqual([])
  })

  it('on the master, cycles over itself and holders whose load it has never heard', async () => {
    const { service, ran, dialled } = build(createRoundRobinMaster({ master: MASTER }), [member(SELF), member(OTHER)], MASTER)
    // The cycle, in PeerId order: SELF (A…), the master (B…), OTHER (H…). Unreachable peers refuse,
    // and a call every chosen peer refused runs on the master after all, as with any policy.
    for (let i = 0; i < 3; i++) await service.route(call())
    expect(dialled).toEqual([SELF, OTHER, OTHER, SELF])
    expect(ran).toEqual(['here', 'here', 'here'])
  })
})
