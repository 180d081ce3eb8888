import { lpStream } from '@libp2p/utils'
import { CallError } from '../executor/errors.js'
import { LoadProbe, LoadProbeAnswer, type PeerFunctionLoad } from '../wire/invoke.js'
import { FRAME_OVERHEAD_BYTES, INVOKE_PROTOCOL, MAX_CALL_STREAMS, MAX_PROBE_FRAME_BYTES, PROBE_PROTOCOL, READ_TIMEOUT_MS } from './constants.js'
import { traceOf } from './errors.js'
import { decodeRequest, encodeFrame, FrameError, traceToWire } from './wire.js'
import { createRemoteWarn, type Logger, type RemoteWarn } from '../log.js'
import type { Call, CallOutcome } from './call.js'
import type { InvokeService } from './service.js'
import type { Executor } from '../executor/executor.js'
import type { PeerLimiter } from '../mesh/peer-limiter.js'
import type { Connection, Libp2p, Startable, Stream } from '@libp2p/interface'

export interface InvokeHandlersInit {
  maxBodyBytes: number
  /** Calls in flight per connection: far above libp2p's defaults (32 in, 64 out), see the libp2p notes. */
  maxStreams?: number
  /** A peer must send its request frame within this (ms). */
  readTimeoutMs?: number
  /** A peer's repeated warning is logged at most once per this (ms). */
  warnEveryMs?: number
}

export interface InvokeHandlersComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle'>
  service: Pick<InvokeService, 'route'>
  executor: Pick<Executor, 'loadOf'>
  log: Logger
  /** Calls one peer may hand over; none: no limit. */
  invokeLimiter?: PeerLimiter
  /** Load probes one peer may send; none: no limit. */
  probeLimiter?: PeerLimiter
}

type Lp = ReturnType<typeof lpStream>

/**
 * The receiving end of /p2pfaas/invoke/1.0.0 and /p2pfaas/load/1.0.0. A bad frame gets a refusal
 * with BAD_REQUEST and a closed stream, never a crash; a peer over its rate gets THROTTLED before
 * its frame is read; every accepted call gets exactly one response frame.
 */
export class InvokeHandlers implements Startable {
  private readonly maxStreams: number
  private readonly readTimeoutMs: number
  private readonly log: Logger
  private readonly warn: RemoteWarn
  private started = false

  constructor (private readonly init: InvokeHandlersInit, private readonly c: InvokeHandlersComponents) {
    this.maxStreams = init.maxStreams ?? MAX_CALL_STREAMS
    this.readTimeoutMs = init.readTimeoutMs ?? READ_TIMEOUT_MS
    this.log = c.log.child({ component: 'invoke' })
    this.warn = createRemoteWarn(this.log, { everyMs: init.warnEveryMs })
  }

  async start (): Promise<void> {
    const limits = { maxInboundStreams: this.maxStreams, maxOutboundStreams: this.maxStreams }
    await this.c.libp2p.handle(INVOKE_PROTOCOL, (stream, connection) => { void this.onInvoke(stream, connection) }, limits)
    await this.c.libp2p.handle(PROBE_PROTOCOL, (stream, connection) => { void this.onProbe(stream, connection) }, limits)
    this.started = true
  }

  async stop (): Promise<void> {
    await this.c.libp2p.unhandle(INVOKE_PROTOCOL)
    await this.c.libp2p.unhandle(PROBE_PROTOCOL)
    this.started = false
  }

  isStarted (): boolean {
    return this.started
  }

  private loadOf (fn: string): PeerFunctionLoad | undefined {
    const l = this.c.executor.loadOf(fn)
    return l == null ? undefined : { queued: l.queued, running: l.running, capacity: l.capacity }
  }

