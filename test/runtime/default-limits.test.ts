import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Dockerode from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { containerOptions } from '../../src/runtime/docker-container.js'
import { waitFor } from '../helpers/mesh.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
import type { FunctionSpec } from '../../src/functions/types.js'

/**
 * Node-wide default limits (`--function-memory`, `--function-cpus`) on the real Docker engine: what
 * a container gets with and without limits of its own, and a function that allocates beyond the
 * default killed by the kernel while the node answers FUNCTION_CRASHED and keeps serving.
 */

const run = promisify(execFile)
const engine = new Dockerode()
const MiB = 1024 * 1024
/** The echo image with a handler that holds `?mb=N` MiB, every page touched. Built from a local image: no registry. */
const HOG_IMAGE = `p2pfaas-test/fn-hog:${randomUUID().slice(0, 8)}`
const HOG_HANDLER = `export async function handle (req) {
  const mb = Number(new URLSearchParams(req.query).get('mb') ?? '0')
  const held = []
  for (let i = 0; i < mb; i++) held.push(Buffer.alloc(1024 * 1024, 1))
  return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'held ' + held.length + ' MiB' }
}
`

const spec: FunctionSpec = {
  name: 'echo', image: 'p2pfaas/fn-echo:latest', env: {}, labels: {}, annotations: {},
  limits: { pids: 64 }, concurrency: 1, queue: 0, timeoutMs: 5000, minWarm: 1, runtime: 'http', readOnlyRootFilesystem: true
}
const host = { mode: 'host', hostAddress: '127.0.0.1' } as const

describe('default limits in the container options', () => {
  it('fills in each limit the spec leaves out, and only those', () => {
    const defaults = { memoryBytes: 256 * MiB, cpus: 1 }
    expect(containerOptions(spec, 'n', host, defaults).HostConfig).toMatchObject({ Memory: 256 * MiB, MemorySwap: 256 * MiB, NanoCpus: 1e9 })
    const own = { ...spec, limits: { pids: 64, memoryBytes: 1024 * MiB } }
    expect(containerOptions(own, 'n', host, defaults).HostConfig).toMatchObject({ Memory: 1024 * MiB, MemorySwap: 1024 * MiB, NanoCpus: 1e9 })
    const none = containerOptions(spec, 'n', host, {}).HostConfig!
    expect(none.Memory).toBeUndefined()
    expect(none.NanoCpus).toBeUndefined()
  })
})

describe('default function limits on the Docker engine', () => {
  let dir: string
  let node: TestNode
  let unlimited: TestNode

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2pfaas-hog-'))
    await writeFile(join(dir, 'handler.mjs'), HOG_HANDLER)
    await writeFile(join(dir, 'Dockerfile'), 'FROM p2pfaas/fn-echo:latest\nCOPY handler.mjs /home/app/echo/handler.mjs\n')
    await run('docker', ['build', '-q', '-t', HOG_IMAGE, dir], { timeout: 120_000 })
    node = await startTestNode({ runtime: 'docker' })
    unlimited = await startTestNode({ runtime: 'docker', functionMemory: '0', functionCpus: '0' })
  })

  afterAll(async () => {
    for (const n of [node, unlimited]) {
      if (n == null) continue
      const id = n.node.mesh.peerId.toString()
      await n.stop()
      for (const c of await engine.listContainers({ all: true, filters: { label: [`p2pfaas.node=${id}`] } })) await engine.getContainer(c.Id).remove({ force: true })
    }
    await run('docker', ['rmi', '-f', HOG_IMAGE]).catch(() => {})
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  const deploy = async (n: TestNode, body: Record<string, unknown>): Promise<void> => {
    const res = await fetch(`${n.url}/system/functions`, { method: 'POST', headers: { authorization: n.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    expect(res.status, await res.text()).toBe(202)
  }
  const hostConfig = async (n: TestNode, fn: string): Promise<Dockerode.HostConfig> => {
    const [c] = await engine.listContainers({ filters: { label: [`p2pfaas.node=${n.node.mesh.peerId.toString()}`, `p2pfaas.function=${fn}`] } })
    if (c == null) throw new Error(`no container for ${fn}`)
    return (await engine.getContainer(c.Id).inspect()).HostConfig
  }

  it('gives a function without limits 256 MiB and 1 CPU, and a function with its own limits those', async () => {
    await deploy(node, { service: 'plain', image: 'p2pfaas/fn-echo:latest' })
    await deploy(node, { service: 'sized', image: 'p2pfaas/fn-echo:latest', limits: { memory: '128Mi', cpu: '500m' } })
    expect(await hostConfig(node, 'plain')).toMatchObject({ Memory: 256 * MiB, MemorySwap: 256 * MiB, NanoCpus: 1e9 })
    expect(await hostConfig(node, 'sized')).toMatchObject({ Memory: 128 * MiB, MemorySwap: 128 * MiB, NanoCpus: 5e8 })
  })

  it('sets no limit with --function-memory 0 --function-cpus 0', async () => {
    await deploy(unlimited, { service: 'plain', image: 'p2pfaas/fn-echo:latest' })
    expect(await hostConfig(unlimited, 'plain')).toMatchObject({ Memory: 0, NanoCpus: 0 })
  })

  it('has the kernel kill a function over the default limit; the node answers FUNCTION_CRASHED and keeps serving', async () => {
    await deploy(node, { service: 'hog', image: HOG_IMAGE })
    expect(await hostConfig(node, 'hog')).toMatchObject({ Memory: 256 * MiB })
    const call = async (mb: number): Promise<Response> => await fetch(`${node.url}/function/hog?mb=${mb}`, { method: 'POST', signal: AbortSignal.timeout(20_000) })
    const small = await call(16)
    expect(await small.text()).toBe('held 16 MiB')

    const ooms: string[] = []
    const events = await engine.getEvents({ filters: { event: ['oom'], label: [`p2pfaas.node=${node.node.mesh.peerId.toString()}`, 'p2pfaas.function=hog'] } })
    events.on('data', (chunk: Buffer) => { ooms.push(chunk.toString()) })
    try {
      const big = await call(512)
      expect(big.status).toBe(502)
      expect(await big.json()).toMatchObject({ code: 'FUNCTION_CRASHED' })
      await waitFor('the engine to report the OOM kill', () => ooms.length > 0, 10_000, 50)
    } finally {
      ;(events as unknown as { destroy: () => void }).destroy()
    }
    // The node itself is unharmed: other functions answer, and the hog again once replaced.
    expect((await fetch(`${node.url}/function/plain`, { method: 'POST', body: 'still here' }).then(async r => await r.text()))).toBe('still here')
    const again = await waitFor('the hog replaced', async () => { const r = await call(8); return r.status === 200 ? await r.text() : undefined }, 20_000, 100)
    expect(again).toBe('held 8 MiB')
  })
})
