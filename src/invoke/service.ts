import { deadlineSignal, sleep } from '../abort.js'
import { TypedEventEmitter } from 'main-event'
import { CallError } from '../executor/errors.js'
import { afterProbe, decideTraced, waitBeforeDeciding } from '../scheduler/rules.js'
import { shuffled } from '../scheduler/sampling.js'
import { RefusalBackoff } from './backoff.js'
import { DEFAULT_CALL_TIMEOUT_MS } from './constants.js'
import { TracedCallError } from './errors.js'
import { observedCall, type Chosen, type RoutedEvent } from './outcome.js'
import { taskOfCall, type CallTask } from './task.js'
import type { Call, CallOutcome, TraceEntry } from './call.js'
import type { InvokeTransport } from './client.js'
import type { Executor } from '../executor/executor.js'
import type { Logger } from '../log.js'
import type { MeshView } from '../mesh/view.js'
import type { TaskLabels } from '../functions/settings.js'
import type { Candidate, Decision, LocalLoad, Policy, Rng, SchedulingRequest } from '../scheduler/types.js'

export interface InvokeServiceInit {
  maxBodyBytes: number
  /** A probe that takes longer counts as failed (ms). */
  probeTimeoutMs?: number
  /** Peers tried for one call before it runs here or is refused. */
  maxAttempts?: number
}

export interface InvokeServiceComponents {
  /** This node's PeerId. */
  self: string
  /** Hands calls to peers and probes them (an InvokeClient; a fake in unit tests). */
  client: InvokeTransport
  executor: Pick<Executor, 'call' | 'loadOf' | 'admission' | 'typeLoad'>
  /** What the service reads of the mesh, and the load it learns from peers' answers. */
  view: Pick<MeshView, 'all' | 'functionLoad' | 'noteFunctionLoad'>
  /** The policy in force; read at every decision, so it can change at run time. */
  policy: () => Policy
  rng: Rng
  log: Logger
  /** Waits for a policy that decides later (PowerOfNSchedulerTau); rejects when the signal aborts. Default: a timer. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  /** The task type and deadline a function's labels give (p2pfaas.task-type, p2pfaas.deadline); none when absent. */
  taskLabels?: (fn: string) => TaskLabels | undefined
  /**
   * Members that have `fn` deployed but cannot be reached now (dead, hung, cut off: the table keeps
   * them a while) and did not say they were leaving. With none reachable, a call is answered
   * FUNCTION_UNREACHABLE (503, worth retrying) rather than FUNCTION_NOT_FOUND. Default: none.
   */
  unreachableHolders?: (fn: string) => string[]
}

export type { RoutedEvent }

export interface InvokeServiceEvents {
  /** A call found somewhere to run (here or a peer) and is about to start there. */
  'call:started': CustomEvent<{ call: Call, decision: 'local' | 'forward' }>
  'call:routed': CustomEvent<RoutedEvent>
}

/**
 * Where a call runs: asks the policy, probes when it wants to, runs the call here or hands it to a
 * peer, falls back to the next peer (or here) when one refuses before accepting, and never runs an
 * accepted call twice unless it is marked idempotent. Both entries use it: the HTTP gateway at
 * hop 0, and the invoke protocol handler for calls handed over by peers.
 */
export class InvokeService extends TypedEventEmitter<InvokeServiceEvents> {
  readonly backoff = new RefusalBackoff()
  private readonly probeTimeoutMs: number
  private readonly maxAttempts: number
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>

  constructor (private readonly init: InvokeServiceInit, private readonly c: InvokeServiceComponents) {
    super()
    this.probeTimeoutMs = init.probeTimeoutMs ?? 500
    this.maxAttempts = init.maxAttempts ?? 8
    this.sleep = c.sleep ?? sleep
  }

  get self (): string {
    return this.c.self
  }

  /**
   * When a call to `fn` entering at `from` must be answered by: the function's own timeout when it
   * is deployed here, the invoke default otherwise (it may run on a peer whose timeout is unknown).
   */
  deadlineFor (fn: string, from = performance.now()): number {
    return from + (this.c.executor.admission(fn)?.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS)
  }

