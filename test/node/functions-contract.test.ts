import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Dockerode from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoPath } from '../helpers/cli.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
import { waitFor } from '../helpers/mesh.js'

/**
 * One contract, two runtimes: a real node (HTTP gateway, executor, registry, store) with the real
 * Docker engine and the sample function images, and the same node with the process runtime
 * running the same functions' classic-watchdog commands.
 */

const classic = (fn: string): string => `${process.execPath} ${repoPath('docker', 'functions', fn, 'classic.mjs')}`
const docker = new Dockerode()

/** PIDs of this process's children whose command line contains `needle`. */
function childrenRunning (needle: string): number[] {
  return readdirSync('/proc').filter(d => /^\d+$/.test(d)).map(Number).filter(pid => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      return Number(stat.split(') ')[1]!.split(' ')[1]) === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)
    } catch { return false }
  })
}

function ensureImages (): void {
  const have = (image: string): boolean => { try { execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore' }); return true } catch { return false } }
  if (!have('p2pfaas/fn-echo:latest') || !have('p2pfaas/fn-sleep:latest')) {
    execFileSync('bash', [repoPath('scripts', 'build-images.sh')], { stdio: 'inherit', timeout: 15 * 60_000 })
  }
}

describe.each(['docker', 'process'] as const)('functions on the %s runtime', (runtime) => {
  let t: TestNode
  const dirs: string[] = []

  const deployBody = (name: string, fn: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    service: name,
    image: `p2pfaas/fn-${fn}:latest`,
    envProcess: classic(fn),
    labels,
    ...extra
  })
  const manage = async (method: string, path: string, body?: unknown, auth: string | null = t.auth): Promise<Response> =>
    await fetch(`${t.url}${path}`, {
      method,
      headers: { ...(auth != null ? { authorization: auth } : {}), ...(body != null ? { 'content-type': 'application/json' } : {}) },
      body: body != null ? JSON.stringify(body) : undefined
    })
  const call = async (name: string, init: RequestInit & { query?: string } = {}): Promise<Response> =>
    await fetch(`${t.url}/function/${name}${init.query ?? ''}`, { method: 'POST', ...init })

  beforeAll(async () => {
    if (runtime === 'docker') ensureImages()
    const dir = await mkdtemp(join(tmpdir(), 'p2pfaas-contract-'))
    dirs.push(dir)
    t = await startTestNode({ runtime }, dir)
  }, 15 * 60_000)

  afterAll(async () => {
    await t?.stop()
    await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  it('refuses management without credentials', async () => {
    const res = await manage('POST', '/system/functions', deployBody('echo', 'echo'), null)
    expect(res.status).toBe(401)
    expect((await res.json()).code).toBe('UNAUTHORIZED')
    expect((await manage('GET', '/system/functions', undefined, 'Basic ' + Buffer.from('admin:wrong').toString('base64'))).status).toBe(401)
    expect((await manage('GET', '/system/functions', undefined, null)).status).toBe(401)
  })

  it('deploys, lists, and invokes with the body passed byte for byte', async () => {
    const res = await manage('POST', '/system/functions', deployBody('echo', 'echo'))
    expect(res.status, await res.clone().text()).toBe(202)
    const list = await (await manage('GET', '/system/functions')).json() as Array<Record<string, unknown>>
    expect(list.map(f => f.name)).toEqual(['echo'])
    const one = await (await manage('GET', '/system/function/echo')).json() as Record<string, any>
    expect(one.name).toBe('echo')
    expect(one.availableReplicas).toBeGreaterThanOrEqual(1)

    const body = new Uint8Array(256 * 1024)
    for (let i = 0; i < body.length; i++) body[i] = (i * 7919) & 0xff
    const out = await call('echo', { body, headers: { 'content-type': 'application/octet-stream' } })
    expect(out.status).toBe(200)
    expect(out.headers.get('x-call-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(Number(out.headers.get('x-duration-seconds'))).toBeGreaterThan(0)
    expect(Buffer.from(await out.arrayBuffer()).equals(Buffer.from(body))).toBe(true)
    // Load the executor reported went back to idle.
    expect(t.node.executor.snapshot().functions).toEqual([{ name: 'echo', queued: 0, running: 0, capacity: 4 }])
  })

  it('passes the function\'s own status, headers and errors through', async () => {
    if (runtime === 'docker') {
      const res = await call('echo', { query: '?status=418', body: 'teapot' })
      expect(res.status).toBe(418)
      expect(res.headers.get('x-echo-method')).toBe('POST')
      expect(await res.text()).toBe('teapot')
      const path = await call('echo', { method: 'GET', query: '?a=1' }).then(r => r.headers)
      expect(path.get('x-echo-query')).toBe('a=1')
    } else {
      // The classic watchdog has no status: a failing command is a 500 with its message.
      const fail = await manage('POST', '/system/functions', deployBody('fails', 'echo', { 'p2pfaas.runtime': 'process' }, { envProcess: `${process.execPath} -e "process.stderr.write('boom'); process.exit(3)"` }))
      expect(fail.status).toBe(202)
      const res = await call('fails', { body: 'x' })
      expect(res.status).toBe(500)
      expect(await res.text()).toMatch(/exit status 3\nboom/)
      await manage('DELETE', '/system/functions', { functionName: 'fails' })
    }
  })

  it('deploys every function of a faas-cli stack.yml in one request', async () => {
    const stack = [
      'version: 1.0',
      'provider: { name: openfaas, gateway: http://127.0.0.1:8080 }',
      'functions:',
      '  echo-a:',
      '    lang: node20',
      '    handler: ./echo',
      '    image: p2pfaas/fn-echo:latest',
      `    fprocess: ${classic('echo')}`,
      '    environment: { write_debug: true }',
      '    limits: { memory: 128Mi, cpu: "0.5" }',
      '  sleep-b:',
      '    image: p2pfaas/fn-sleep:latest',
      `    fprocess: ${classic('sleep')}`,
      '    labels: { p2pfaas.concurrency: "2", p2pfaas.queue: "0" }'
    ].join('\n')
    const res = await fetch(`${t.url}/system/functions`, { method: 'POST', headers: { authorization: t.auth, 'content-type': 'application/yaml' }, body: stack })
    expect(res.status, await res.clone().text()).toBe(202)
    expect(await res.json()).toEqual({ deployed: ['echo-a', 'sleep-b'] })
    expect(await (await call('echo-a', { body: 'from the stack' })).text()).toBe('from the stack')
    expect((await call('sleep-b', { query: '?ms=5' })).status).toBe(200)
    expect(t.node.executor.admission('sleep-b')).toMatchObject({ concurrency: 2, queue: 0 })
    for (const name of ['echo-a', 'sleep-b']) expect((await manage('DELETE', '/system/functions', { functionName: name })).status).toBe(202)
  })

  it('rejects bad deploy bodies with 400 and a reason', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ service: 'Bad_Name', image: 'x' }, /service/],
      [{ service: 'ok', image: 'x', bogus: 1 }, /bogus/],
      [{ service: 'ok' }, /image/],
      [{ service: 'ok', image: 'x', labels: { 'p2pfaas.concurrency': '100000000' } }, /p2pfaas\.concurrency/],
      [{ service: 'ok', image: 'x', limits: { memory: '900Ti' } }, /memory/]
    ]
    for (const [body, reason] of cases) {
      const res = await manage('POST', '/system/functions', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect((await res.json()).message).toMatch(reason)
    }
    const huge = await fetch(`${t.url}/system/functions`, { method: 'POST', headers: { authorization: t.auth, 'content-type': 'application/json' }, body: JSON.stringify({ service: 'ok', image: 'x'.repeat(2 * 1024 * 1024) }) })
    expect(huge.status).toBe(413)
  })

  it('answers 429 when slots and queue are full, 504 at the deadline, and leaks no slot', async () => {
    const res = await manage('POST', '/system/functions', deployBody('sleep', 'sleep', { 'p2pfaas.concurrency': '1', 'p2pfaas.queue': '1', 'p2pfaas.timeout': '1500ms', 'p2pfaas.min-warm': '1' }))
    expect(res.status, await res.clone().text()).toBe(202)
    const first = call('sleep', { query: '?ms=800' })
    await waitFor('first running', () => t.node.executor.snapshot().totals.running === 1, 5000, 5)
    const second = call('sleep', { query: '?ms=10' })
    await waitFor('second queued', () => t.node.executor.snapshot().totals.queued === 1, 5000, 5)
    const third = await call('sleep', { query: '?ms=10' })
    expect(third.status).toBe(429)
    expect((await third.json()).code).toBe('OVERLOADED')
    expect((await first).status).toBe(200)
    expect((await second).status).toBe(200)

    const t0 = performance.now()
    const slow = await call('sleep', { query: '?ms=5000' })
    expect(slow.status).toBe(504)
    expect((await slow.json()).code).toBe('TIMEOUT')
    expect(performance.now() - t0).toBeLessThan(3000)
    expect(t.node.executor.snapshot().functions.find(f => f.name === 'sleep')).toMatchObject({ running: 0, queued: 0 })
    const after = await call('sleep', { query: '?ms=10' })
    expect(after.status).toBe(200)
  })

  it('updates a function in place and removes it', async () => {
    const res = await manage('PUT', '/system/functions', deployBody('echo', 'echo', { 'p2pfaas.concurrency': '2' }, { envVars: { GREETING: 'hi' } }))
    expect(res.status).toBe(202)
    expect(t.node.executor.admission('echo')?.concurrency).toBe(2)
    expect((await call('echo', { body: 'still here' }).then(async r => await r.text()))).toBe('still here')
    expect((await manage('PUT', '/system/functions', deployBody('nope', 'echo'))).status).toBe(404)
  })

  it('keeps its functions across a restart', async () => {
    const dataDir = t.dataDir
    await t.stop()
    t = await startTestNode({ runtime }, dataDir)
    const list = await (await manage('GET', '/system/functions')).json() as Array<{ name: string }>
    expect(list.map(f => f.name).sort()).toEqual(['echo', 'sleep'])
    const res = await call('echo', { body: 'back' })
    expect(await res.text()).toBe('back')
    expect(t.node.executor.admission('echo')?.concurrency).toBe(2)
  })

  it('removes functions; calls to them answer 404', async () => {
    expect((await manage('DELETE', '/system/functions', { functionName: 'echo' })).status).toBe(202)
    expect((await manage('DELETE', '/system/functions', { functionName: 'echo' })).status).toBe(404)
    const res = await call('echo', { body: 'x' })
    expect(res.status).toBe(404)
    expect((await res.json()).code).toBe('FUNCTION_NOT_FOUND')
  })

  if (runtime === 'process') {
    it('a function process killed mid-call gives one clear error, and the next call succeeds', async () => {
      const pending = call('sleep', { query: '?ms=3000' })
      const child = await waitFor('the function process', () => childrenRunning('sleep/classic.mjs')[0], 5000, 10)
      process.kill(child, 'SIGKILL')
      const res = await pending
      expect(res.status).toBe(502)
      expect((await res.json()).code).toBe('FUNCTION_CRASHED')
      expect((await call('sleep', { query: '?ms=5' })).status).toBe(200)
    })
  }

  if (runtime === 'docker') {
    it('runs containers hardened, and replaces one killed mid-call', async () => {
      const nodeId = t.node.mesh.peerId.toString()
      const containers = await docker.listContainers({ filters: { label: [`p2pfaas.node=${nodeId}`, 'p2pfaas.function=sleep'] } })
      expect(containers.length).toBeGreaterThanOrEqual(1)
      const info = await docker.getContainer(containers[0]!.Id).inspect()
      expect(info.HostConfig.Privileged).toBe(false)
      expect(info.HostConfig.CapDrop).toEqual(['ALL'])
      expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges')
      expect(info.HostConfig.PidsLimit).toBe(256)
      expect(info.HostConfig.Binds ?? []).toEqual([])
      expect(info.Mounts).toEqual([])
      expect(info.Config.User).not.toBe('')
      expect(info.HostConfig.PortBindings['8080/tcp'][0].HostIp).toBe('127.0.0.1')

      const pending = call('sleep', { query: '?ms=1200' })
      await waitFor('call running', () => t.node.executor.snapshot().totals.running === 1, 5000, 5)
      const busy = await docker.listContainers({ filters: { label: [`p2pfaas.node=${nodeId}`, 'p2pfaas.function=sleep'] } })
      await Promise.all(busy.map(async c => { await docker.getContainer(c.Id).kill() }))
      const res = await pending
      expect(res.status).toBe(502)
      expect((await res.json()).code).toBe('FUNCTION_CRASHED')
      const next = await call('sleep', { query: '?ms=10' })
      expect(next.status).toBe(200)
    })

    it('leaves no container behind after stop()', async () => {
      const nodeId = t.node.mesh.peerId.toString()
      await t.stop()
      const left = await docker.listContainers({ all: true, filters: { label: [`p2pfaas.node=${nodeId}`] } })
      expect(left).toEqual([])
    })
  }
})
