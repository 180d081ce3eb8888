import { parseServiceTime, parseSpeed } from '../functions/settings.js'
import { LABELS, type FunctionSpec } from '../functions/types.js'
import { RuntimeError, type Runtime, type RuntimeRequest, type RuntimeResponse } from './types.js'

export interface EmulatedRuntimeInit {
  /** Uniform in [0, 1); seed it for repeatable experiments. */
  rng?: () => number
}

interface ServiceTime { kind: 'exp' | 'fixed', meanMs: number, speed: number }

/**
 * A function that holds its slot for a service time drawn from a distribution and answers, with no
 * container and no process: the queueing model of the papers (M/M/k) run for real through the
 * executor and the mesh, so many nodes fit on one machine. Never the default: selected per function
 * with the label p2pfaas.runtime=emulated.
 */
export class EmulatedRuntime implements Runtime {
  readonly name = 'emulated'
  private readonly times = new Map<string, ServiceTime>()
  private readonly rng: () => number

  constructor (init: EmulatedRuntimeInit = {}) {
    this.rng = init.rng ?? Math.random
  }

  async start (): Promise<void> {}
  async stop (): Promise<void> { this.times.clear() }

  async deploy (spec: FunctionSpec): Promise<void> {
    const raw = spec.labels[LABELS.serviceTime] ?? 'exp:100ms'
    const parsed = parseServiceTime(raw)
    if (!parsed.ok) throw new RuntimeError('DEPLOY_FAILED', `${LABELS.serviceTime}: ${parsed.message}`)
    const speed = parseSpeed(spec.labels[LABELS.speed] ?? '1')
    if (!speed.ok) throw new RuntimeError('DEPLOY_FAILED', `${LABELS.speed}: ${speed.message}`)
    this.times.set(spec.name, { ...parsed.value, speed: speed.value })
  }

  async remove (name: string): Promise<void> { this.times.delete(name) }

  instances (name: string): { total: number, ready: number } {
    return this.times.has(name) ? { total: 1, ready: 1 } : { total: 0, ready: 0 }
  }

  /**
   * Draws a service time; `?ms=N` on the call fixes it (tests, and `p2pfaas experiment`, which draws
   * each call's work itself so every policy sees the same work). Either is divided by the node's
   * p2pfaas.speed: `ms` is the work at nominal speed, wherever the call ends up running.
   */
  async invoke (name: string, req: RuntimeRequest): Promise<RuntimeResponse> {
    const time = this.times.get(name)
    if (time == null) throw new RuntimeError('FUNCTION_NOT_FOUND', `function ${name} is not deployed on this node`)
    const fixed = /(?:^|&)ms=(\d{1,7}(?:\.\d{1,6})?)(?:&|$)/.exec(req.query)
    const work = fixed != null ? Number(fixed[1]) : time.kind === 'fixed' ? time.meanMs : -time.meanMs * Math.log(1 - this.rng())
    const ms = work / time.speed
    await new Promise<void>((resolve, reject) => {
      if (req.signal.aborted) { reject(req.signal.reason); return }
      const timer = setTimeout(() => { req.signal.removeEventListener('abort', onAbort); resolve() }, ms)
      const onAbort = (): void => { clearTimeout(timer); reject(req.signal.reason) }
      req.signal.addEventListener('abort', onAbort, { once: true })
    })
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ emulatedMs: Math.round(ms * 1000) / 1000 })) }
  }
}
