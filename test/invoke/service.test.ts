import { pino } from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { CallError } from '../../src/executor/errors.js'
import { newCall, type Call, type TraceEntry } from '../../src/invoke/call.js'
import { DEFAULT_CALL_TIMEOUT_MS } from '../../src/invoke/constants.js'
import { TracedCallError } from '../../src/invoke/errors.js'
import { InvokeService, type InvokeServiceComponents, type RoutedEvent } from '../../src/invoke/service.js'
import { seededRng } from '../../src/scheduler/seeded.js'
import type { HandOffOptions, HandOffResult, InvokeTransport, ProbeOptions } from '../../src/invoke/client.js'
import type { PeerState } from '../../src/mesh/view.js'
import type { Candidate, Decision, Policy, ProbeResult } from '../../src/scheduler/types.js'

/**
 * InvokeService's routing alone. Fakes only at its edge: the executor (runs the call here), the
 * transport (hands it to a peer, probes a peer), the mesh view and the policy in force. What is
 * checked is where the call goes, what the caller gets back, and the trace that says so.
 */

const FN = 'echo'
const SELF = 'SELF'
const A = 'PEER-A'
const B = 'PEER-B'
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (u: Uint8Array): string => new TextDecoder().decode(u)

/** A neighbour with the function deployed and its load known. */
function member (peerId: string, running = 0): PeerState {
  return {
    peerId, addrs: [], connected: true, link: true, functions: [FN], lastSeen: 0, incarnation: 1n, loadAt: performance.now(),
    load: { functions: [{ name: FN, running, queued: 0, capacity: 4 }], totals: { running, queued: 0, capacity: 4 } }
  }
}

/** A policy that always answers `decision`, and remembers the candidates it was offered. */
function fixed (decision: Decision, offered: Candidate[][] = []): Policy {
  return { name: 'fixed', label: 'Fixed', maxHops: 2, parameters: {}, decide: (_req, _local, candidates) => { offered.push([...candidates]); return decision } }
}

/** A peer's answer to a call it ran: its own trace entry, the response. */
function answered (peer: string, body = `ran on ${peer}`): HandOffResult {
  return { outcome: 'answered', response: { status: 200, headers: {}, body: bytes(body) }, trace: [{ peer, decision: 'local', schedulingMs: 0, probingMs: 0, queueMs: 1, execMs: 2, totalMs: 3 }], load: { queued: 0, running: 1, capacity: 4 } }
}

interface Options {
  policy: Policy
  peers?: PeerState[]
  /** This node's load for FN; undefined: FN not deployed here. */
  local?: { running: number, queued: number, capacity: number, queueCapacity: number } | undefined
  /** What each peer answers a hand-off, in turn. */
  answers?: Record<string, HandOffResult[]>
  probe?: (o: ProbeOptions) => Promise<ProbeResult['load']>
  /** What running the call here does; default: answers 200 'ran here'. */
  run?: () => Promise<{ response: { status: number, headers: Record<string, string>, body: Uint8Array }, queueMs: number, execMs: number }>
  unreachableHolders?: (fn: string) => string[]
}