  /**
   * `onAccepted` fires once, when this node or a peer has taken responsibility for the call.
   * `cancel` ends the call as its deadline would (the caller is gone: what runs is aborted, what
   * waits never starts).
   */
  async route (call: Call, onAccepted?: () => void, cancel?: AbortSignal): Promise<CallOutcome> {
    const started = performance.now()
    const remaining = call.deadline - started
    // Before anything is decided: no trace, and no call:routed (nothing was routed).
    if (remaining <= 0) throw new CallError('TIMEOUT', 'the call arrived with no time left')
    const deadline = new AbortController()
    const timer = setTimeout(() => { deadline.abort(new DOMException('deadline passed', 'TimeoutError')) }, remaining)
    const onCancel = (): void => { deadline.abort(cancel?.reason) }
    if (cancel?.aborted === true) onCancel()
    else cancel?.addEventListener('abort', onCancel, { once: true })
    let probes = 0
    let chosen: Chosen | undefined
    const task = taskOfCall(call, this.c.taskLabels?.(call.function))
    try {
      const choice = await this.choose(call, task, started, deadline.signal)
      const { decision, probingMs, local } = choice
      probes = choice.probes
      chosen = choice.chosen
      const schedulingMs = performance.now() - started - probingMs
      const entry = (decisionName: TraceEntry['decision'], queueMs = 0, execMs = 0): TraceEntry =>
        ({ peer: this.self, decision: decisionName, schedulingMs, probingMs, queueMs, execMs, totalMs: performance.now() - started })

      if (decision.action === 'reject') {
        // The reason says why: no slot in loss mode, or (round-robin-master) no way to the master.
        throw new TracedCallError('OVERLOADED', `the call to ${call.function} is refused here: ${decision.reason}`, [entry('reject')])
      }
      this.safeDispatchEvent('call:started', { detail: { call, decision: decision.action } })
      if (decision.action === 'forward') {
        const refusal = { last: '' }
        const forwarded = await this.forward(call, decision.peers, deadline.signal, onAccepted, entry, refusal)
        if (forwarded != null) return this.routed(call, 'forward', forwarded, probes, chosen)
        if (decision.ifRefused === 'reject') {
          throw new TracedCallError('OVERLOADED', `the peers chosen for ${call.function} refused the call and ${chosen.policy.name} does not run it here instead (${decision.reason}; the last refusal: ${refusal.last})`, [entry('reject')])
        }
        if (local == null) throw new TracedCallError('OVERLOADED', `every peer with ${call.function} refused the call (the last: ${refusal.last})`, [entry('reject')])
        // Every peer refused before accepting: run it here after all (the executor queues or refuses).
      }
      const result = await this.c.executor.call(call.function, {
        method: call.method, path: call.path, query: call.query, headers: call.headers, body: call.body,
        signal: deadline.signal, onAdmitted: onAccepted, taskType: task.taskType
      })
      return this.routed(call, 'local', { response: result.response, trace: [entry('local', result.queueMs, result.execMs)] }, probes, chosen)
    } catch (err) {
      const callError = traced(err, () => [entryOf(this.self, 'local', performance.now() - started)])
      const detail: RoutedEvent = { call, decision: callError.trace[0]!.decision, status: callError.status, code: callError.code, trace: callError.trace, probes }
      this.safeDispatchEvent('call:routed', { detail })
      if (chosen !== undefined) this.observe(chosen, detail)
      throw callError
    } finally {
      clearTimeout(timer)
      cancel?.removeEventListener('abort', onCancel)
    }
  }

  /**
   * Asks the policy (probing peers when it wants to) where the call should run; `local` is this
   * node's load as the decision read it (undefined: the function is not deployed here).
   */
  private async choose (call: Call, task: CallTask, arrived: number, signal: AbortSignal): Promise<{ decision: Decision, probingMs: number, probes: number, chosen: Chosen, local: LocalFunctionLoad | undefined }> {
    let req = this.request(call, task)
    const policy = this.c.policy()
    let local = this.c.executor.loadOf(call.function)
    let candidates = this.candidates(call, policy)
    const waitMs = waitBeforeDeciding(policy, req, asLocalLoad(local), candidates)
    if (waitMs > 0) {
      await this.waitUntil(call, policy, arrived, waitMs, signal)
      // What the wait is for: the decision reads the node and its peers as they are now.
      local = this.c.executor.loadOf(call.function)
      candidates = this.candidates(call, policy)
      req = this.request(call, task)
    }
    const localLoad = asLocalLoad(local)
    let { decision, byPolicy } = decideTraced(policy, req, localLoad, candidates, this.c.rng)
    let probingMs = 0
    let probes = 0
    if (decision.action === 'probe') {
      const t = performance.now()
      probes = decision.peers.length
      const probed = await Promise.all(decision.peers.map(async peerId => {
        const deadline = deadlineSignal(this.probeTimeoutMs, signal)
        const load = await this.c.client.probeLoad({ peer: peerId, function: call.function, signal: deadline.signal }).finally(deadline.clear)
        if (load != null) this.c.view.noteFunctionLoad(peerId, call.function, load)
        return { peerId, load }
      }))
      probingMs = performance.now() - t
      decision = afterProbe(policy, req, localLoad, probed, this.c.rng)
    }
    if (decision.action === 'local' && local == null) {
      // Not deployed here: any member that has it beats a certain 404; those whose load is known
      // first, least loaded first, then the others in random order (a connection is made on demand).
      const known = [...candidates].sort((a, b) => loadOf(a) - loadOf(b)).map(p => p.peerId)
      const others = shuffled(this.holders(call).filter(id => !known.includes(id)), this.c.rng)
      if (known.length + others.length === 0) throw this.nowhere(call.function)
      decision = { action: 'forward', peers: [...known, ...others], reason: 'not deployed here' }
      byPolicy = false
    }
    // afterProbe never answers probe (the rules refuse it): this only tells the compiler.
    if (decision.action === 'probe') throw new Error(`scheduling policy ${policy.name} asked to probe again after probing`)
    return { decision, probingMs, probes, chosen: { policy, action: decision.action, byPolicy, task }, local }
  }

