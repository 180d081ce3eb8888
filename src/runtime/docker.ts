import Dockerode from 'dockerode'
import { RuntimeError, type Runtime, type RuntimeRequest, type RuntimeResponse } from './types.js'
import { LABEL_NODE, removeContainer, startContainer, waitHealthy, type DefaultLimits, type FunctionContainer, type Placement } from './docker-container.js'
import { callContainer } from './http-call.js'
import { MAX_BODY_BYTES } from '../rules.js'
import type { FunctionSpec } from '../functions/types.js'
import { createKeyedWarn, type KeyedWarn, type Logger } from '../log.js'

export interface DockerRuntimeInit {
  docker?: Dockerode
  /** This node's id: every container it starts carries it, and leftovers with it are reaped at start. */
  nodeId: string
  placement?: Placement
  log: Logger
  /** Containers idle this long beyond `minWarm` are stopped (ms). */
  idleTimeoutMs?: number
  /** How long a new container may take to answer its health check (ms). */
  startTimeoutMs?: number
  /** Largest response body accepted from a function (bytes). */
  maxResponseBytes?: number
  /** How often the engine is pinged and idle containers are looked at (ms). */
  maintainIntervalMs?: number
  /** Limits of a container whose spec sets none (a spec's own limits win); default: none. */
  defaultLimits?: DefaultLimits
  /** A function's repeated crash is logged at most once per this (ms). */
  warnEveryMs?: number
}

interface Instance {
  container?: FunctionContainer
  state: 'starting' | 'idle' | 'busy' | 'retired'
  /** The spec version it was started from: a redeploy retires older ones as they come free. */
  generation: number
  lastUsed: number
}

interface Fn {
  spec: FunctionSpec
  generation: number
  instances: Instance[]
}

/**
 * Function containers on the local Docker engine: warm pools that grow to `concurrency` under
 * load and shrink back to `minWarm` when idle; a container that dies is replaced; when the engine
 * is unreachable, calls fail fast with RUNTIME_UNAVAILABLE and pools are rebuilt when it returns.
 */
export class DockerRuntime implements Runtime {
  readonly name = 'docker'
  private readonly docker: Dockerode
  private readonly fns = new Map<string, Fn>()
  private readonly placement: Placement
  private readonly log: Logger
  /** Crashes are keyed by function: a caller can crash one with every call it sends. */
  private readonly warn: KeyedWarn
  private readonly idleTimeoutMs: number
  private readonly startTimeoutMs: number
  private readonly maxResponseBytes: number
  private engineUp = true
  private maintaining = false
  private timer?: ReturnType<typeof setInterval>
  private events?: NodeJS.ReadableStream

  constructor (private readonly init: DockerRuntimeInit) {
    this.docker = init.docker ?? new Dockerode()
    this.placement = init.placement ?? { mode: 'host', hostAddress: '127.0.0.1' }
    this.log = init.log.child({ component: 'docker' })
    this.warn = createKeyedWarn(this.log, { everyMs: init.warnEveryMs })
    this.idleTimeoutMs = init.idleTimeoutMs ?? 60_000
    this.startTimeoutMs = init.startTimeoutMs ?? 30_000
    this.maxResponseBytes = init.maxResponseBytes ?? MAX_BODY_BYTES
  }

  /** Whether the engine's event stream (containers dying) is open. */
  get watching (): boolean {
    return this.events != null
  }

  /** True when an engine answers; the node uses this to pick its default runtime. */
  static async available (docker = new Dockerode()): Promise<boolean> {
    return await pingWithin(docker, 2000)
  }

  async start (): Promise<void> {
    await this.docker.ping()
    await this.reapLeftovers()
    await this.watchEvents()
  }

  async stop (): Promise<void> {
    this.stopMaintaining()
    this.dropEvents()
    const all = [...this.fns.values()].flatMap(fn => fn.instances)
    this.fns.clear()
    await Promise.all(all.map(async i => { await this.retire(i) }))
  }

  async deploy (spec: FunctionSpec): Promise<void> {
    if (spec.image == null) throw new RuntimeError('DEPLOY_FAILED', `function ${spec.name} has no image`)
    await this.checkImage(spec.image)
    // The engine answered checkImage: if the event stream ended meanwhile (dockerd restarted while
    // nothing was deployed, so nothing was watching), open it again before containers start.
    if (this.events == null) await this.watchEvents()
    const fn = this.fns.get(spec.name)
    this.keepMaintaining()
    if (fn == null) {
      this.fns.set(spec.name, { spec, generation: 1, instances: [] })
    } else {
      fn.spec = spec
      fn.generation++
      for (const i of fn.instances) if (i.state === 'idle') void this.retire(i, fn)
    }
    await this.warm(this.fns.get(spec.name)!)
  }

