import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Dockerode from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DockerRuntime } from '../../src/runtime/docker.js'
import { RuntimeError } from '../../src/runtime/types.js'
import { quietLog, waitFor } from '../helpers/mesh.js'
import type { FunctionSpec } from '../../src/functions/types.js'

/**
 * The Docker runtime against the real engine, reached through a socket relay the test can cut:
 * from the runtime's side the engine goes away and comes back, as when dockerd restarts.
 */

class EngineRelay {
  private server?: Server
  private readonly sockets = new Set<Socket>()
  /** Pings the runtime sent to the engine (its liveness check), counted in what it sends. */
  pings = 0
  constructor (readonly path: string) {}

  async up (): Promise<void> {
    if (this.server != null) return
    this.server = createServer(client => {
      const engine = createConnection('/var/run/docker.sock')
      client.on('data', (chunk: Buffer) => { this.pings += chunk.toString('latin1').split('/_ping HTTP/1.1').length - 1 })
      this.sockets.add(client).add(engine)
      client.pipe(engine).pipe(client)
      const drop = (): void => { client.destroy(); engine.destroy(); this.sockets.delete(client); this.sockets.delete(engine) }
      client.on('error', drop).on('close', drop)
      engine.on('error', drop).on('close', drop)
    })
    await new Promise<void>(resolve => this.server!.listen(this.path, resolve))
  }

  async down (): Promise<void> {
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
    await new Promise<void>(resolve => { if (this.server != null) this.server.close(() => { resolve() }); else resolve() })
    this.server = undefined
  }
}

const spec: FunctionSpec = {
  name: 'echo', image: 'p2pfaas/fn-echo:latest', env: {}, labels: {}, annotations: {},
  limits: { pids: 64, memoryBytes: 128 * 1024 * 1024 }, concurrency: 2, queue: 2, timeoutMs: 5000, minWarm: 1, runtime: 'http', readOnlyRootFilesystem: true
}
const request = (signal = AbortSignal.timeout(5000)) => ({ method: 'POST', path: '/', query: '', headers: { 'content-type': 'text/plain' }, body: new TextEncoder().encode('hi'), signal })

describe('the Docker runtime when the engine goes away', () => {
  let dir: string
  let relay: EngineRelay
  let runtime: DockerRuntime
  const nodeId = `test-${process.pid}-${Date.now()}`
  const engine = new Dockerode()

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2pfaas-relay-'))
    relay = new EngineRelay(join(dir, 'docker.sock'))
    await relay.up()
    runtime = new DockerRuntime({ docker: new Dockerode({ socketPath: relay.path }), nodeId, log: quietLog, maintainIntervalMs: 200, idleTimeoutMs: 60_000 })
    await runtime.start()
  })

  afterAll(async () => {
    await relay.up()
    await runtime?.stop()
    await relay.down()
    for (const c of await engine.listContainers({ all: true, filters: { label: [`p2pfaas.node=${nodeId}`] } })) await engine.getContainer(c.Id).remove({ force: true })
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses an image the engine does not have, with what to do', async () => {
    await expect(runtime.deploy({ ...spec, name: 'ghost', image: 'p2pfaas/no-such-image:1' })).rejects.toThrow(/not on this node's Docker engine.*never pulls/)
  })

  it('fails calls fast with RUNTIME_UNAVAILABLE while the engine is gone, and recovers when it returns', async () => {
    await runtime.deploy(spec)
    expect(runtime.instances('echo')).toEqual({ total: 1, ready: 1 })
    expect((await runtime.invoke('echo', request())).status).toBe(200)

    await relay.down()
    await waitFor('engine seen as gone', async () => {
      try { await runtime.invoke('echo', request()); return false } catch (err) { return err instanceof RuntimeError && err.code === 'RUNTIME_UNAVAILABLE' }
    }, 5000, 50)
    const t0 = performance.now()
    await expect(runtime.invoke('echo', request())).rejects.toMatchObject({ code: 'RUNTIME_UNAVAILABLE' })
    expect(performance.now() - t0).toBeLessThan(50)

    await relay.up()
    await waitFor('calls work again', async () => {
      try { return (await runtime.invoke('echo', request())).status === 200 } catch { return false }
    }, 10_000, 100)
    expect(runtime.instances('echo').ready).toBeGreaterThanOrEqual(1)
  })

  it('replaces a warm container that dies while idle', async () => {
    const before = await engine.listContainers({ filters: { label: [`p2pfaas.node=${nodeId}`, 'p2pfaas.function=echo'] } })
    expect(before.length).toBeGreaterThanOrEqual(1)
    await Promise.all(before.map(async c => { await engine.getContainer(c.Id).kill() }))
    await waitFor('a new warm container', async () => {
      const now = await engine.listContainers({ filters: { label: [`p2pfaas.node=${nodeId}`, 'p2pfaas.function=echo'] } })
      return now.length >= 1 && now.every(c => !before.some(b => b.Id === c.Id))
    }, 10_000, 100)
    expect((await runtime.invoke('echo', request())).status).toBe(200)
  })

  it('grows to serve concurrent calls', async () => {
    const calls = await Promise.all([runtime.invoke('echo', request()), runtime.invoke('echo', request())])
    expect(calls.map(c => c.status)).toEqual([200, 200])
    expect(runtime.instances('echo').total).toBe(2)
  })

  it('reaps the containers an earlier run of the same node left behind, and only those', async () => {
    const crashedNode = `${nodeId}-crashed`
    const otherNode = `${nodeId}-other`
    const leftover = await engine.createContainer({ Image: spec.image, Labels: { 'p2pfaas.managed': 'true', 'p2pfaas.node': crashedNode, 'p2pfaas.function': 'echo' } })
    await leftover.start()
    const foreign = await engine.createContainer({ Image: spec.image, Labels: { 'p2pfaas.managed': 'true', 'p2pfaas.node': otherNode, 'p2pfaas.function': 'echo' } })
    try {
      const restarted = new DockerRuntime({ docker: engine, nodeId: crashedNode, log: quietLog })
      await restarted.start()
      expect(await engine.listContainers({ all: true, filters: { label: [`p2pfaas.node=${crashedNode}`] } })).toEqual([])
      expect(await engine.listContainers({ all: true, filters: { label: [`p2pfaas.node=${otherNode}`] } })).toHaveLength(1)
      await restarted.stop()
    } finally {
      await foreign.remove({ force: true })
      await leftover.remove({ force: true }).catch(() => {})
    }
  })
})

