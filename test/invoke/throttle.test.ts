import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInvokeClient, type HandOffResult } from '../../src/invoke/client.js'
import { manage, ManageClientError } from '../../src/manage/client.js'
import { createMeshLibp2p, type MeshLibp2p } from '../../src/mesh/libp2p.js'
import { newPeer } from '../helpers/keys.js'
import { waitFor } from '../helpers/mesh.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
import { newCall, type Call } from '../../src/invoke/call.js'
import type { PeerFunctionLoad } from '../../src/wire/invoke.js'

/**
 * Per-peer rates on real nodes over loopback: node A (the function's only holder) takes 10 calls/s
 * and 5 management requests/s from any one peer. A flooding client gets THROTTLED; node B, an honest
 * member that forwards its clients' calls to A, and an honest management client are served meanwhile.
 */

const emu = { service: 'emu', labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': 'fixed:1ms', 'p2pfaas.concurrency': '64', 'p2pfaas.queue': '64' } }

let a: TestNode
let b: TestNode
let flooder: MeshLibp2p
let honest: MeshLibp2p
let target: string

const client = async (): Promise<MeshLibp2p> => {
  const libp2p = await createMeshLibp2p({ privateKey: (await newPeer()).privateKey, listen: [], role: 'cli' })
  await libp2p.start()
  await libp2p.dial(multiaddr(a.node.mesh.addrs()[0]!))
  return libp2p
}

beforeAll(async () => {
  a = await startTestNode({ runtime: 'process', peerInvokeRate: '10', peerManageRate: '5' })
  const res = await fetch(`${a.url}/system/functions`, { method: 'POST', headers: { authorization: a.auth, 'content-type': 'application/json' }, body: JSON.stringify(emu) })
  expect(res.status).toBe(202)
  b = await startTestNode({ runtime: 'process', bootstrap: [a.node.mesh.addrs()[0]!] })
  target = a.node.mesh.peerId.toString()
  await waitFor('B sees emu on A', () => b.node.mesh.view.get(target)?.functions.includes('emu') === true && b.node.mesh.view.get(target)?.connected === true, 10_000)
  flooder = await client()
  honest = await client()
})

afterAll(async () => {
  await flooder?.stop()
  await honest?.stop()
  await b?.stop()
  await a?.stop()
})

const call = (): Call => newCall({ function: 'emu', body: new Uint8Array([1]), deadline: performance.now() + 10_000 })
const flood = async (from: MeshLibp2p, n: number): Promise<HandOffResult[]> => {
  const client = createInvokeClient({ libp2p: from })
  return await Promise.all(Array.from({ length: n }, async () => await client.handOff({ peer: target, call: call(), maxBodyBytes: 1024 * 1024, signal: AbortSignal.timeout(10_000), fromClient: true })))
}
const probeLoad = async (from: MeshLibp2p, peer: string, fn: string, signal: AbortSignal): Promise<PeerFunctionLoad | undefined> =>
  await createInvokeClient({ libp2p: from }).probeLoad({ peer, function: fn, signal })

async function throttledCount (protocol: string): Promise<number> {
  const text = await (await fetch(`${a.url}/metrics`)).text()
  const m = new RegExp(`^p2pfaas_peer_requests_throttled_total\\{protocol="${protocol}"\\} (\\d+)$`, 'm').exec(text)
  return m == null ? NaN : Number(m[1])
}

describe('per-peer rates', () => {
  it('answers a flooding peer THROTTLED while an honest member\'s forwarded calls succeed', async () => {
    const honestCalls = (async () => {
      const statuses: number[] = []
      for (let i = 0; i < 10; i++) statuses.push((await fetch(`${b.url}/function/emu`, { method: 'POST', body: 'x', headers: { 'X-P2pfaas-Scheduler-Forward': 'true' } })).status)
      return statuses
    })()
    const t0 = performance.now()
    const results = await flood(flooder, 200)
    const seconds = (performance.now() - t0) / 1000
    const codes = results.map(r => r.outcome === 'refused' ? r.code : r.outcome === 'answered' ? String(r.response.status) : r.outcome)
    const throttled = codes.filter(c => c === 'THROTTLED').length
    // A burst is two seconds' worth (20), then 10 a second for as long as the flood took.
    expect(codes.filter(c => c === '200').length).toBeGreaterThanOrEqual(20)
    expect(codes.filter(c => c === '200').length).toBeLessThanOrEqual(20 + Math.ceil(seconds * 10))
    expect(throttled + codes.filter(c => c === '200').length).toBe(200)
    const refusal = results.find(r => r.outcome === 'refused')
    expect(refusal).toMatchObject({ code: 'THROTTLED', message: expect.stringMatching(/at most 10 calls\/s from one peer \(--peer-invoke-rate\)/) })
    expect(await honestCalls).toEqual(Array(10).fill(200))
    // The honest member's calls did reach A (B holds no emu): A ran them for B.
    expect(b.node.registry.get('emu')).toBeUndefined()
    expect(await throttledCount('invoke')).toBe(throttled)
  })

  it('resets a flooding peer\'s load probes while another peer\'s are answered', async () => {
    const t0 = performance.now()
    const answers = await Promise.all(Array.from({ length: 60 }, async () => await probeLoad(flooder, target, 'emu', AbortSignal.timeout(5000))))
    const seconds = (performance.now() - t0) / 1000
    const answered = answers.filter(x => x !== undefined).length
    // A burst is two seconds' worth (20), then 10 a second for as long as the flood took.
    expect(answered).toBeGreaterThanOrEqual(20)
    expect(answered).toBeLessThanOrEqual(20 + Math.ceil(seconds * 10))
    expect(answered).toBeLessThan(60)
    expect(await probeLoad(honest, target, 'emu', AbortSignal.timeout(5000))).toMatchObject({ capacity: 64 })
    expect(await throttledCount('probe')).toBe(60 - answered)
  })

  it('answers a peer flooding management requests THROTTLED while another peer is served', async () => {
    const ask = async (): Promise<string> => await manage(flooder, target, { op: 'load' }, AbortSignal.timeout(5000)).then(() => 'ok', (e: ManageClientError) => e.code)
    const codes: string[] = []
    const t0 = performance.now()
    // Eight at a time: the protocol takes 16 streams at once per connection.
    for (let round = 0; round < 5; round++) codes.push(...await Promise.all(Array.from({ length: 8 }, ask)))
    const seconds = (performance.now() - t0) / 1000
    const served = codes.filter(c => c === 'ok').length
    // A burst is two seconds' worth (10), then 5 a second for as long as the flood took: bounds
    // that hold however slow the machine is, where a fixed count would assume a fast one.
    expect(served).toBeGreaterThanOrEqual(10)
    expect(served).toBeLessThanOrEqual(10 + Math.ceil(seconds * 5))
    expect(codes.every(c => c === 'ok' || c === 'THROTTLED')).toBe(true)
    expect(await manage(honest, target, { op: 'list' }, AbortSignal.timeout(5000))).toMatchObject({ node: target, functions: [expect.objectContaining({ name: 'emu' })] })
    // Once its bucket is empty, eight at once are more than it refills: one of them is refused, saying why.
    let err: ManageClientError | undefined
    let more = 0
    for (let round = 0; round < 10 && err == null; round++) {
      const errors = await Promise.all(Array.from({ length: 8 }, async () => await manage(flooder, target, { op: 'load' }, AbortSignal.timeout(5000)).then(() => undefined, (e: ManageClientError) => e)))
      more += errors.filter(e => e?.code === 'THROTTLED').length
      err = errors.find(e => e != null)
    }
    expect(err).toMatchObject({ code: 'THROTTLED', message: expect.stringMatching(/at most 5 management requests\/s from one peer/) })
    expect(await throttledCount('manage')).toBe(40 - served + more)
  })
})
