import { lpStream } from '@libp2p/utils'
import { CallError } from '../executor/errors.js'
import { LoadProbe, LoadProbeAnswer, type PeerFunctionLoad } from '../wire/invoke.js'
import { INVOKE_PROTOCOL, PROBE_PROTOCOL, type Call } from './call.js'
import { decodeRequest, encodeFrame, FRAME_OVERHEAD_BYTES, FrameError, traceToWire } from './wire.js'
import { createRemoteWarn, type Logger } from '../log.js'
import type { InvokeService } from './service.js'
import type { Executor } from '../executor/executor.js'
import type { PeerLimiter } from '../mesh/peer-limiter.js'
import type { Connection, Libp2p, Stream } from '@libp2p/interface'

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
  libp2p: Libp2p
  service: InvokeService
  executor: Executor
  log: Logger
  /** Calls one peer may hand over; none: no limit. */
  invokeLimiter?: PeerLimiter
  /** Load probes one peer may send; none: no limit. */
  probeLimiter?: PeerLimiter
}

/**
 * The receiving end of /p2pfaas/invoke/1.0.0 and /p2pfaas/load/1.0.0. A bad frame gets a refusal
 * with BAD_REQUEST and a closed stream, never a crash; a peer over its rate gets THROTTLED before
 * its frame is read; every accepted call gets exactly one response frame.
 */
export function createInvokeHandlers (init: InvokeHandlersInit, c: InvokeHandlersComponents): { start(): Promise<void>, stop(): Promise<void> } {
  const maxStreams = init.maxStreams ?? 1024
  const readTimeoutMs = init.readTimeoutMs ?? 10_000
  const log = c.log.child({ component: 'invoke' })
  const warn = createRemoteWarn(log, { everyMs: init.warnEveryMs })
  const loadOf = (fn: string): PeerFunctionLoad | undefined => {
    const l = c.executor.loadOf(fn)
    return l == null ? undefined : { queued: l.queued, running: l.running, capacity: l.capacity }
  }

  const onInvoke = async (stream: Stream, connection: Connection): Promise<void> => {
    const lp = lpStream(stream, { maxDataLength: init.maxBodyBytes + FRAME_OVERHEAD_BYTES })
    const refuse = async (code: string, message: string): Promise<void> => {
      await lp.write(encodeFrame({ verdict: { accepted: false, code, message } })).catch(() => {})
      await stream.close().catch(() => stream.abort(new Error(message)))
    }
    const peer = connection.remotePeer.toString()
    if (c.invokeLimiter?.take(peer) === false) {
      const rate = c.invokeLimiter.rate()
      warn(peer, 'throttled invoke', { rate }, 'a peer sends more calls than --peer-invoke-rate: refusing them with THROTTLED')
      await refuse('THROTTLED', `this node takes at most ${rate} calls/s from one peer (--peer-invoke-rate); slow down`)
      return
    }
    let call: Call
    try {
      const bytes = await lp.read({ signal: AbortSignal.timeout(readTimeoutMs) })
      call = decodeRequest(bytes.subarray(), peer, init.maxBodyBytes)
    } catch (err: any) {
      const message = err instanceof FrameError ? err.message : `unreadable request: ${err.message ?? err}`
      log.debug({ peer, err: message }, 'bad invoke frame')
      await refuse('BAD_REQUEST', message)
      return
    }
    let verdictSent: Promise<void> | undefined
    const accept = (): void => {
      verdictSent ??= lp.write(encodeFrame({ verdict: { accepted: true, code: '', message: '', load: loadOf(call.function) } }))
    }
    try {
      const outcome = await c.service.route(call, accept)
      accept()
      await verdictSent
      const r = outcome.response
      await lp.write(encodeFrame({
        response: {
          status: r.status,
          headers: Object.entries(r.headers).map(([name, value]) => ({ name, value })),
          body: r.body as Uint8Array<ArrayBuffer>,
          trace: outcome.trace.map(traceToWire),
          errorCode: '',
          errorMessage: '',
          load: loadOf(call.function)
        }
      }))
    } catch (err: any) {
      const e = err instanceof CallError ? err : new CallError('FUNCTION_CRASHED', err?.message ?? String(err))
      try {
        if (verdictSent == null) {
          await lp.write(encodeFrame({ verdict: { accepted: false, code: e.code, message: e.message, load: loadOf(call.function) } }))
        } else {
          await verdictSent
          await lp.write(encodeFrame({ response: { status: e.status, headers: [], body: new Uint8Array(), trace: (e.trace ?? []).map(traceToWire), errorCode: e.code, errorMessage: e.message, load: loadOf(call.function) } }))
        }
      } catch {}
    } finally {
      await stream.close().catch(() => stream.abort(new Error('close failed')))
    }
  }

  const onProbe = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer.toString()
    if (c.probeLimiter?.take(peer) === false) {
      // A probe has no refusal to send: its prober counts a reset stream as a failed probe.
      warn(peer, 'throttled probe', { rate: c.probeLimiter.rate() }, 'a peer sends more load probes than --peer-invoke-rate: resetting them')
      stream.abort(new Error('THROTTLED'))
      return
    }
    const lp = lpStream(stream, { maxDataLength: 1024 })
    try {
      const probe = LoadProbe.decode((await lp.read({ signal: AbortSignal.timeout(readTimeoutMs) })).subarray())
      const load = loadOf(probe.function)
      await lp.write(LoadProbeAnswer.encode({ deployed: load != null, load }))
      await stream.close()
    } catch (err: any) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  return {
    async start () {
      await c.libp2p.handle(INVOKE_PROTOCOL, (stream, connection) => { void onInvoke(stream, connection) }, { maxInboundStreams: maxStreams, maxOutboundStreams: maxStreams })
      await c.libp2p.handle(PROBE_PROTOCOL, (stream, connection) => { void onProbe(stream, connection) }, { maxInboundStreams: maxStreams, maxOutboundStreams: maxStreams })
    },
    async stop () {
      await c.libp2p.unhandle(INVOKE_PROTOCOL)
      await c.libp2p.unhandle(PROBE_PROTOCOL)
    }
  }
}
