/**
 * Zero-config deployment, end to end, on the real Docker engine with Debian's docker-compose
 * (1.29): the images are built offline (scripts/build-images.sh: the node from the host's build on
 * the debootstrap base), then
 *   - `docker-compose up -d` (docker-compose.yml, a swarm key from a file): three nodes in their own
 *     bridge network find each other by mDNS; a function deployed on one node over its HTTP API is
 *     served through another; `docker-compose down` leaves no container and no network behind;
 *   - `docker-compose -f docker-compose-fn.yml up -d` (the key from the environment): stack.yml is
 *     deployed at start, imageproc answers on every node, and calls sent to one node under load are
 *     partly served by the others; `down` again leaves nothing, function containers included;
 *   - fleet/ (balena) and the compose files are checked with `docker-compose config`.
 * Every run has its own compose project, network name and free host ports, and removes all of it
 * (down -v) even when a test fails. Prints the figures: time from `up -d` to a full mesh and to the
 * first successful call, and the image sizes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { parse as parseYaml } from 'yaml'
import { newSwarmKey } from '../../src/mesh/swarm-key.js'

const run = promisify(execFile)
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const RUN = `${process.pid}-${randomBytes(3).toString('hex')}`
const TMP = mkdtempSync(join(tmpdir(), 'p2pfaas-compose-'))

interface Mesh { self: { peerId: string }, peers: Array<{ peerId: string, connected: boolean, functions: string[] }> }

/** One compose project of this run: its own name, network and host ports. */
class Project {
  readonly name: string
  readonly network: string
  ports: number[] = []
  peerIds: string[] = []
  private env: NodeJS.ProcessEnv = {}

  constructor (readonly file: string, tag: string, private readonly extraEnv: Record<string, string> = {}) {
    this.name = `p2pfaas-e2e-${tag}-${RUN}`
    this.network = `p2pfaas-e2e-${tag}-${RUN}`
  }

  async init (): Promise<void> {
    this.ports = await freePorts(3)
    // The developer's own P2PFAAS_* settings must not leak into the run.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('P2PFAAS_') && k !== 'NODE_IMAGE'))
    this.env = {
      ...base,
      P2PFAAS_NETWORK: this.network,
      P2PFAAS_PORT_1: String(this.ports[0]),
      P2PFAAS_PORT_2: String(this.ports[1]),
      P2PFAAS_PORT_3: String(this.ports[2]),
      ...this.extraEnv
    }
  }

  async compose (args: string[], timeout = 90_000): Promise<string> {
    const { stdout, stderr } = await run('docker-compose', ['-p', this.name, '-f', join(ROOT, this.file), ...args],
      { cwd: ROOT, env: this.env, timeout, maxBuffer: 16 * 1024 * 1024 })
    return stdout + stderr
  }

  set (name: string, value: string): void {
    this.env[name] = value
  }

  url (node: number, path: string): string {
    return `http://127.0.0.1:${this.ports[node]}${path}`
  }

  /** Removes everything of this project, whatever state it is in. */
  async destroy (): Promise<void> {
    if (this.ports.length === 0) return
    await this.compose(['down', '-v', '--remove-orphans', '-t', '15'], 120_000).catch(() => {})
    for (const id of this.peerIds) {
      const left = await docker('ps', '-aq', '--filter', `label=p2pfaas.node=${id}`).catch(() => '')
      if (left !== '') await docker('rm', '-f', ...left.split('\n')).catch(() => {})
    }
    await docker('network', 'rm', this.network).catch(() => {})
  }
}

async function docker (...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 })
  return stdout.trim()
}

async function freePorts (n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, async () => await new Promise<ReturnType<typeof createServer>>((resolvePromise, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { resolvePromise(s) })
  })))
  const ports = servers.map(s => (s.address() as { port: number }).port)
  await Promise.all(servers.map(async s => { await new Promise(r => s.close(r)) }))
  return ports
}

async function getJson<T> (url: string): Promise<T | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
    if (res.status !== 200) { await res.arrayBuffer(); return undefined }
    return await res.json() as T
  } catch {
    return undefined
  }
}

const sleep = async (ms: number): Promise<void> => { await new Promise(r => setTimeout(r, ms)) }