  /** Why a function deployed on no reachable member cannot run: nowhere at all, or only out of reach now. */
  private nowhere (fn: string): CallError {
    const away = this.c.unreachableHolders?.(fn) ?? []
    if (away.length === 0) return new CallError('FUNCTION_NOT_FOUND', `function ${fn} is not deployed on this node or any member of the mesh`)
    return new CallError('FUNCTION_UNREACHABLE', `function ${fn} is deployed only on ${away.length === 1 ? 'a member' : `${away.length} members`} this node cannot reach now (down, hung or cut off): ${away.slice(0, 3).join(', ')}${away.length > 3 ? ', ...' : ''}`)
  }

  /** The call as a policy sees it: built here only, with this node's load per task type as it is now. */
  private request (call: Call, task: CallTask): SchedulingRequest {
    return {
      function: call.function,
      self: this.self,
      hops: call.hops,
      path: call.visited,
      bypass: call.bypass,
      forceForward: call.forceForward,
      callId: call.callId,
      ...task,
      typeLoad: this.c.executor.typeLoad()
    }
  }

  /**
   * Waits until `waitMs` after the call's arrival. A call whose deadline comes first is answered
   * TIMEOUT at once, without waiting for a decision it could not act on; a deadline that passes
   * during the wait (the route's timer aborts `signal`) answers TIMEOUT too. Either way, one answer.
   */
  private async waitUntil (call: Call, policy: Policy, arrived: number, waitMs: number, signal: AbortSignal): Promise<void> {
    const timeout = (message: string): TracedCallError => {
      const ms = performance.now() - arrived
      return new TracedCallError('TIMEOUT', message, [{ ...entryOf(this.self, 'reject', ms), schedulingMs: ms }])
    }
    if (arrived + waitMs >= call.deadline) {
      throw timeout(`${policy.label} decides ${Math.round(waitMs)} ms after a call arrives, and this call's deadline is ${Math.round(call.deadline - arrived)} ms after it arrived`)
    }
    try {
      await this.sleep(arrived + waitMs - performance.now(), signal)
    } catch {
      throw timeout(`the deadline passed while ${policy.label} waited to decide`)
    }
  }

  /** Tries peers in order; undefined when all refused before accepting (the call may still run here). */
  private async forward (call: Call, peers: string[], signal: AbortSignal, onAccepted: (() => void) | undefined,
    entry: (d: TraceEntry['decision']) => TraceEntry, refusal: { last: string }): Promise<CallOutcome | undefined> {
    for (const peer of peers.slice(0, this.maxAttempts)) {
      if (signal.aborted) throw new CallError('TIMEOUT', `no peer answered for ${call.function} before the deadline`)
      // A refusal only counts against a peer that said it had room: trying a full-looking one was our gamble.
      const lookedFree = this.hasRoom(peer, call.function)
      // Count the call against the peer at once: decisions made before its next gossip see it.
      this.bumpView(peer, call.function)
      const accepted = onAccepted
      const result = await this.c.client.handOff({
        peer,
        call,
        maxBodyBytes: this.init.maxBodyBytes,
        signal,
        onAccepted: load => {
          if (load != null) this.c.view.noteFunctionLoad(peer, call.function, load)
          accepted?.()
        }
      })
      if (result.outcome === 'refused') {
        if (result.load != null) this.c.view.noteFunctionLoad(peer, call.function, result.load)
        if (lookedFree) this.backoff.refused(peer)
        this.c.log.debug({ peer, code: result.code, callId: call.callId }, 'peer refused a call')
        refusal.last = `${result.code}, ${result.message}`.slice(0, 200)
        continue
      }
      if (result.outcome === 'lost') {
        if (call.idempotent) { onAccepted = undefined; continue }
        throw new TracedCallError('PEER_LOST', `the peer running ${call.function} went away (${result.message}); it may have run`, [entry('forward')])
      }
      this.backoff.accepted(peer)
      if (result.load != null) this.c.view.noteFunctionLoad(peer, call.function, result.load)
      const trace = [entry('forward'), ...result.trace]
      if (result.errorCode != null) {
        const code = result.errorCode as CallError['code']
        throw new TracedCallError(code, result.errorMessage ?? code, trace)
      }
      return { response: result.response, trace }
    }
    return undefined
  }