function build (o: Options): { service: InvokeService, ran: string[], handOffs: HandOffOptions[], routed: RoutedEvent[], noted: string[] } {
  const ran: string[] = []
  const handOffs: HandOffOptions[] = []
  const routed: RoutedEvent[] = []
  const noted: string[] = []
  const peers = o.peers ?? []
  const local = 'local' in o ? o.local : { running: 0, queued: 0, capacity: 4, queueCapacity: 4 }
  const executor: InvokeServiceComponents['executor'] = {
    loadOf: (name: string) => name === FN && local != null ? { ...local } : undefined,
    admission: (name: string) => name === FN && local != null ? { concurrency: 4, queue: 4, timeoutMs: 1234 } : undefined,
    typeLoad: () => [],
    call: async (name, req) => {
      ran.push(name)
      req.onAdmitted?.()
      req.onStarted?.()
      return await (o.run?.() ?? Promise.resolve({ response: { status: 200, headers: {}, body: bytes('ran here') }, queueMs: 5, execMs: 7 }))
    }
  }
  const client: InvokeTransport = {
    handOff: async (h) => {
      handOffs.push(h)
      const result = o.answers?.[h.peer]?.shift() ?? { outcome: 'refused', code: 'UNREACHABLE', message: 'no answer scripted' }
      if (result.outcome === 'answered') h.onAccepted?.(result.load)
      return result
    },
    probeLoad: async (p) => await (o.probe?.(p) ?? Promise.resolve(undefined))
  }
  const view: InvokeServiceComponents['view'] = {
    all: () => [...peers],
    functionLoad: (id, fn) => peers.find(p => p.peerId === id)?.load.functions.find(f => f.name === fn),
    noteFunctionLoad: (peer, fn, load) => { noted.push(`${peer} ${fn} ${load.running}/${load.capacity}`) }
  }
  const service = new InvokeService({ maxBodyBytes: 1024 }, { self: SELF, client, executor, view, policy: () => o.policy, rng: seededRng(1), log: pino({ level: 'silent' }), unreachableHolders: o.unreachableHolders })
  service.addEventListener('call:routed', e => { routed.push(e.detail) })
  return { service, ran, handOffs, routed, noted }
}

const call = (over: Partial<Call> = {}): Call => ({ ...newCall({ function: FN, deadline: performance.now() + 5000 }), ...over })
const peersOf = (trace: TraceEntry[]): string[] => trace.map(t => `${t.peer}:${t.decision}`)