  private async onInvoke (stream: Stream, connection: Connection): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: this.init.maxBodyBytes + FRAME_OVERHEAD_BYTES })
    const refuse = async (code: string, message: string): Promise<void> => {
      await lp.write(encodeFrame({ verdict: { accepted: false, code, message } })).catch(() => {})
      await stream.close().catch(() => stream.abort(new Error(message)))
    }
    const peer = connection.remotePeer.toString()
    if (this.c.invokeLimiter?.take(peer) === false) {
      const rate = this.c.invokeLimiter.rate()
      this.warn(peer, 'throttled invoke', { rate }, 'a peer sends more calls than --peer-invoke-rate: refusing them with THROTTLED')
      await refuse('THROTTLED', `this node takes at most ${rate} calls/s from one peer (--peer-invoke-rate); slow down`)
      return
    }
    let call: Call
    try {
      const bytes = await lp.read({ signal: AbortSignal.timeout(this.readTimeoutMs) })
      call = decodeRequest(bytes.subarray(), peer, this.init.maxBodyBytes)
    } catch (err: any) {
      const message = err instanceof FrameError ? err.message : `unreadable request: ${err.message ?? err}`
      this.log.debug({ peer, err: message }, 'bad invoke frame')
      await refuse('BAD_REQUEST', message)
      return
    }
    try {
      await this.run(call, lp)
    } finally {
      await stream.close().catch(() => stream.abort(new Error('close failed')))
    }
  }

  /** Routes an accepted frame's call: a verdict once this node or a peer takes it, then one response. */
  private async run (call: Call, lp: Lp): Promise<void> {
    let verdictSent: Promise<void> | undefined
    const callerGone = new AbortController()
    const accept = (): void => {
      if (verdictSent != null) return
      verdictSent = lp.write(encodeFrame({ verdict: { accepted: true, code: '', message: '', load: this.loadOf(call.function) } }))
      // A verdict that cannot be written means the caller is gone (its deadline, a dropped link). It
      // reads that as a refusal, nothing ran, and may try another peer: so the call must not run
      // here. Observed at once: left unobserved while the call ran, the rejection was unhandled and
      // took the whole node down (a starved node, answering seconds late, crashed so).
      verdictSent.catch((err: unknown) => { callerGone.abort(err) })
    }
    try {
      const outcome = await this.c.service.route(call, accept, callerGone.signal)
      accept()
      await verdictSent
      await lp.write(this.responseFrame(call, outcome))
    } catch (err: any) {
      const e = err instanceof CallError ? err : new CallError('FUNCTION_CRASHED', err?.message ?? String(err))
      try {
        if (verdictSent == null) {
          await lp.write(encodeFrame({ verdict: { accepted: false, code: e.code, message: e.message, load: this.loadOf(call.function) } }))
        } else {
          await verdictSent
          await lp.write(encodeFrame({ response: { status: e.status, headers: [], body: new Uint8Array(), trace: (traceOf(e) ?? []).map(traceToWire), errorCode: e.code, errorMessage: e.message, load: this.loadOf(call.function) } }))
        }
      } catch {}
    }
  }

  private responseFrame (call: Call, outcome: CallOutcome): Uint8Array {
    const r = outcome.response
    return encodeFrame({
      response: {
        status: r.status,
        headers: Object.entries(r.headers).map(([name, value]) => ({ name, value })),
        body: r.body as Uint8Array<ArrayBuffer>,
        trace: outcome.trace.map(traceToWire),
        errorCode: '',
        errorMessage: '',
        load: this.loadOf(call.function)
      }
    })
  }

  private async onProbe (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    if (this.c.probeLimiter?.take(peer) === false) {
      // A probe has no refusal to send: its prober counts a reset stream as a failed probe.
      this.warn(peer, 'throttled probe', { rate: this.c.probeLimiter.rate() }, 'a peer sends more load probes than --peer-invoke-rate: resetting them')
      stream.abort(new Error('THROTTLED'))
      return
    }
    const lp = lpStream(stream, { maxDataLength: MAX_PROBE_FRAME_BYTES })
    try {
      const probe = LoadProbe.decode((await lp.read({ signal: AbortSignal.timeout(this.readTimeoutMs) })).subarray())
      const load = this.loadOf(probe.function)
      await lp.write(LoadProbeAnswer.encode({ deployed: load != null, load }))
      await stream.close()
    } catch (err: any) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}

export const createInvokeHandlers = (init: InvokeHandlersInit, components: InvokeHandlersComponents): InvokeHandlers => new InvokeHandlers(init, components)
