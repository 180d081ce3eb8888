import { readFileSync } from 'node:fs'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { manage, ManageClientError } from '../../src/manage/client.js'
import { observe } from '../../src/observe/client.js'
import { createMeshLibp2p, type MeshLibp2p } from '../../src/mesh/libp2p.js'
import { newPeer } from '../helpers/keys.js'
import { waitFor } from '../helpers/mesh.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
import { p2pfaas } from '../helpers/run-cli.js'

/**
 * `--private-reads` on real nodes over loopback: node A keeps its reads private and trusts one CLI
 * identity; node B, a member of the same mesh, runs with the default (open reads).
 */

let a: TestNode
let b: TestNode
let stranger: MeshLibp2p
let trusted: MeshLibp2p
let secret: string

const READS = ['/mesh', '/monitoring/load', '/configuration', '/configuration/scheduler', '/metrics', '/', '/ui/style.css', '/api/dashboard']
const MANAGE_READS = [{ op: 'list' }, { op: 'peers' }, { op: 'load' }, { op: 'observe' }] as const

const client = async (): Promise<MeshLibp2p> => {
  const libp2p = await createMeshLibp2p({ privateKey: (await newPeer()).privateKey, listen: [], role: 'cli' })
  await libp2p.start()
  return libp2p
}

beforeAll(async () => {
  stranger = await client()
  trusted = await client()
  a = await startTestNode({ runtime: 'process', privateReads: true, admin: [trusted.peerId.toString()] })
  b = await startTestNode({ runtime: 'process', bootstrap: [a.node.mesh.addrs()[0]!] })
  secret = readFileSync(a.node.adminSecretPath, 'utf8').trim()
  for (const c of [stranger, trusted]) await c.dial(multiaddr(a.node.mesh.addrs()[0]!))
  await stranger.dial(multiaddr(b.node.mesh.addrs()[0]!))
  await waitFor('A and B members of each other', () => a.node.mesh.membership.table.get(b.node.mesh.peerId.toString()) != null &&
    b.node.mesh.membership.table.get(a.node.mesh.peerId.toString()) != null, 10_000)
})

afterAll(async () => {
  await stranger?.stop()
  await trusted?.stop()
  await b?.stop()
  await a?.stop()
})

/** A read over its protocol: `observe` has its own (/p2pfaas/observe/1.0.0), the others are management ops. */
const ask = async (from: MeshLibp2p, node: TestNode, request: Parameters<typeof manage>[2] | { op: 'observe', secret?: string }): Promise<unknown> => {
  const peer = node.node.mesh.peerId.toString()
  const signal = AbortSignal.timeout(5000)
  if (request.op === 'observe') return await observe(from, peer, request.secret == null ? {} : { secret: request.secret }, signal).catch((e: Error) => e)
  return await manage(from, peer, request, signal).catch((e: ManageClientError) => e)
}

describe('--private-reads over HTTP', () => {
  it('answers every read that reveals the mesh 401 UNAUTHORIZED without the admin credentials', async () => {
    for (const path of READS) {
      const res = await fetch(`${a.url}${path}`)
      expect(res.status, path).toBe(401)
      expect(res.headers.get('www-authenticate'), path).toMatch(/^Basic realm="p2pfaas"/)
      expect(await res.json(), path).toMatchObject({ code: 'UNAUTHORIZED' })
      expect((await fetch(`${a.url}${path}`, { headers: { authorization: 'Bearer not-the-secret' } })).status, path).toBe(401)
    }
    const stream = await fetch(`${a.url}/api/dashboard/stream`)
    expect(stream.status).toBe(401)
  })

  it('answers them with the credentials, Basic or Bearer', async () => {
    for (const path of READS) {
      const res = await fetch(`${a.url}${path}`, { headers: { authorization: a.auth } })
      expect(res.status, path).toBe(200)
      await res.arrayBuffer()
    }
    const mesh = await (await fetch(`${a.url}/mesh`, { headers: { authorization: `Bearer ${secret}` } })).json() as { peers: Array<{ peerId: string }> }
    expect(mesh.peers.map(p => p.peerId)).toContain(b.node.mesh.peerId.toString())
    const stream = await fetch(`${a.url}/api/dashboard/stream`, { headers: { authorization: a.auth } })
    expect(stream.status).toBe(200)
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/)
    await stream.body?.cancel()
  })

  it('keeps /healthz and calls open', async () => {
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200)
    const call = await fetch(`${a.url}/function/nothing`, { method: 'POST' })
    expect(call.status).toBe(404)
    expect(await call.json()).toMatchObject({ code: 'FUNCTION_NOT_FOUND' })
  })

  it('changes nothing on a node without the option', async () => {
    for (const path of READS) {
      const res = await fetch(`${b.url}${path}`)
      expect(res.status, path).toBe(200)
      await res.arrayBuffer()
    }
    expect((await fetch(`${b.url}/system/functions`)).status).toBe(401)
  })
})

describe('--private-reads over libp2p', () => {
  it('refuses the reads to a stranger with UNAUTHORIZED, and answers whoami', async () => {
    for (const request of MANAGE_READS) {
      expect(await ask(stranger, a, request), request.op).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/reads are private/) })
    }
    expect(await ask(stranger, a, { op: 'whoami' })).toMatchObject({ admin: false })
  })

  it('answers a stranger with the secret, a trusted identity and a member of the mesh', async () => {
    for (const request of MANAGE_READS) {
      expect(await ask(stranger, a, { ...request, secret }), request.op).not.toBeInstanceOf(Error)
      expect(await ask(trusted, a, request), request.op).not.toBeInstanceOf(Error)
      // B's own libp2p: what B's dashboard asks A for, and B learns A's members by gossip anyway.
      expect(await ask(b.node.mesh.libp2p, a, request), request.op).not.toBeInstanceOf(Error)
    }
    expect(await ask(stranger, a, { op: 'list', secret: 'x'.repeat(24) })).toMatchObject({ code: 'UNAUTHORIZED' })
  })

  it('changes nothing on a node without the option', async () => {
    for (const request of MANAGE_READS) {
      expect(await ask(stranger, b, request), request.op).not.toBeInstanceOf(Error)
    }
  })

  it('lets the CLI read with --admin-secret-file, and says why without it', async () => {
    const peer = a.node.mesh.addrs().find(x => x.includes('/p2p/'))!
    const refused = await p2pfaas(['ls', '--peer', peer])
    expect(refused.code).toBe(7)
    expect(refused.stderr.toString()).toMatch(/UNAUTHORIZED: .*reads are private/)
    const file = `${a.dataDir}/admin-secret`
    const ls = await p2pfaas(['ls', '--peer', peer, '--admin-secret-file', file, '--json'])
    expect(ls.code, ls.stderr.toString()).toBe(0)
    expect(JSON.parse(ls.stdout.toString())).toMatchObject({ node: a.node.mesh.peerId.toString() })
    const peers = await p2pfaas(['peers', '--peer', peer, '--admin-secret-file', file, '--json', '--no-ping'])
    expect(peers.code, peers.stderr.toString()).toBe(0)
  })
})
