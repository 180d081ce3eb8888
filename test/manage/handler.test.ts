import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMeshLibp2p, type MeshLibp2p } from '../../src/mesh/libp2p.js'
import { manage, ManageClientError } from '../../src/manage/client.js'
import { MANAGE_PROTOCOL, MAX_REQUEST_BYTES } from '../../src/manage/protocol.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
import { readFileSync } from 'node:fs'
import { jsonBytes, rawFrame } from '../helpers/raw-frame.js'

/** The node's end of /p2pfaas/manage/1.0.0, spoken to by a raw libp2p peer: edges and refusals. */

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

const raw = async (bytes: Uint8Array): Promise<any> => await rawFrame(client, node.node.mesh.peerId, MANAGE_PROTOCOL, bytes)
const json = jsonBytes

describe('the management handler', () => {
  it('answers BAD_REQUEST to frames that are not JSON, unknown ops and unknown fields', async () => {
    expect(await raw(new Uint8Array([0xff, 0xfe, 0x00]))).toMatchObject({ ok: false, code: 'BAD_REQUEST', message: expect.stringMatching(/unreadable/) })
    expect(await raw(json({ op: 'format-disk' }))).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
    expect(await raw(json({ op: 'list', extra: 1 }))).toMatchObject({ ok: false, code: 'BAD_REQUEST', message: expect.stringMatching(/extra/) })
    expect(await raw(json({ op: 'deploy', stack: 'a: b', functions: [{}] }))).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
    expect(await raw(json({ op: 'remove', name: '../etc' }))).toMatchObject({ ok: false, code: 'BAD_REQUEST' })
  })

  it('checks authorisation before it parses what to deploy', async () => {
    expect(await raw(json({ op: 'deploy', functions: [{ service: 'x', image: 'y' }] }))).toMatchObject({ ok: false, code: 'UNAUTHORIZED' })
    expect(node.node.registry.get('x')).toBeUndefined()
  })

  it('refuses a frame larger than the protocol allows without reading it, and stays up', async () => {
    expect(await raw(new Uint8Array(MAX_REQUEST_BYTES + 1))).toMatchObject({ ok: false, code: 'BAD_REQUEST', message: expect.stringMatching(/too long/) })
    expect(await manage(client, peer, { op: 'list' }, AbortSignal.timeout(5000))).toMatchObject({ node: peer, functions: [] })
  })

  it('tells a peer who it is and whether it may change things', async () => {
    const secret = readFileSync(node.node.adminSecretPath, 'utf8').trim()
    expect(await manage(client, peer, { op: 'whoami' }, AbortSignal.timeout(5000))).toEqual({ you: client.peerId.toString(), admin: false, node: peer })
    expect(await manage(client, peer, { op: 'whoami', secret }, AbortSignal.timeout(5000))).toMatchObject({ admin: true })
  })

  it('reports a deploy that fails in the runtime with its code and what was deployed before it', async () => {
    const secret = readFileSync(node.node.adminSecretPath, 'utf8').trim()
    const err = await manage(client, peer, {
      op: 'deploy',
      secret,
      functions: [{ service: 'fine', labels: { 'p2pfaas.runtime': 'emulated' } }, { service: 'needs-docker', image: 'p2pfaas/fn-echo:latest' }]
    }, AbortSignal.timeout(5000)).catch(e => e)
    expect(err).toBeInstanceOf(ManageClientError)
    expect(err).toMatchObject({ code: 'DEPLOY_FAILED', deployed: ['fine'] })
    expect(err.message).toMatch(/no Docker engine/)
  })
})
