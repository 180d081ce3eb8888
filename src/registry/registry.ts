import { TypedEventEmitter } from 'main-event'
import { RuntimeError, type Runtime, type Runtimes } from '../runtime/types.js'
import { runtimeNeeds } from '../functions/fields.js'
import { LABELS, type FunctionRuntimeKind, type FunctionSpec } from '../functions/types.js'
import type { Admission, Executor } from '../executor/executor.js'
import type { Logger } from '../log.js'

/** What the registry needs of persistence (src/functions/store.ts provides it). */
export interface SpecStore {
  load(): Promise<FunctionSpec[]>
  save(spec: FunctionSpec): Promise<void>
  remove(name: string): Promise<boolean>
}

/** Node-wide admission defaults, P2PFaaS's `/configuration`: used by functions that set no label of their own. */
export interface NodeDefaults {
  concurrency: number
  queue: number
}

export interface RegistryInit {
  store: SpecStore
  executor: Executor
  /** By the kind of function each runs; the registry knows none of them by name. */
  runtimes: Runtimes
  defaults: NodeDefaults
  log: Logger
}

export interface DeployedFunction {
  spec: FunctionSpec
  /** Where it runs: its spec's kind, or the kind it fell back to (see FALLBACKS). */
  kind: FunctionRuntimeKind
  /** The name of the runtime that runs it ('docker', 'process', 'emulated'), for people. */
  runtime: string
  admission: Admission
}

/**
 * What a kind of function may run as when this node has no runtime for it, and what to say: an
 * OpenFaaS function can carry its classic-watchdog command (`fprocess`) beside its image. The
 * fallback is taken only when the function meets the other kind's needs (runtimeNeeds). The words
 * name the Docker engine because that is what runs 'http' functions; the runtime itself comes from
 * the map like any other.
 */
const FALLBACKS: Partial<Record<FunctionRuntimeKind, { kind: FunctionRuntimeKind, warning: string, missing: string }>> = {
  http: {
    kind: 'process',
    warning: 'no Docker engine: running this function with the process runtime (its envProcess), without isolation',
    missing: `needs a container, and this node has no Docker engine; start one, or give the function an envProcess with the label ${LABELS.runtime}=process`
  }
}

export interface RegistryEvents {
  change: CustomEvent<void>
}

/**
 * The functions deployed on this node: it validates where each can run, prepares it in its runtime,
 * admits it in the executor and persists it, in that order, so a failed deploy leaves no trace.
 */
export class FunctionRegistry extends TypedEventEmitter<RegistryEvents> {
  private readonly deployed = new Map<string, DeployedFunction>()
  private defaults: NodeDefaults

  constructor (private readonly init: RegistryInit) {
    super()
    this.defaults = { ...init.defaults }
  }

  /** Brings back what was deployed before a restart; a function that cannot come back is logged, kept on disk. */
  async start (): Promise<void> {
    for (const spec of await this.init.store.load()) {
      try {
        await this.activate(spec)
      } catch (err: any) {
        this.init.log.error({ function: spec.name, err: err.message }, 'could not restore a deployed function')
      }
    }
    if (this.deployed.size > 0) this.init.log.info({ functions: [...this.deployed.keys()] }, 'functions restored')
  }

  async stop (): Promise<void> {
    for (const name of this.deployed.keys()) this.init.executor.unregister(name)
    this.deployed.clear()
  }

  list (): DeployedFunction[] {
    return [...this.deployed.values()]
  }

  get (name: string): DeployedFunction | undefined {
    return this.deployed.get(name)
  }

  async deploy (spec: FunctionSpec): Promise<DeployedFunction> {
    const fn = await this.activate(spec)
    await this.init.store.save(spec)
    return fn
  }

  async remove (name: string): Promise<boolean> {
    const fn = this.deployed.get(name)
    if (fn == null) return false
    this.deployed.delete(name)
    this.init.executor.unregister(name)
    await this.runtimeOf(fn.kind).remove(name)
    await this.init.store.remove(name)
    this.safeDispatchEvent('change')
    return true
  }

  instances (name: string): { total: number, ready: number } {
    const fn = this.deployed.get(name)
    return fn == null ? { total: 0, ready: 0 } : this.runtimeOf(fn.kind).instances(name)
  }

  getDefaults (): NodeDefaults {
    return { ...this.defaults }
  }

  /** New node-wide defaults apply at once to every function that did not choose its own. */
  setDefaults (defaults: NodeDefaults): void {
    this.defaults = { ...defaults }
    for (const fn of this.deployed.values()) {
      fn.admission = this.admissionOf(fn.spec)
      this.init.executor.register(fn.spec.name, fn.admission, this.runnerOf(fn.kind))
    }
    this.safeDispatchEvent('change')
  }

  private async activate (spec: FunctionSpec): Promise<DeployedFunction> {
    const kind = this.placeOf(spec)
    const previous = this.deployed.get(spec.name)
    if (previous != null && previous.kind !== kind) await this.runtimeOf(previous.kind).remove(spec.name)
    const admission = this.admissionOf(spec)
    // The runtime sizes its warm pool from the admission in force, node-wide defaults included.
    await this.runtimeOf(kind).deploy({ ...spec, concurrency: admission.concurrency, minWarm: Math.min(spec.minWarm, admission.concurrency) })
    const fn: DeployedFunction = { spec, kind, runtime: this.runtimeOf(kind).name, admission }
    this.deployed.set(spec.name, fn)
    this.init.executor.register(spec.name, fn.admission, this.runnerOf(kind))
    this.safeDispatchEvent('change')
    return fn
  }

  /** The function's own kind if this node has a runtime for it, else its fallback if it meets that kind's needs. */
  private placeOf (spec: FunctionSpec): FunctionRuntimeKind {
    if (this.init.runtimes[spec.runtime] != null) return spec.runtime
    const fallback = FALLBACKS[spec.runtime]
    if (fallback != null && this.init.runtimes[fallback.kind] != null && runtimeNeeds(fallback.kind, spec.image != null, spec.envProcess != null).length === 0) {
      this.init.log.warn({ function: spec.name }, fallback.warning)
      return fallback.kind
    }
    throw new RuntimeError('DEPLOY_FAILED', `function ${spec.name} ${fallback?.missing ?? `needs the ${spec.runtime} runtime, which this node does not have`}`)
  }

  /** Asked only for kinds placeOf chose, and the map never changes: the throw keeps the type honest, it does not happen. */
  private runtimeOf (kind: FunctionRuntimeKind): Runtime {
    const runtime = this.init.runtimes[kind]
    if (runtime == null) throw new RuntimeError('RUNTIME_UNAVAILABLE', `this node has no runtime for ${kind} functions`)
    return runtime
  }

  private runnerOf (kind: FunctionRuntimeKind): (name: string, req: Parameters<Runtime['invoke']>[1]) => ReturnType<Runtime['invoke']> {
    const runtime = this.runtimeOf(kind)
    return async (name, req) => await runtime.invoke(name, req)
  }

  private admissionOf (spec: FunctionSpec): Admission {
    return {
      concurrency: spec.labels[LABELS.concurrency] != null ? spec.concurrency : this.defaults.concurrency,
      queue: spec.labels[LABELS.queue] != null ? spec.queue : this.defaults.queue,
      timeoutMs: spec.timeoutMs
    }
  }
}