  async remove (name: string): Promise<void> {
    const fn = this.fns.get(name)
    if (fn == null) return
    this.fns.delete(name)
    await Promise.all(fn.instances.map(async i => { await this.retire(i, fn) }))
    if (this.fns.size === 0) this.stopMaintaining()
  }

  instances (name: string): { total: number, ready: number } {
    const live = this.fns.get(name)?.instances.filter(i => i.state !== 'retired') ?? []
    return { total: live.length, ready: live.filter(i => i.state === 'idle' || i.state === 'busy').length }
  }

  async invoke (name: string, req: RuntimeRequest): Promise<RuntimeResponse> {
    const fn = this.fns.get(name)
    if (fn == null) throw new RuntimeError('FUNCTION_NOT_FOUND', `function ${name} is not deployed on this node`)
    if (!this.engineUp) throw new RuntimeError('RUNTIME_UNAVAILABLE', 'the Docker engine is not reachable; calls resume when it is back')
    const instance = await this.acquire(fn, req.signal)
    let keep = true
    try {
      return await callContainer(instance.container!, req, this.maxResponseBytes)
    } catch (err) {
      // After a timeout the function may still be busy inside; after an error it may be dead.
      // Either way the container is not trusted with another call.
      keep = false
      if (err instanceof RuntimeError && err.code === 'FUNCTION_CRASHED') {
        this.warn(`${name} crashed`, { function: name, container: instance.container?.id.slice(0, 12), err: err.message }, 'function container failed during a call; replacing it')
      }
      throw err
    } finally {
      if (keep) this.release(fn, instance)
      else {
        void this.retire(instance, fn).then(async () => { await this.warm(fn) }).catch(() => {})
      }
    }
  }

  /**
   * A free warm container, or a new one. No cap here: the executor admits at most `concurrency`
   * calls, so this never holds more containers than that (plus warm ones retiring).
   */
  private async acquire (fn: Fn, signal: AbortSignal): Promise<Instance> {
    const idle = fn.instances.find(i => i.state === 'idle' && i.generation === fn.generation)
    if (idle != null) {
      idle.state = 'busy'
      return idle
    }
    const instance = await this.launch(fn, 'busy')
    if (signal.aborted) {
      this.release(fn, instance)
      throw signal.reason
    }
    return instance
  }

  private release (fn: Fn, instance: Instance): void {
    instance.lastUsed = performance.now()
    if (instance.generation !== fn.generation || !this.fns.has(fn.spec.name)) {
      void this.retire(instance, fn)
      return
    }
    instance.state = 'idle'
  }

  /** Starts one container and waits for its watchdog; `as` is its state once healthy. */
  private async launch (fn: Fn, as: 'idle' | 'busy'): Promise<Instance> {
    const instance: Instance = { state: as === 'busy' ? 'busy' : 'starting', generation: fn.generation, lastUsed: performance.now() }
    fn.instances.push(instance)
    try {
      instance.container = await startContainer(this.docker, fn.spec, this.init.nodeId, this.placement, this.init.defaultLimits)
      const id = instance.container.id
      await waitHealthy(instance.container, this.startTimeoutMs, async () => await this.isRunning(id))
      this.log.debug({ function: fn.spec.name, container: id.slice(0, 12), origin: instance.container.origin }, 'container ready')
    } catch (err: any) {
      await this.retire(instance, fn)
      throw this.engineError(err) ?? new RuntimeError('FUNCTION_CRASHED', `function ${fn.spec.name} could not start: ${err.message}`, { cause: err })
    }
    if (as === 'idle') this.release(fn, instance)
    return instance
  }

  /** Brings a function up to `minWarm` started containers. */
  private async warm (fn: Fn): Promise<void> {
    const live = fn.instances.filter(i => i.state !== 'retired' && i.generation === fn.generation).length
    const missing = Math.max(0, Math.min(fn.spec.minWarm, fn.spec.concurrency) - live)
    await Promise.all(Array.from({ length: missing }, async () => await this.launch(fn, 'idle')))
  }

  private async retire (instance: Instance, fn?: Fn): Promise<void> {
    if (instance.state === 'retired') return
    instance.state = 'retired'
    if (fn != null) fn.instances = fn.instances.filter(i => i !== instance)
    if (instance.container != null) await removeContainer(this.docker, instance.container)
  }

  private async isRunning (id: string): Promise<boolean> {
    try {
      return (await this.docker.getContainer(id).inspect()).State.Running
    } catch {
      return false
    }
  }

  private async checkImage (image: string): Promise<void> {
    try {
      await this.docker.getImage(image).inspect()
    } catch (err: any) {
      throw this.engineError(err) ?? new RuntimeError('DEPLOY_FAILED',
        `image ${image} is not on this node's Docker engine; build or load it here first (docker build / docker load / npm run images): P2PFaaS never pulls`)
    }
  }

