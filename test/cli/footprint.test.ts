import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CLI, repoPath } from '../helpers/cli.js'
import { waitFor } from '../helpers/mesh.js'

/**
 * What an idle `p2pfaas node` carries, on a real node process: the modules it has no use for are
 * not loaded, and it starts with V8's young generation at its smallest. (npm run bench:footprint
 * measures the memory itself.)
 */

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

async function freePort (): Promise<number> {
  return await new Promise(resolve => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => { resolve(p) }) }) })
}

/** Starts `p2pfaas node --runtime process` (loopback, mDNS off) with the module recorder preloaded. */
async function startNode (): Promise<{ url: string, stop: () => Promise<string[]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'p2pfaas-footprint-'))
  const modules = join(dir, 'modules.txt')
  const port = await freePort()
  const proc = spawn(process.execPath, ['-r', repoPath('test', 'helpers', 'loaded-modules.cjs'), CLI, 'node', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0',
    '--http', `127.0.0.1:${port}`, '--data-dir', join(dir, 'data'), '--runtime', 'process', '--log-level', 'error'],
  { stdio: 'ignore', env: { ...process.env, P2PFAAS_TEST_LOADED_MODULES: modules } })
  const exited = new Promise(resolve => proc.once('exit', resolve))
  cleanups.push(async () => { proc.kill('SIGKILL'); await exited; await rm(dir, { recursive: true, force: true }) })
  const url = `http://127.0.0.1:${port}`
  await waitFor('the node answers /healthz', async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200, 20_000, 50)
  return {
    url,
    async stop () {
      proc.kill('SIGTERM')
      await exited
      return (await readFile(modules, 'utf8')).split('\n').filter(l => l !== '')
    }
  }
}

const packageOf = (path: string): string | undefined => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1]

describe('an idle p2pfaas node', () => {
  it('starts with the smallest young generation, counts its heap trims, and loads neither Docker nor what only some calls need', async () => {
    const node = await startNode()
    const metrics = await (await fetch(`${node.url}/metrics`)).text()
    const young = Number(/^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)$/m.exec(metrics)?.[1])
    // 2 MiB: two 1 MiB semi-spaces. Grown while modules loaded, it was 32 MiB on a large host
    // (8 MiB on a 1 GiB board).
    expect(young).toBeGreaterThan(0)
    expect(young).toBeLessThanOrEqual(4 * 1024 * 1024)
    // The command's own heap trim (src/heap-trim.ts) shows on the node's /metrics: a fresh node has
    // not grown past its mark, so it has not trimmed.
    expect(metrics).toMatch(/^# TYPE p2pfaas_heap_trims_total counter$/m)
    expect(Number(/^p2pfaas_heap_trims_total (\d+)$/m.exec(metrics)?.[1])).toBe(0)

    const packages = new Set((await node.stop()).map(packageOf))
    // The command is a bundle (scripts/bundle.mjs): what it loads from node_modules is only what the
    // bundle leaves outside, and the heavy outside parts are loaded on first use. The recorder sees
    // what a node does load...
    expect(packages, 'pino').toContain('pino')
    for (const bundled of ['fastify', 'prom-client', 'commander', 'libp2p']) expect(packages, bundled).not.toContain(bundled)
    // ...and not what --runtime process, no --functions and stderr not a terminal never use.
    for (const unused of ['dockerode', 'docker-modem', 'ssh2', '@grpc/grpc-js', 'undici', 'yaml', 'pino-pretty']) expect(packages, unused).not.toContain(unused)
    // Fastify's schema compilers and inject() stay outside the bundle, and the gateway never asks
    // for them (it gives its own compilers: src/gateway/server.ts).
    for (const unused of ['ajv', '@fastify/ajv-compiler', 'fast-json-stringify', '@fastify/fast-json-stringify-compiler', 'light-my-request']) expect(packages, unused).not.toContain(unused)
  })

  it('is a bundle of ASCII only, without what it never runs', async () => {
    const dir = repoPath('dist', 'src', 'bin')
    const chunks = (await readdir(dir)).filter(f => f.endsWith('.js'))
    expect(chunks.length).toBeGreaterThan(1)
    const sources: string[] = []
    for (const chunk of chunks) {
      // One character beyond ASCII and V8 holds and scans the whole chunk as UTF-16.
      expect(/[^\x00-\x7f]/.exec(await readFile(join(dir, chunk), 'utf8'))?.[0], chunk).toBeUndefined()
      sources.push(...JSON.parse(await readFile(join(dir, `${chunk}.map`), 'utf8')).sources as string[])
    }
    const bundles = (path: RegExp): boolean => sources.some(s => path.test(s))
    expect(bundles(/\/node_modules\/fastify\/fastify\.js$/), 'fastify').toBe(true)
    // zod without its 40 locales (a namespace import lets esbuild drop what is not used)...
    expect(bundles(/\/node_modules\/zod\/v4\/locales\/en\.js$/), 'zod, in English').toBe(true)
    expect(bundles(/\/node_modules\/zod\/v4\/locales\/(?!en\.js$)[^/]+$/), 'zod, in any other language').toBe(false)
    // ...and fastify without its schema compilers (only fast-json-stringify's small serializer, for
    // fastify's own error replies).
    for (const unused of [/\/node_modules\/ajv\//, /\/node_modules\/fast-json-stringify\/index\.js$/, /\/node_modules\/light-my-request\//]) expect(bundles(unused), String(unused)).toBe(false)
  })
})