/** Polls every node's /mesh until each lists the two others as connected; returns their PeerIds. */
async function waitFullMesh (p: Project, withinMs: number): Promise<string[]> {
  const deadline = Date.now() + withinMs
  let last: Array<Mesh | undefined> = []
  for (;;) {
    last = await Promise.all([0, 1, 2].map(async i => await getJson<Mesh>(p.url(i, '/mesh'))))
    if (last.every(m => m != null)) {
      const ids = last.map(m => m!.self.peerId)
      const full = last.every((m, i) => ids.filter((_, j) => j !== i).every(id => m!.peers.some(peer => peer.peerId === id && peer.connected)))
      if (full) return ids
    }
    if (Date.now() > deadline) {
      const logs = await p.compose(['logs', '--no-color', '--tail', '40']).catch((e: Error) => e.message)
      throw new Error(`no full mesh within ${withinMs} ms; views: ${JSON.stringify(last)}\n${logs}`)
    }
    await sleep(100)
  }
}

/** Containers the nodes started (label p2pfaas.node), or those of a compose project. */
async function containersOf (peerIds: string[]): Promise<string[]> {
  const all = await Promise.all(peerIds.map(async id => await docker('ps', '-aq', '--filter', `label=p2pfaas.node=${id}`)))
  return all.flatMap(s => s === '' ? [] : s.split('\n'))
}