describe('the Docker runtime with nothing deployed', () => {
  let dir: string
  let relay: EngineRelay
  let runtime: DockerRuntime
  const nodeId = `test-idle-${process.pid}-${Date.now()}`
  const engine = new Dockerode()
  const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2pfaas-relay-'))
    relay = new EngineRelay(join(dir, 'docker.sock'))
    await relay.up()
    runtime = new DockerRuntime({ docker: new Dockerode({ socketPath: relay.path }), nodeId, log: quietLog, maintainIntervalMs: 50, idleTimeoutMs: 60_000 })
    await runtime.start()
  })

  afterAll(async () => {
    await relay.up()
    await runtime?.stop()
    await relay.down()
    for (const c of await engine.listContainers({ all: true, filters: { label: [`p2pfaas.node=${nodeId}`] } })) await engine.getContainer(c.Id).remove({ force: true })
    await rm(dir, { recursive: true, force: true })
  })

  it('does not poll the engine, and does while a function is deployed', async () => {
    // Nothing to wait for can show an absence: a window of ten maintenance intervals.
    const idle = relay.pings
    await sleep(500)
    expect(relay.pings).toBe(idle)

    await runtime.deploy(spec)
    const deployed = relay.pings
    await waitFor('engine pinged while a function is deployed', () => relay.pings >= deployed + 3, 5000, 20)

    await runtime.remove('echo')
    const removed = relay.pings
    await sleep(500)
    // One maintenance round may have been under way when the function went.
    expect(relay.pings - removed).toBeLessThanOrEqual(1)
  })

  it('watches for dying containers again after the engine restarted while nothing was deployed', async () => {
    expect(runtime.watching).toBe(true)
    await relay.down()
    await waitFor('the event stream seen ending', () => !runtime.watching, 5000, 10)
    await relay.up()
    // Nothing was deployed, so nothing noticed the engine was gone: the deploy opens the stream again.
    await runtime.deploy(spec)
    expect(runtime.watching).toBe(true)
    const before = await engine.listContainers({ filters: { label: [`p2pfaas.node=${nodeId}`, 'p2pfaas.function=echo'] } })
    expect(before).toHaveLength(1)
    await engine.getContainer(before[0]!.Id).kill()
    await waitFor('a new warm container', async () => {
      const now = await engine.listContainers({ filters: { label: [`p2pfaas.node=${nodeId}`, 'p2pfaas.function=echo'] } })
      return now.length >= 1 && now.every(c => c.Id !== before[0]!.Id)
    }, 10_000, 100)
    expect((await runtime.invoke('echo', request())).status).toBe(200)
  })
})
