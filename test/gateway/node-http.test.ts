import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveNodeConfig } from '../../src/node/config.js'
import { createNode, type P2pfaasNode } from '../../src/node/node.js'
import { quietLog, waitFor } from '../helpers/mesh.js'
import type { MeshResponse } from '../../src/gateway/mesh.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

async function startNode (opts: { dataDir?: string, bootstrap?: string[] } = {}): Promise<{ node: P2pfaasNode, dataDir: string, url: string }> {
  const dataDir = opts.dataDir ?? await mkdtemp(join(tmpdir(), 'p2pfaas-node-'))
  if (opts.dataDir == null) cleanups.push(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const config = resolveNodeConfig({ mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], http: '127.0.0.1:0', dataDir, bootstrap: opts.bootstrap, heartbeat: '200' }, {})
  const node = await createNode(config, quietLog)
  await node.start()
  let stopped = false
  const stop = async (): Promise<void> => { if (!stopped) { stopped = true; await node.stop() } }
  cleanups.push(stop)
  return { node, dataDir, url: node.gateway.url() }
}

describe('the node over HTTP', () => {
  it('answers /healthz, /mesh and unknown routes with JSON', async () => {
    const a = await startNode()
    const health = await fetch(`${a.url}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })

    const b = await startNode({ bootstrap: [a.node.mesh.addrs()[0]!] })
    const view = await waitFor('b in /mesh', async () => {
      const v = await (await fetch(`${a.url}/mesh`)).json() as MeshResponse
      return v.peers.some(p => p.peerId === b.node.mesh.peerId.toString() && p.connected) ? v : undefined
    })
    expect(view.self.peerId).toBe(a.node.mesh.peerId.toString())
    expect(view.self.addrs.length).toBeGreaterThan(0)
    expect(multiaddr(view.self.addrs[0]!).toString()).toContain('/ip4/127.0.0.1/tcp/')
    const peer = view.peers[0]!
    expect(Object.keys(peer).sort()).toEqual(['addrs', 'connected', 'functions', 'lastSeenMs', 'link', 'load', 'loadAgeMs', 'peerId'])
    expect(peer.link).toBe(true)
    expect(peer.lastSeenMs).toBeGreaterThanOrEqual(0)
    expect(peer.lastSeenMs).toBeLessThan(1000)
    expect(peer.loadAgeMs).toBeGreaterThanOrEqual(0)
    expect(peer.loadAgeMs).toBeLessThan(1000)

    const missing = await fetch(`${a.url}/nope?x=1`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ code: 'NOT_FOUND', message: 'no route GET /nope' })
  })

  it('bounds and checks what comes into /function before any function sees it', async () => {
    const a = await startNode()
    const missing = await fetch(`${a.url}/function/nope`, { method: 'POST', body: 'x', headers: { 'x-call-id': 'my-trace-1' } })
    expect(missing.status).toBe(404)
    expect(missing.headers.get('x-call-id')).toBe('my-trace-1')
    expect(await missing.json()).toMatchObject({ code: 'FUNCTION_NOT_FOUND', callId: 'my-trace-1' })
    const bad = await fetch(`${a.url}/function/Bad_Name`)
    expect(bad.status).toBe(400)
    expect((await bad.json()).code).toBe('BAD_REQUEST')
    const huge = await fetch(`${a.url}/function/echo`, { method: 'POST', body: new Uint8Array(17 * 1024 * 1024) })
    expect(huge.status).toBe(413)
    expect((await huge.json()).code).toBe('PAYLOAD_TOO_LARGE')
    // A made-up call id is not echoed back when it is not a plain token.
    const odd = await fetch(`${a.url}/function/nope`, { headers: { 'x-call-id': 'a b<c>' } })
    expect(odd.headers.get('x-call-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('tells its neighbours the executor\'s load: a peer sees the functions and their slots', async () => {
    const a = await startNode()
    const b = await startNode({ bootstrap: [a.node.mesh.addrs()[0]!] })
    a.node.executor.register('echo', { concurrency: 3, queue: 2, timeoutMs: 1000 }, async () => { throw new Error('not called') })
    const seen = await waitFor('b sees echo on a', () => {
      const peer = b.node.mesh.view.get(a.node.mesh.peerId.toString())
      return peer?.functions.includes('echo') === true ? peer : undefined
    }, 3000)
    expect(seen.load.functions).toEqual([{ name: 'echo', queued: 0, running: 0, capacity: 3 }])
    expect(seen.load.totals).toEqual({ queued: 0, running: 0, capacity: 3 })
  })

  it('keeps its PeerId across a restart and rejoins its peer', async () => {
    const a = await startNode()
    const dataDir = await mkdtemp(join(tmpdir(), 'p2pfaas-node-'))
    cleanups.push(async () => { await rm(dataDir, { recursive: true, force: true }) })
    const first = await startNode({ dataDir, bootstrap: [a.node.mesh.addrs()[0]!] })
    const id = first.node.mesh.peerId.toString()
    await waitFor('joined', () => a.node.mesh.view.get(id)?.connected === true)
    await first.node.stop()
    await waitFor('marked disconnected', () => a.node.mesh.view.get(id)?.connected !== true)
    const second = await startNode({ dataDir, bootstrap: [a.node.mesh.addrs()[0]!] })
    expect(second.node.mesh.peerId.toString()).toBe(id)
    await waitFor('rejoined', () => a.node.mesh.view.get(id)?.connected === true, 5000)
  })

  it('refuses to start on a port already taken, and leaves nothing running', async () => {
    const a = await startNode()
    const port = new URL(a.url).port
    const dataDir = await mkdtemp(join(tmpdir(), 'p2pfaas-node-'))
    cleanups.push(async () => { await rm(dataDir, { recursive: true, force: true }) })
    const node = await createNode(resolveNodeConfig({ mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], http: `127.0.0.1:${port}`, dataDir }, {}), quietLog)
    await expect(node.start()).rejects.toThrow(/EADDRINUSE/)
    expect(node.mesh.libp2p.status).toBe('stopped')
  })
})
