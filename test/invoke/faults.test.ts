import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { INVOKE_PROTOCOL } from '../../src/invoke/constants.js'
import { encodeRequest, decodeFrame } from '../../src/invoke/wire.js'
import { createMeshLibp2p } from '../../src/mesh/libp2p.js'
import { newPeer } from '../helpers/keys.js'
import { waitFor } from '../helpers/mesh.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
import type { RoutedEvent } from '../../src/invoke/service.js'
import type { NodeLoad } from '../../src/mesh/load.js'

/** Real nodes on loopback with the emulated runtime (a slot held for a set time, no container). */

const started: Array<{ stop: () => Promise<void> }> = []
afterEach(async () => { for (const s of started.splice(0).reverse()) await s.stop().catch(() => {}) })

const emu = { service: 'emu', labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': 'fixed:10ms', 'p2pfaas.concurrency': '1', 'p2pfaas.queue': '0', 'p2pfaas.timeout': '20s' } }

async function mesh (count: number): Promise<TestNode[]> {
  const nodes: TestNode[] = []
  for (let i = 0; i < count; i++) {
    const t = await startTestNode({ runtime: 'process', bootstrap: nodes.map(n => n.node.mesh.addrs()[0]!) })
    started.push(t)
    nodes.push(t)
    const res = await fetch(`${t.url}/system/functions`, { method: 'POST', headers: { authorization: t.auth, 'content-type': 'application/json' }, body: JSON.stringify(emu) })
    expect(res.status).toBe(202)
  }
  await waitFor('every node sees emu everywhere', () => nodes.every(t => nodes.every(o => o === t ||
    (t.node.mesh.view.get(o.node.mesh.peerId.toString())?.functions.includes('emu') === true && t.node.mesh.view.get(o.node.mesh.peerId.toString())?.connected === true))), 10_000)
  return nodes
}

const occupy = (t: TestNode, ms: number): Promise<Response> =>
  fetch(`${t.url}/function/emu?ms=${ms}`, { method: 'POST', headers: { 'X-P2pfaas-Scheduler-Bypass': 'true' } })

describe('faults around a hand-off', () => {
  it('a peer that dies after accepting gives one clear error at once, not a hang', async () => {
    const [a, b, c] = await mesh(3)
    const busy = occupy(a!, 4000)
    await waitFor('A busy', () => a!.node.executor.loadOf('emu')?.running === 1, 5000, 5)
    const t0 = performance.now()
    const pending = fetch(`${a!.url}/function/emu?ms=3000`, { method: 'POST' })
    const runner = await waitFor('B or C running it', () => [b!, c!].find(t => t.node.executor.loadOf('emu')?.running === 1), 5000, 5)
    await runner.stop()
    const res = await pending
    expect(res.status).toBe(502)
    expect((await res.json()).code).toBe('PEER_LOST')
    expect(performance.now() - t0).toBeLessThan(2500)
    await busy
  })

  it('an idempotent call whose peer dies is run again elsewhere', async () => {
    const [a, b, c] = await mesh(3)
    const busy = occupy(a!, 4000)
    await waitFor('A busy', () => a!.node.executor.loadOf('emu')?.running === 1, 5000, 5)
    const pending = fetch(`${a!.url}/function/emu?ms=1000`, { method: 'POST', headers: { 'X-P2pfaas-Idempotent': 'true' } })
    const runner = await waitFor('B or C running it', () => [b!, c!].find(t => t.node.executor.loadOf('emu')?.running === 1), 5000, 5)
    const other = runner === b ? c! : b!
    await runner.stop()
    const res = await pending
    expect(res.status).toBe(200)
    expect(JSON.parse(res.headers.get('x-p2pfaas-peers-list-id')!)).toEqual([a!.node.mesh.peerId.toString(), other.node.mesh.peerId.toString()])
    await busy
  })

  it('a peer that advertises free slots and refuses everything does not swallow the traffic', async () => {
    const [a, liar, honest] = await mesh(3)
    // The liar's gossip says it is idle with 10 slots; its real single slot is taken for the whole test.
    const lie: NodeLoad = { functions: [{ name: 'emu', queued: 0, running: 0, capacity: 10 }], totals: { queued: 0, running: 0, capacity: 10 } }
    liar!.node.executor.snapshot = () => lie
    const liarBusy = occupy(liar!, 8000)
    const aBusy = occupy(a!, 8000)
    await waitFor('both busy', () => a!.node.executor.loadOf('emu')?.running === 1 && liar!.node.executor.loadOf('emu')?.running === 1, 5000, 5)
    await waitFor('A believes the lie', () => a!.node.mesh.view.get(liar!.node.mesh.peerId.toString())?.load.functions[0]?.capacity === 10, 5000)
    const offeredToLiar: RoutedEvent[] = []
    liar!.node.invoke.addEventListener('call:routed', e => { if (e.detail.call.hops > 0) offeredToLiar.push(e.detail) })
    let servedByHonest = 0
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${a!.url}/function/emu?ms=5`, { method: 'POST' })
      expect(res.status).toBe(200)
      if (JSON.parse(res.headers.get('x-p2pfaas-peers-list-id')!).at(-1) === honest!.node.mesh.peerId.toString()) servedByHonest++
    }
    expect(servedByHonest).toBe(20)
    expect(offeredToLiar.length).toBeGreaterThanOrEqual(1) // it was tried, so the test means something
    expect(offeredToLiar.length).toBeLessThanOrEqual(3)
    expect(offeredToLiar.every(e => e.code === 'OVERLOADED')).toBe(true)
    await Promise.all([liarBusy, aBusy])
  })
})

describe('bad frames on the invoke protocol', () => {
  it('a caller gone before the verdict: the call does not run, and the node stays up', async () => {
    // Threshold with tau: at its threshold, a call is decided only 600 ms after it arrived, so the
    // caller can leave between its request and the verdict, as callers of a starved node do.
    const a = await startTestNode({ runtime: 'process', policy: 'threshold:T=1,tauMs=600ms' })
    started.push(a)
    const fn = { service: 'slow', labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': 'fixed:10ms', 'p2pfaas.concurrency': '2', 'p2pfaas.queue': '2', 'p2pfaas.timeout': '20s' } }
    const res = await fetch(`${a.url}/system/functions`, { method: 'POST', headers: { authorization: a.auth, 'content-type': 'application/json' }, body: JSON.stringify(fn) })
    expect(res.status).toBe(202)
    const ended: Array<{ status: number, code?: string }> = []
    a.node.executor.addEventListener('call:end', e => { if (e.detail.name === 'slow') ended.push({ status: e.detail.status, code: e.detail.code }) })
    // One slot busy: the node is at its threshold (T=1), so the next call waits for tau.
    const busy = fetch(`${a.url}/function/slow?ms=2000`, { method: 'POST', headers: { 'X-P2pfaas-Scheduler-Bypass': 'true' } })
    await waitFor('one slot busy', () => a.node.executor.loadOf('slow')?.running === 1, 5000, 5)

    const { privateKey, peerId } = await newPeer()
    const caller = await createMeshLibp2p({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'] })
    started.push({ stop: async () => { await caller.stop() } })
    await caller.start()
    const stream = await caller.dialProtocol(multiaddr(a.node.mesh.addrs()[0]!), INVOKE_PROTOCOL)
    const call = { callId: 'gone', function: 'slow', method: 'POST', path: '/', query: 'ms=10', headers: {}, body: new Uint8Array(), hops: 0, visited: [], deadline: performance.now() + 10_000, idempotent: false, bypass: false, forceForward: false }
    await lpStream(stream).write(encodeRequest(call, peerId.toString()))
    await waitFor('the call waiting for tau', () => a.node.executor.loadOf('slow')?.running === 1 && ended.length === 0, 1000, 5)
    stream.abort(new Error('the caller gives up'))

    // Decided after tau: a free slot, admitted, the verdict fails to go out, and the call is dropped.
    await waitFor('the abandoned call ended', () => ended.length >= 1, 5000, 10)
    expect(ended[0]).toMatchObject({ code: 'TIMEOUT' })
    expect(ended[0]!.status).not.toBe(200)
    expect((await busy).status).toBe(200)
    expect(ended.filter(e => e.status === 200)).toHaveLength(1)
    // Still serving.
    expect((await fetch(`${a.url}/function/slow?ms=1`, { method: 'POST' })).status).toBe(200)
  })

  it('answers malformed, inconsistent and oversized frames with a refusal or a closed stream, and keeps serving', async () => {
    const [a] = await mesh(1)
    const { privateKey, peerId } = await newPeer()
    const stranger = await createMeshLibp2p({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'] })
    started.push({ stop: async () => { await stranger.stop() } })
    await stranger.start()
    const target = multiaddr(a!.node.mesh.addrs()[0]!)
    const exchange = async (frame: Uint8Array): Promise<ReturnType<typeof decodeFrame> | 'closed'> => {
      const stream = await stranger.dialProtocol(target, INVOKE_PROTOCOL)
      const lp = lpStream(stream)
      await lp.write(frame)
      try {
        return decodeFrame((await lp.read({ signal: AbortSignal.timeout(3000) })).subarray())
      } catch {
        return 'closed'
      }
    }
    const garbage = await exchange(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x00]))
    expect(garbage).not.toBe('closed')
    if (garbage !== 'closed') expect(garbage.verdict).toMatchObject({ accepted: false, code: 'BAD_REQUEST' })

    const call = { callId: 'x', function: 'emu', method: 'POST', path: '/', query: '', headers: {}, body: new Uint8Array(), hops: 0, visited: [], deadline: performance.now() + 5000, idempotent: false, bypass: false, forceForward: false }
    // Claims to come from A itself: the last visited peer must be the authenticated sender.
    const spoofed = await exchange(encodeRequest(call, a!.node.mesh.peerId.toString()))
    expect(spoofed !== 'closed' && spoofed.verdict).toMatchObject({ accepted: false, code: 'BAD_REQUEST', message: expect.stringMatching(/sender/) })
    const badName = await exchange(encodeRequest({ ...call, function: '../etc' }, peerId.toString()))
    expect(badName !== 'closed' && badName.verdict).toMatchObject({ accepted: false, code: 'BAD_REQUEST' })

    // A length prefix far beyond the limit: the stream is dropped without reading it.
    const stream = await stranger.dialProtocol(target, INVOKE_PROTOCOL)
    stream.send(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x01]))
    const closed = await (async () => { try { for await (const _ of stream) { /* drain */ } return true } catch { return true } })()
    expect(closed).toBe(true)

    // A well-formed call from the stranger still works.
    const okStream = await stranger.dialProtocol(target, INVOKE_PROTOCOL)
    const okLp = lpStream(okStream)
    await okLp.write(encodeRequest(call, peerId.toString()))
    expect(decodeFrame((await okLp.read()).subarray()).verdict?.accepted).toBe(true)
    expect(decodeFrame((await okLp.read()).subarray()).response).toMatchObject({ status: 200, errorCode: '' })
    const res = await fetch(`${a!.url}/function/emu?ms=1`, { method: 'POST' })
    expect(res.status).toBe(200)
  })
})