  /**
   * Idle shrink and engine liveness run only while functions are deployed: with none, there is no
   * pool to shrink and no call to fail fast, and an idle node should not wake every two seconds.
   * A deploy starts the timer again (and checks the engine on its way).
   */
  private keepMaintaining (): void {
    if (this.timer != null) return
    this.timer = setInterval(() => { void this.maintain() }, this.init.maintainIntervalMs ?? Math.min(2000, this.idleTimeoutMs / 2))
    this.timer.unref()
  }

  private stopMaintaining (): void {
    if (this.timer != null) clearInterval(this.timer)
    this.timer = undefined
  }

  /** Idle shrink, and engine liveness: a cheap ping every few seconds. */
  private async maintain (): Promise<void> {
    if (this.maintaining) return
    this.maintaining = true
    try {
      await this.maintainOnce()
    } finally {
      this.maintaining = false
    }
  }

  private async maintainOnce (): Promise<void> {
    const wasUp = this.engineUp
    this.engineUp = await pingWithin(this.docker, 2000)
    if (wasUp && !this.engineUp) this.log.error('the Docker engine is not reachable: calls fail with RUNTIME_UNAVAILABLE until it returns')
    if (!wasUp && this.engineUp) await this.recover()
    if (!this.engineUp) return
    const now = performance.now()
    for (const fn of this.fns.values()) {
      const idle = fn.instances.filter(i => i.state === 'idle')
      const spare = fn.instances.filter(i => i.state !== 'retired').length - fn.spec.minWarm
      for (const i of idle.filter(i => now - i.lastUsed > this.idleTimeoutMs).slice(0, Math.max(0, spare))) {
        await this.retire(i, fn)
      }
    }
  }

  /** The engine came back: whatever containers we knew are suspect; start over from the specs. */
  private async recover (): Promise<void> {
    this.log.info('the Docker engine is back: rebuilding warm pools')
    await this.watchEvents().catch(() => {})
    for (const fn of this.fns.values()) {
      for (const i of fn.instances.filter(i => i.state === 'idle')) await this.retire(i, fn)
      await this.warm(fn).catch(err => { this.log.error({ function: fn.spec.name, err: err.message }, 'could not rewarm') })
    }
  }

  /** A container that dies (OOM, crash, docker kill) leaves the pool at once and is replaced. */
  private async watchEvents (): Promise<void> {
    this.dropEvents()
    const stream = await this.docker.getEvents({ filters: { type: ['container'], event: ['die'], label: [`${LABEL_NODE}=${this.init.nodeId}`] } })
    this.events = stream
    // An ended stream is forgotten, so the next deploy (or the recovery) opens a new one.
    stream.on('close', () => { if (this.events === stream) this.events = undefined })
    let buffer = ''
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      let nl: number
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 1)
        try { this.onDie(JSON.parse(line).id) } catch {}
      }
    })
    stream.on('error', () => {})
  }

  private dropEvents (): void {
    ;(this.events as any)?.destroy?.()
    this.events = undefined
  }

  private onDie (id: string): void {
    for (const fn of this.fns.values()) {
      const instance = fn.instances.find(i => i.container?.id === id)
      if (instance == null || instance.state === 'busy') continue // a busy one fails its call and is replaced then
      this.warn(`${fn.spec.name} died`, { function: fn.spec.name, container: id.slice(0, 12) }, 'an idle function container died; replacing it')
      void this.retire(instance, fn).then(async () => { await this.warm(fn) }).catch(() => {})
    }
  }

  private async reapLeftovers (): Promise<void> {
    const leftovers = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE}=${this.init.nodeId}`] } })
    if (leftovers.length > 0) this.log.info({ count: leftovers.length }, 'removing function containers left by an earlier run of this node')
    await Promise.all(leftovers.map(async c => { await this.docker.getContainer(c.Id).remove({ force: true }).catch(() => {}) }))
  }

  private engineError (err: any): RuntimeError | undefined {
    if (['ECONNREFUSED', 'ENOENT', 'EPIPE', 'ECONNRESET'].includes(err?.code) || err?.errno === 'ECONNREFUSED') {
      this.engineUp = false
      // Its event stream went with it: the recovery, or the next deploy, opens a new one.
      this.dropEvents()
      return new RuntimeError('RUNTIME_UNAVAILABLE', `the Docker engine is not reachable (${err.code ?? err.message})`, { cause: err })
    }
    return undefined
  }
}

async function pingWithin (docker: Dockerode, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      docker.ping().then(() => true, () => false),
      new Promise<boolean>(resolve => { timer = setTimeout(() => { resolve(false) }, ms) })
    ])
  } finally {
    clearTimeout(timer)
  }
}