describe('InvokeService routing', () => {
  it('runs a call here when the policy says so: the executor answers, the trace has this node alone', async () => {
    const f = build({ policy: fixed({ action: 'local', reason: 'test' }), peers: [member(A)] })
    const accepted = vi.fn()
    const outcome = await f.service.route(call(), accepted)
    expect(text(outcome.response.body)).toBe('ran here')
    expect(outcome.trace).toEqual([expect.objectContaining({ peer: SELF, decision: 'local', queueMs: 5, execMs: 7 })])
    expect(f.ran).toEqual([FN])
    expect(f.handOffs).toEqual([])
    expect(accepted).toHaveBeenCalledOnce()
    expect(f.routed).toMatchObject([{ decision: 'local', executor: SELF, status: 200 }])
  })

  it('hands a call off: the peer\'s answer and trace come back after this node\'s entry', async () => {
    const f = build({ policy: fixed({ action: 'forward', peers: [A], reason: 'test' }), peers: [member(A)], answers: { [A]: [answered(A)] } })
    const accepted = vi.fn()
    const c = call()
    const outcome = await f.service.route(c, accepted)
    expect(text(outcome.response.body)).toBe(`ran on ${A}`)
    expect(peersOf(outcome.trace)).toEqual([`${SELF}:forward`, `${A}:local`])
    expect(f.handOffs).toMatchObject([{ peer: A, call: c, maxBodyBytes: 1024 }])
    expect(f.handOffs[0]!.fromClient).toBeUndefined()
    expect(f.ran).toEqual([])
    expect(accepted).toHaveBeenCalledOnce()
    // Counted against A at once, then A's own report of its load.
    expect(f.noted).toEqual([`${A} ${FN} 1/4`, `${A} ${FN} 1/4`, `${A} ${FN} 1/4`])
    expect(f.routed).toMatchObject([{ decision: 'forward', executor: A, status: 200 }])
  })

  it('refuses a call when the policy rejects it: OVERLOADED, with this node\'s entry in the trace', async () => {
    const f = build({ policy: fixed({ action: 'reject', reason: 'full' }), peers: [member(A)] })
    const err = await f.service.route(call()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TracedCallError)
    expect(err).toBeInstanceOf(CallError)
    expect(err).toMatchObject({ code: 'OVERLOADED', status: 429, message: expect.stringMatching(/full/) })
    expect(peersOf((err as TracedCallError).trace)).toEqual([`${SELF}:reject`])
    expect(f.ran).toEqual([])
    expect(f.routed).toMatchObject([{ decision: 'reject', code: 'OVERLOADED', status: 429 }])
  })

  it('falls back to the next peer when one refuses before accepting', async () => {
    const refused: HandOffResult = { outcome: 'refused', code: 'OVERLOADED', message: 'full', load: { queued: 4, running: 4, capacity: 4 } }
    const f = build({ policy: fixed({ action: 'forward', peers: [A, B], reason: 'test' }), peers: [member(A), member(B)], answers: { [A]: [refused], [B]: [answered(B)] } })
    const outcome = await f.service.route(call())
    expect(f.handOffs.map(h => h.peer)).toEqual([A, B])
    expect(peersOf(outcome.trace)).toEqual([`${SELF}:forward`, `${B}:local`])
    expect(f.noted).toContain(`${A} ${FN} 4/4`)
  })

  it('runs the call here when every chosen peer refuses, unless the policy says reject', async () => {
    const here = build({ policy: fixed({ action: 'forward', peers: [A], reason: 'test' }), peers: [member(A)] })
    const outcome = await here.service.route(call())
    expect(here.ran).toEqual([FN])
    expect(peersOf(outcome.trace)).toEqual([`${SELF}:local`])

    const strict = build({ policy: fixed({ action: 'forward', peers: [A], reason: 'test', ifRefused: 'reject' }), peers: [member(A)] })
    const err = await strict.service.route(call()).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'OVERLOADED', message: expect.stringMatching(/does not run it here instead .*UNREACHABLE/) })
    expect(peersOf((err as TracedCallError).trace)).toEqual([`${SELF}:reject`])
    expect(strict.ran).toEqual([])
  })

  it('answers PEER_LOST for a lost call that may have run, and tries the next peer only when it is idempotent', async () => {
    const lost: HandOffResult = { outcome: 'lost', message: 'stream reset' }
    const once = build({ policy: fixed({ action: 'forward', peers: [A, B], reason: 'test' }), peers: [member(A), member(B)], answers: { [A]: [lost], [B]: [answered(B)] } })
    const err = await once.service.route(call()).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'PEER_LOST', status: 502 })
    expect(peersOf((err as TracedCallError).trace)).toEqual([`${SELF}:forward`])
    expect(once.handOffs.map(h => h.peer)).toEqual([A])

    const again = build({ policy: fixed({ action: 'forward', peers: [A, B], reason: 'test' }), peers: [member(A), member(B)], answers: { [A]: [{ ...lost }], [B]: [answered(B)] } })
    const outcome = await again.service.route(call({ idempotent: true }))
    expect(again.handOffs.map(h => h.peer)).toEqual([A, B])
    expect(peersOf(outcome.trace)).toEqual([`${SELF}:forward`, `${B}:local`])
  })

  it('passes on a peer\'s error code with the whole trace', async () => {
    const failed: HandOffResult = { ...answered(A) as Extract<HandOffResult, { outcome: 'answered' }>, errorCode: 'TIMEOUT', errorMessage: 'too slow' }
    const f = build({ policy: fixed({ action: 'forward', peers: [A], reason: 'test' }), peers: [member(A)], answers: { [A]: [failed] } })
    const err = await f.service.route(call()).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'TIMEOUT', status: 504, message: 'too slow' })
    expect(peersOf((err as TracedCallError).trace)).toEqual([`${SELF}:forward`, `${A}:local`])
  })

  it('wraps the executor\'s error in its own, with the trace and the original as the cause', async () => {
    const original = new CallError('FUNCTION_CRASHED', 'exit 1')
    const f = build({ policy: fixed({ action: 'local', reason: 'test' }), run: async () => { throw original } })
    const err = await f.service.route(call()).catch((e: unknown) => e) as TracedCallError
    expect(err).toBeInstanceOf(TracedCallError)
    expect(err).toMatchObject({ code: 'FUNCTION_CRASHED', status: 502, message: 'exit 1', cause: original })
    expect(peersOf(err.trace)).toEqual([`${SELF}:local`])
    expect(f.routed).toMatchObject([{ code: 'FUNCTION_CRASHED', trace: err.trace }])
  })

  it('hands a call for a function not deployed here to a member that has it, whatever the policy said', async () => {
    const f = build({ policy: fixed({ action: 'local', reason: 'test' }), local: undefined, peers: [member(A)], answers: { [A]: [answered(A)] } })
    const outcome = await f.service.route(call())
    expect(f.ran).toEqual([])
    expect(peersOf(outcome.trace)).toEqual([`${SELF}:forward`, `${A}:local`])
    const none = build({ policy: fixed({ action: 'local', reason: 'test' }), local: undefined })
    expect(await none.service.route(call()).catch((e: unknown) => e)).toMatchObject({ code: 'FUNCTION_NOT_FOUND', status: 404 })
  })

  it('answers FUNCTION_UNREACHABLE (503) when only members out of reach have the function, and 404 when they have other functions only', async () => {
    const away = build({ policy: fixed({ action: 'local', reason: 'test' }), local: undefined, unreachableHolders: fn => fn === FN ? [A] : [] })
    const err = await away.service.route(call()).catch((e: unknown) => e) as TracedCallError
    expect(err).toMatchObject({ code: 'FUNCTION_UNREACHABLE', status: 503 })
    expect(err.message).toContain(A)
    expect(away.routed).toMatchObject([{ code: 'FUNCTION_UNREACHABLE', status: 503 }])
    const elsewhere = build({ policy: fixed({ action: 'local', reason: 'test' }), local: undefined, unreachableHolders: fn => fn === 'other' ? [A] : [] })
    expect(await elsewhere.service.route(call()).catch((e: unknown) => e)).toMatchObject({ code: 'FUNCTION_NOT_FOUND', status: 404 })
    // A reachable member with it comes first: the one out of reach changes nothing.
    const both = build({ policy: fixed({ action: 'local', reason: 'test' }), local: undefined, peers: [member(A)], answers: { [A]: [answered(A)] }, unreachableHolders: () => [B] })
    expect(peersOf((await both.service.route(call())).trace)).toEqual([`${SELF}:forward`, `${A}:local`])
  })

  it('probes the peers a policy asks about, then decides from their answers', async () => {
    const probed: string[] = []
    const policy: Policy = {
      ...fixed({ action: 'probe', peers: [A, B], reason: 'test' }),
      afterProbe: (_req, _local, results) => {
        const free = results.find(r => r.load != null && r.load.running < r.load.capacity)
        return free != null ? { action: 'forward', peers: [free.peerId], reason: 'free' } : { action: 'local', reason: 'none free' }
      }
    }
    const f = build({
      policy,
      peers: [member(A), member(B)],
      probe: async (p) => { probed.push(p.peer); return p.peer === B ? { running: 0, queued: 0, capacity: 4 } : { running: 4, queued: 0, capacity: 4 } },
      answers: { [B]: [answered(B)] }
    })
    const outcome = await f.service.route(call())
    expect(probed.sort()).toEqual([A, B])
    expect(f.handOffs.map(h => h.peer)).toEqual([B])
    expect(f.routed).toMatchObject([{ probes: 2 }])
    expect(outcome.trace[0]!.probingMs).toBeGreaterThanOrEqual(0)
  })

  it('leaves alone a peer that refused twice while it looked free', async () => {
    const offered: Candidate[][] = []
    const refused = (): HandOffResult => ({ outcome: 'refused', code: 'OVERLOADED', message: 'lying' })
    const f = build({ policy: fixed({ action: 'forward', peers: [A], reason: 'test' }, offered), peers: [member(A)], answers: { [A]: [refused(), refused()] } })
    await f.service.route(call())
    await f.service.route(call())
    expect(f.service.backoff.isBackingOff(A)).toBe(true)
    // A is no candidate now: the shared rule runs the call here without asking the policy.
    await f.service.route(call())
    expect(offered.map(c => c.map(x => x.peerId))).toEqual([[A], [A]])
    expect(f.handOffs).toHaveLength(2)
    expect(f.ran).toEqual([FN, FN, FN])
  })

  it('says by when a call must be answered: the function\'s timeout here, the invoke default otherwise', () => {
    const f = build({ policy: fixed({ action: 'local', reason: 'test' }) })
    expect(f.service.deadlineFor(FN, 1000)).toBe(1000 + 1234)
    expect(f.service.deadlineFor('elsewhere', 1000)).toBe(1000 + DEFAULT_CALL_TIMEOUT_MS)
  })
})
