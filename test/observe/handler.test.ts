import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMeshLibp2p, type MeshLibp2p } from '../../src/mesh/libp2p.js'
import { manage, ManageClientError } from '../../src/manage/client.js'
import { observe } from '../../src/observe/client.js'
import { MAX_REQUEST_BYTES, OBSERVE_PROTOCOL, ObserveResultSchema } from '../../src/observe/protocol.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
import { jsonBytes, rawFrame } from '../helpers/raw-frame.js'

/** The node's end of /p2pfaas/observe/1.0.0, spoken to by a raw libp2p peer: its answer, edges and refusals. */

let node: TestNode
let client: MeshLibp2p
let peer: string

beforeAll(async () => {
  node = await startTestNode({ runtime: 'process' })
  client = await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: [], role: 'cli' })
  await client.start()
  peer = node.node.mesh.peerId.toString()
  await client.dial(multiaddr(node.node.mesh.addrs()[0]!))
})

afterAll(async () => {
  await client?.stop()
  await node?.stop()
})

const raw = async (bytes: Uint8Array): Promise<any> => await rawFrame(client, node.node.mesh.peerId, OBSERVE_PROTOCOL, bytes)
const json = jsonBytes

describe('the observe handler', () => {
  // Moved from test/manage/handler.test.ts with the protocol: the same answer, the same check.
  it('answers observe in the shape a dashboard node checks, and that check refuses a lying answer', async () => {
    const res = await fetch(`${node.url}/function/nothing`, { method: 'POST' })
    expect(res.status).toBe(404)
    const answer = await observe(client, peer, { sinceT: 0, sinceSeq: 0 }, AbortSignal.timeout(5000))
    expect(ObserveResultSchema.parse(answer)).toMatchObject({ node: peer, calls: [expect.objectContaining({ function: 'nothing', outcome: 'error', code: 'FUNCTION_NOT_FOUND' })] })
    for (const lie of [
      { ...answer, neighbours: 'everyone' },
      { ...answer, calls: [{ ...answer.calls[0], outcome: 'teleported' }] },
      { ...answer, seconds: [{ t: 1, functions: [{ name: 'f', arrivals: -1, local: 0, forwarded: 0, rejected: 0, errors: 0, latency: [] }] }] },
      { ...answer, neighbours: Array.from({ length: 5000 }, () => peer) }
    ]) {
      expect(ObserveResultSchema.safeParse(lie).success).toBe(false)
    }
  })

  it('answers only what is new since the cursors', async () => {
    await (await fetch(`${node.url}/function/nothing`, { method: 'POST' })).arrayBuffer()
    const first = await observe(client, peer, {}, AbortSignal.timeout(5000))
    const last = first.calls.at(-1)!.seq
    expect((await observe(client, peer, { sinceSeq: last }, AbortSignal.timeout(5000))).calls).toEqual([])
  })

  it('answers BAD_REQUEST to frames that are not JSON and unknown fields', async () => {
    expect(await raw(new Uint8Array([0xff, 0xfe, 0x00]))).toMatchObject({ ok: false, code: 'BAD_REQUEST', message: expect.stringMatching(/unreadable/) })
    expect(await raw(json({ op: 'observe' }))).toMatchObject({ ok: false, code: 'BAD_REQUEST', message: expect.stringMatching(/op/) })
    expect(await raw(json({ sinceT: -1 }))).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
  })

  it('refuses a frame larger than the protocol allows without reading it, and stays up', async () => {
    expect(await raw(new Uint8Array(MAX_REQUEST_BYTES + 1))).toMatchObject({ ok: false, code: 'BAD_REQUEST', message: expect.stringMatching(/too long/) })
    expect(await observe(client, peer, {}, AbortSignal.timeout(5000))).toMatchObject({ node: peer })
  })

  it('is no longer an operation of the management protocol', async () => {
    const err = await manage(client, peer, { op: 'observe' } as never, AbortSignal.timeout(5000)).catch(e => e)
    expect(err).toBeInstanceOf(ManageClientError)
    expect(err).toMatchObject({ code: 'BAD_REQUEST' })
  })
})