  private hasRoom (peer: string, fn: string): boolean {
    const f = this.c.view.functionLoad(peer, fn)
    return f != null && f.running < f.capacity
  }

  private bumpView (peer: string, fn: string): void {
    const f = this.c.view.functionLoad(peer, fn)
    if (f != null) this.c.view.noteFunctionLoad(peer, fn, { queued: f.running >= f.capacity ? f.queued + 1 : f.queued, running: Math.min(f.capacity, f.running + 1), capacity: f.capacity })
  }

  /**
   * Members whose load for the function this node knows (its overlay neighbours, and peers that
   * answered a call lately): what a policy chooses from. A policy `offered` 'all-holders' also gets
   * the other members with the function deployed, shown with no slot. A member whose load is
   * unknown is never read as idle.
   */
  private candidates (call: Call, policy: Policy): Candidate[] {
    const out: Candidate[] = []
    const now = performance.now()
    const allHolders = policy.offered === 'all-holders'
    for (const p of this.c.view.all()) {
      if (!this.usable(p.peerId, call)) continue
      const f = p.load.functions.find(fn => fn.name === call.function)
      if (p.loadAt != null && f != null) {
        out.push({ peerId: p.peerId, running: f.running, queued: f.queued, capacity: f.capacity, ageMs: now - p.loadAt })
      } else if (allHolders && p.functions.includes(call.function)) {
        out.push({ peerId: p.peerId, running: 0, queued: 0, capacity: 0, ageMs: Number.POSITIVE_INFINITY })
      }
    }
    return out
  }

  /** Every member that has the function deployed, whatever is known of its load. */
  private holders (call: Call): string[] {
    return this.c.view.all().filter(p => p.functions.includes(call.function) && this.usable(p.peerId, call)).map(p => p.peerId)
  }

  private usable (peer: string, call: Call): boolean {
    return peer !== this.self && !call.visited.includes(peer) && !this.backoff.isBackingOff(peer)
  }

  private routed (call: Call, decision: Decision['action'], outcome: CallOutcome, probes: number, chosen: Chosen): CallOutcome {
    const last = outcome.trace[outcome.trace.length - 1]
    const detail: RoutedEvent = { call, decision, executor: last?.peer, status: outcome.response.status, trace: outcome.trace, probes }
    this.safeDispatchEvent('call:routed', { detail })
    this.observe(chosen, detail)
    return outcome
  }

  /**
   * Tells the policy that decided how the call ended. Built only for a policy that listens, and
   * never thrown into the call path: its answer is already decided. (Plugins are guarded already;
   * this catch is for any other policy.)
   */
  private observe (chosen: Chosen, routed: RoutedEvent): void {
    if (chosen.policy.observe === undefined) return
    try {
      chosen.policy.observe(observedCall(this.self, routed, chosen))
    } catch (err) {
      this.c.log.debug({ policy: chosen.policy.name, err: (err as Error)?.message }, 'a scheduling policy\'s observe() threw; ignored')
    }
  }
}

type LocalFunctionLoad = NonNullable<ReturnType<Executor['loadOf']>>

/** A function not deployed here has no slot: never read as room to run it. */
const asLocalLoad = (local: LocalFunctionLoad | undefined): LocalLoad => local ?? { running: 0, queued: 0, capacity: 0, queueCapacity: 0 }

const loadOf = (c: Candidate): number => (c.running + c.queued) / Math.max(1, c.capacity)

/** This node's entry in a call's trace when nothing but the time spent is known. */
const entryOf = (peer: string, decision: TraceEntry['decision'], totalMs: number): TraceEntry =>
  ({ peer, decision, schedulingMs: 0, probingMs: 0, queueMs: 0, execMs: 0, totalMs })

/** Any failure as the invoke service answers it: a CallError with a trace (`fallback` when it has none). */
function traced (err: unknown, fallback: () => TraceEntry[]): TracedCallError {
  if (err instanceof TracedCallError) return err
  if (err instanceof CallError) return TracedCallError.wrap(err, fallback())
  return new TracedCallError('FUNCTION_CRASHED', (err as Error)?.message ?? String(err), fallback(), { cause: err })
}