/** After `docker-compose down`: no container of the project, none the nodes started, no network. */
async function expectNothingLeft (p: Project): Promise<void> {
  expect(await docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${p.name}`)).toBe('')
  expect(await containersOf(p.peerIds)).toEqual([])
  const networks = (await docker('network', 'ls', '--format', '{{.Name}}')).split('\n')
  expect(networks).not.toContain(p.network)
}

const figures: Record<string, unknown> = {}
const plain = new Project('docker-compose.yml', 'plain')
const withFns = new Project('docker-compose-fn.yml', 'fn', { P2PFAAS_SWARM_KEY_DATA: newSwarmKey().trim().split('\n').at(-1)! })

beforeAll(async () => {
  const t0 = performance.now()
  try {
    await run('bash', [join(ROOT, 'scripts/build-images.sh')], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 600_000 })
  } catch (err: any) {
    throw new Error(`build-images.sh failed: ${err.message}\n${String(err.stderr ?? '').slice(-4000)}`)
  }
  figures.imagesBuildSeconds = Math.round((performance.now() - t0) / 100) / 10
  await Promise.all([plain.init(), withFns.init()])
}, 600_000)

afterAll(async () => {
  await Promise.all([plain.destroy(), withFns.destroy()])
  rmSync(TMP, { recursive: true, force: true })
  const sizes: Record<string, string> = {}
  for (const image of ['p2pfaas/node:latest', 'p2pfaas/fn-imageproc:latest', 'p2pfaas/node-base:offline']) {
    const bytes = Number(await docker('image', 'inspect', '-f', '{{.Size}}', image).catch(() => 'NaN'))
    sizes[image] = `${(bytes / 1e6).toFixed(0)} MB`
  }
  figures.imageSizes = sizes
  console.log(`[compose figures] ${JSON.stringify(figures)}`)
}, 180_000)

describe('compose files and the balena fleet (docker-compose config)', () => {
  const config = async (file: string, env: Record<string, string> = {}): Promise<any> => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('P2PFAAS_')))
    const { stdout } = await run('docker-compose', ['-f', join(ROOT, file), 'config'], { cwd: ROOT, env: { ...base, ...env }, timeout: 30_000 })
    return parseYaml(stdout)
  }

  it('docker-compose.yml and docker-compose-fn.yml: three nodes, their own data volumes, HTTP on 127.0.0.1 only, the engine socket, a fixed network name', async () => {
    for (const file of ['docker-compose.yml', 'docker-compose-fn.yml']) {
      const c = await config(file)
      const nodes = Object.entries<any>(c.services).filter(([, s]) => s.image === 'p2pfaas/node:latest')
      expect(nodes.map(([name]) => name).sort()).toEqual(['node1', 'node2', 'node3'])
      const data = new Set<string>()
      for (const [, s] of nodes) {
        expect(s.ports.map((p: any) => typeof p === 'string' ? p : `${p.host_ip}:${p.published}:${p.target}`)
          .every((p: string) => p.startsWith('127.0.0.1:') && p.endsWith(':18080/tcp'))).toBe(true)
        expect(s.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock:rw')
        const volume = s.volumes.find((v: string) => v.endsWith(':/data:rw'))
        expect(volume).toBeDefined()
        data.add(volume)
        expect(s.environment.P2PFAAS_DOCKER_NETWORK).toBe('p2pfaas')
        expect(s.network_mode).toBeUndefined()
        expect(s.cap_drop).toEqual(['ALL'])
      }
      expect(data.size).toBe(3)
      expect(c.networks.mesh.name).toBe('p2pfaas')
    }
    const fn = await config('docker-compose-fn.yml')
    expect(fn.services.node1.environment.P2PFAAS_FUNCTIONS).toBe('/etc/p2pfaas/stack.yml')
    for (const name of ['imageproc', 'echo', 'sleep']) {
      expect(fn.services[`fn-${name}`]).toMatchObject({ image: `p2pfaas/fn-${name}:latest`, scale: 0, build: { args: { FUNCTION: name } } })
    }
    // A swarm key file is mounted where the entrypoint looks for it.
    const keyed = await config('docker-compose.yml', { P2PFAAS_SWARM_KEY_FILE: '/etc/p2pfaas.key' })
    expect(keyed.services.node2.volumes).toContain('/etc/p2pfaas.key:/run/secrets/p2pfaas-swarm-key:ro')
  })

  it('fleet/: balena compose 2.4 with host networking, the balena socket label, a persistent volume and no bind mount; balena.yml', async () => {
    const c = await config('fleet/docker-compose.yml')
    expect(String(c.version)).toBe('2.4')
    const node = c.services.node
    expect(node.network_mode).toBe('host')
    expect(node.labels['io.balena.features.balena-socket']).toBe('1')
    expect(node.volumes).toEqual(['p2pfaas-data:/data:rw'])
    expect(Object.keys(c.volumes)).toEqual(['p2pfaas-data'])
    expect(node.build.dockerfile).toBe('docker/node/Dockerfile')
    expect(node.environment).toMatchObject({ P2PFAAS_RUNTIME: 'docker', P2PFAAS_ADOPT_IMAGES: '1', P2PFAAS_FUNCTIONS: '/app/stack.yml' })
    for (const name of ['imageproc', 'echo', 'sleep']) {
      expect(c.services[`fn-${name}`]).toMatchObject({ restart: 'no', network_mode: 'none', build: { args: { FUNCTION: name } } })
    }
    // balena supports only named volumes and build contexts inside the project folder.
    for (const s of Object.values<any>(c.services)) {
      for (const v of s.volumes ?? []) expect(v).not.toMatch(/^[/.]/)
      expect(resolve(s.build.context).startsWith(join(ROOT, 'fleet') + '/')).toBe(true)
    }
    const balena = parseYaml(readFileSync(join(ROOT, 'fleet/balena.yml'), 'utf8'))
    expect(balena.type).toBe('sw.application')
    expect(balena.data.supportedDeviceTypes).toContain('raspberrypi4-64')
    expect(balena.data.applicationEnvironmentVariables.map((v: object) => Object.keys(v)[0])).toContain('P2PFAAS_SWARM_KEY_DATA')
  })
})

describe('docker-compose up on the real engine', () => {
  it('docker-compose.yml: three nodes form a private mesh by mDNS; a function on one node serves calls through another; down leaves nothing', async () => {
    const p = plain
    const keyFile = join(TMP, 'swarm.key')
    writeFileSync(keyFile, newSwarmKey(), { mode: 0o644 })
    p.set('P2PFAAS_SWARM_KEY_FILE', keyFile)

    const t0 = performance.now()
    await p.compose(['up', '-d'])
    const upMs = performance.now() - t0
    p.peerIds = await waitFullMesh(p, 60_000)
    const meshMs = performance.now() - t0
    figures.plain = { upReturnsMs: Math.round(upMs), fullMeshMs: Math.round(meshMs) }
    expect(new Set(p.peerIds).size).toBe(3)
    expect(await p.compose(['logs', '--no-color', 'node1'])).toContain('private mesh')

    // The image's HEALTHCHECK command passes in every node (Docker runs it every 10 s).
    for (const node of ['node1', 'node2', 'node3']) await p.compose(['exec', '-T', node, 'node', '/app/docker/healthcheck.mjs'])

    // Deploy echo on node2 only (its admin secret is in its data volume), call it through node1.
    const secret = (await p.compose(['exec', '-T', 'node2', 'cat', '/data/admin-secret'])).trim()
    const deploy = await fetch(p.url(1, '/system/functions'), {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`admin:${secret}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'echo', image: 'p2pfaas/fn-echo:latest' })
    })
    expect(deploy.status, await deploy.text()).toBe(202)
    const deadline = Date.now() + 20_000
    let res: Response
    for (;;) {
      res = await fetch(p.url(0, '/function/echo'), { method: 'POST', body: 'through node1', signal: AbortSignal.timeout(10_000) })
      if (res.status === 200 || Date.now() > deadline) break
      await res.arrayBuffer()
      await sleep(200)
    }
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('through node1')
    expect(res.headers.get('x-p2pfaas-externally-executed')).toBe('True')
    expect(JSON.parse(res.headers.get('x-p2pfaas-peers-list-id') ?? '[]').at(-1)).toBe(p.peerIds[1])

    // The function runs in a container node2 started on the project's network.
    const started = await containersOf([p.peerIds[1]!])
    expect(started.length).toBeGreaterThan(0)
    expect(await docker('inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}', started[0]!)).toBe(p.network)

    await p.compose(['down'], 60_000)
    await expectNothingLeft(p)
  }, 150_000)

  it('docker-compose-fn.yml: stack.yml deployed at start, imageproc on every node, calls under load served by peers; down leaves nothing', async () => {
    const p = withFns
    const t0 = performance.now()
    await p.compose(['up', '-d'])
    const upMs = performance.now() - t0
    const { makeSample } = await import(pathToFileURL(join(ROOT, 'docker/functions/imageproc/make-sample.mjs')).href)
    const sample = new Uint8Array(makeSample({ width: 320, height: 240 }))

    // Full mesh and first successful call, measured from `up -d`, concurrently.
    let firstCallMs = 0
    const firstCall = (async () => {
      const deadline = Date.now() + 60_000
      for (;;) {
        try {
          const r = await fetch(p.url(0, '/function/imageproc'), { method: 'POST', body: sample, signal: AbortSignal.timeout(10_000) })
          const body = Buffer.from(await r.arrayBuffer())
          if (r.status === 200) { firstCallMs = performance.now() - t0; return body }
        } catch {}
        if (Date.now() > deadline) throw new Error('no successful call within 60 s of up -d')
        await sleep(100)
      }
    })()
    p.peerIds = await waitFullMesh(p, 60_000)
    const meshMs = performance.now() - t0
    const firstBody = await firstCall
    figures.withFunctions = { upReturnsMs: Math.round(upMs), fullMeshMs: Math.round(meshMs), firstCallMs: Math.round(firstCallMs) }
    expect(firstBody.subarray(0, 2).toString('hex')).toBe('ffd8')
    expect(await p.compose(['logs', '--no-color', 'node2'])).toContain('private mesh')

    // Every node serves imageproc (JSON form) itself.
    for (const i of [0, 1, 2]) {
      const r = await fetch(p.url(i, '/function/imageproc?output=json'), { method: 'POST', body: sample, headers: { 'x-p2pfaas-scheduler-bypass': 'true' } })
      expect(r.status).toBe(200)
      expect(await r.json()).toMatchObject({ width: 320, height: 240 })
    }

    // node1 knows the others have `sleep`, then gets more calls than its 2 slots.
    const deadline = Date.now() + 20_000
    for (;;) {
      const m = await getJson<Mesh>(p.url(0, '/mesh'))
      if (m != null && m.peers.filter(peer => peer.connected && peer.functions.includes('sleep')).length === 2) break
      if (Date.now() > deadline) throw new Error(`node1 never saw sleep on both peers: ${JSON.stringify(m)}`)
      await sleep(100)
    }
    const results = await Promise.all(Array.from({ length: 9 }, async (_, i) => {
      const r = await fetch(p.url(0, '/function/sleep?ms=400'), { method: 'POST', body: String(i), signal: AbortSignal.timeout(30_000) })
      await r.arrayBuffer()
      return { status: r.status, external: r.headers.get('x-p2pfaas-externally-executed'), executor: JSON.parse(r.headers.get('x-p2pfaas-peers-list-id') ?? '[]').at(-1) }
    }))
    expect(results.map(r => r.status)).toEqual(Array(9).fill(200))
    const external = results.filter(r => r.external === 'True')
    figures.load = { calls: results.length, servedByPeers: external.length, executors: new Set(results.map(r => r.executor)).size }
    expect(external.length).toBeGreaterThan(0)
    expect(new Set(external.map(r => r.executor)).has(p.peerIds[0])).toBe(false)

    // The nodes' function containers exist now, and go with `down`.
    expect((await containersOf(p.peerIds)).length).toBeGreaterThanOrEqual(9)
    const t1 = performance.now()
    await p.compose(['down'], 60_000)
    figures.withFunctions = { ...figures.withFunctions as object, downMs: Math.round(performance.now() - t1) }
    await expectNothingLeft(p)
  }, 150_000)
})
