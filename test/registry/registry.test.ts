import { describe, expect, it } from 'vitest'
import { Executor } from '../../src/executor/executor.js'
import { parseDeployBody } from '../../src/functions/openfaas.js'
import type { FunctionSpec } from '../../src/functions/types.js'
import { FunctionRegistry, type SpecStore } from '../../src/registry/registry.js'
import { RuntimeError, type Runtime, type Runtimes } from '../../src/runtime/types.js'
import { createLogger } from '../../src/log.js'

/**
 * The registry drives whatever runtimes it is given, by the kind of function each runs: it knows
 * none of them by name, and an 'http' function falls back to its classic command only when the
 * node has no runtime for 'http'.
 */

interface FakeRuntime extends Runtime { deployed: string[], removed: string[] }

function fakeRuntime (name: string): FakeRuntime {
  const deployed: string[] = []
  const removed: string[] = []
  return {
    name,
    deployed,
    removed,
    start: async () => {},
    stop: async () => {},
    deploy: async (spec: FunctionSpec) => { deployed.push(spec.name) },
    remove: async (fn: string) => { removed.push(fn) },
    invoke: async () => ({ status: 200, headers: {}, body: new TextEncoder().encode(name) }),
    instances: () => ({ total: 1, ready: 1 })
  }
}

function memoryStore (): SpecStore & { saved: Map<string, FunctionSpec> } {
  const saved = new Map<string, FunctionSpec>()
  return {
    saved,
    load: async () => [...saved.values()],
    save: async spec => { saved.set(spec.name, spec) },
    remove: async name => saved.delete(name)
  }
}

function registryWith (runtimes: Runtimes): { registry: FunctionRegistry, store: ReturnType<typeof memoryStore> } {
  const store = memoryStore()
  const registry = new FunctionRegistry({ store, executor: new Executor(), runtimes, defaults: { concurrency: 4, queue: 4 }, log: createLogger({ level: 'silent', pretty: false }) })
  return { registry, store }
}

const container = parseDeployBody({ service: 'web', image: 'example/web:1' })
const both = parseDeployBody({ service: 'both', image: 'example/both:1', envProcess: 'cat' })
const host = parseDeployBody({ service: 'host', envProcess: 'cat', labels: { 'p2pfaas.runtime': 'process' } })

describe('the function registry', () => {
  it('places each function in the runtime of its kind, and reports that runtime by its name', async () => {
    const http = fakeRuntime('docker')
    const proc = fakeRuntime('process')
    const { registry, store } = registryWith({ http, process: proc })
    await registry.deploy(container)
    await registry.deploy(host)
    expect(http.deployed).toEqual(['web'])
    expect(proc.deployed).toEqual(['host'])
    expect(registry.get('web')).toMatchObject({ kind: 'http', runtime: 'docker' })
    expect(registry.get('host')).toMatchObject({ kind: 'process', runtime: 'process' })
    expect([...store.saved.keys()].sort()).toEqual(['host', 'web'])

    expect(await registry.remove('web')).toBe(true)
    expect(http.removed).toEqual(['web'])
  })

  it('runs any runtime it is given under a kind, not only the built-in ones', async () => {
    const other = fakeRuntime('podman')
    const { registry } = registryWith({ http: other })
    await registry.deploy(container)
    expect(registry.get('web')).toMatchObject({ kind: 'http', runtime: 'podman' })
    expect(registry.instances('web')).toEqual({ total: 1, ready: 1 })
  })

  it('without an http runtime, runs an http function that has an envProcess as a process, and refuses one that has not', async () => {
    const proc = fakeRuntime('process')
    const { registry, store } = registryWith({ process: proc })
    await registry.deploy(both)
    expect(registry.get('both')).toMatchObject({ kind: 'process', runtime: 'process' })
    expect(proc.deployed).toEqual(['both'])

    const err = await registry.deploy(container).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RuntimeError)
    expect((err as RuntimeError).code).toBe('DEPLOY_FAILED')
    expect((err as RuntimeError).message).toMatch(/needs a container, and this node has no Docker engine/)
    expect(registry.get('web')).toBeUndefined()
    expect(store.saved.has('web')).toBe(false)
  })

  it('refuses a kind it has no runtime and no fallback for', async () => {
    const { registry } = registryWith({ http: fakeRuntime('docker') })
    const emu = parseDeployBody({ service: 'emu', labels: { 'p2pfaas.runtime': 'emulated' } })
    await expect(registry.deploy(emu)).rejects.toThrow(/needs the emulated runtime/)
  })
})
