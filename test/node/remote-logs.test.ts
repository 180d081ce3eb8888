import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { INVOKE_PROTOCOL, PROBE_PROTOCOL } from '../../src/invoke/constants.js'
import { encodeJson, MANAGE_PROTOCOL } from '../../src/manage/protocol.js'
import { LINK_PROTOCOL } from '../../src/mesh/link-session.js'
import { createMeshLibp2p, type MeshLibp2p } from '../../src/mesh/libp2p.js'
import { resolveNodeConfig } from '../../src/node/config.js'
import { createNode, type P2pfaasNode } from '../../src/node/node.js'
import { newPeer } from '../helpers/keys.js'
import { waitFor } from '../helpers/mesh.js'

/**
 * One foreign peer (a libp2p node with a P2PFaaS agent string, so the node talks to it) sends
 * garbage on every protocol, over its rates, for a while; a client sends garbage HTTP bodies. The
 * node's log, captured whole, stays a few lines long, and the lines it holds back are counted.
 */

const WARN_INTERVAL_MS = 1000
const lines: Array<Record<string, unknown>> = []
const log = pino({ level: 'info', base: undefined }, { write: (line: string) => { lines.push(JSON.parse(line)) } })
let dir: string
let node: P2pfaasNode
let url: string
let rogue: MeshLibp2p

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pfaas-logs-'))
  const config = resolveNodeConfig({
    mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], http: '127.0.0.1:0', heartbeat: '200', dataDir: dir, runtime: 'process',
    peerInvokeRate: '20', peerManageRate: '5', warnInterval: String(WARN_INTERVAL_MS)
  }, {})
  node = await createNode(config, log)
  await node.start()
  url = node.gateway.url()
  rogue = await createMeshLibp2p({ privateKey: (await newPeer()).privateKey, listen: [], role: 'node' })
  await rogue.start()
  await connect()
})

afterAll(async () => {
  await rogue?.stop()
  await node?.stop()
  if (dir != null) await rm(dir, { recursive: true, force: true })
})

/**
 * Connects and waits for identify to finish: streams opened on a connection before that (ten or so
 * at once) get the whole connection reset, whatever they carry; a flooder would wait too.
 */
async function connect (): Promise<void> {
  let identified = false
  const onIdentify = (evt: CustomEvent<{ peerId: { toString: () => string } }>): void => { identified ||= evt.detail.peerId.toString() === node.mesh.peerId.toString() }
  rogue.addEventListener('peer:identify', onIdentify)
  try {
    await rogue.dial(multiaddr(node.mesh.addrs()[0]!))
    await waitFor('identify', () => identified)
  } finally {
    rogue.removeEventListener('peer:identify', onIdentify)
  }
}

/** Opens a stream, sends one length-prefixed frame, reads one answer if any comes: the whole exchange, never a throw. */
async function send (protocol: string, frame: Uint8Array): Promise<void> {
  try {
    const stream = await rogue.dialProtocol(node.mesh.peerId, protocol, { signal: AbortSignal.timeout(5000) })
    const lp = lpStream(stream)
    await lp.write(frame, { signal: AbortSignal.timeout(5000) })
    await lp.read({ signal: AbortSignal.timeout(5000) }).catch(() => {})
    await stream.close().catch(() => {})
  } catch {}
}

const garbage = (): Uint8Array<ArrayBuffer> => new Uint8Array(randomBytes(1 + Math.floor(Math.random() * 200)))
const json = (v: unknown): Uint8Array => encodeJson(v)

/** One round: garbage on each protocol, requests it may not make, and bad HTTP bodies. */
async function round (): Promise<number> {
  const sends = [
    ...Array.from({ length: 10 }, async () => { await send(INVOKE_PROTOCOL, garbage()) }),
    ...Array.from({ length: 5 }, async () => { await send(PROBE_PROTOCOL, garbage()) }),
    send(MANAGE_PROTOCOL, garbage()),
    send(MANAGE_PROTOCOL, json({ op: 'deploy', functions: [{ service: 'x', image: 'y' }] })),
    send(MANAGE_PROTOCOL, json({ op: 'remove', name: 'x' })),
    send(LINK_PROTOCOL, garbage()),
    fetch(`${url}/system/functions`, { method: 'POST', body: garbage(), headers: { 'content-type': 'application/json' } }).then(async r => { await r.arrayBuffer() }),
    fetch(`${url}/configuration`, { method: 'POST', body: '{"queue_length_max": "lots"', headers: { 'content-type': 'application/json' } }).then(async r => { await r.arrayBuffer() }),
    fetch(`${url}/function/Bad_Name`, { method: 'POST', body: garbage() }).then(async r => { await r.arrayBuffer() })
  ]
  await Promise.all(sends)
  return sends.length
}

describe('what a foreign peer\'s garbage costs the log', () => {
  it('is a few lines per reason and interval, each naming the peer, with the rest counted as suppressed', async () => {
    const before = lines.length
    const t0 = performance.now()
    // A bad link frame first: the node cuts the peer off (a ban, its connection closed). The peer
    // comes back on a new connection and carries on; its link streams are refused from then on.
    await send(LINK_PROTOCOL, garbage())
    await waitFor('the ban', () => lines.some(l => l.reason === 'banned'))
    await waitFor('the cut connection gone', () => rogue.getConnections(node.mesh.peerId).length === 0 && node.mesh.libp2p.getConnections(rogue.peerId).length === 0)
    await connect()
    let sent = 1
    // Until the node has had to hold lines back and say so (at least one warning interval), and has
    // had more than 200 pieces of garbage: counted, not timed, so a slow machine sends as many.
    await waitFor('a line with a suppressed count, after 200 pieces of garbage', async () => {
      sent += await round()
      return sent > 200 && lines.slice(before).some(l => typeof l.suppressed === 'number' && l.suppressed > 0)
    }, 60_000, 0)
    const intervals = Math.ceil((performance.now() - t0) / WARN_INTERVAL_MS)
    const caused = lines.slice(before)
    const warnings = caused.filter(l => (l.level as number) >= 40)
    const reasons = new Set(warnings.map(l => `${String(l.peer)} ${String(l.reason)}`))

    // Throttled invokes, probes and management requests, unauthorised ones, a bad link frame, the ban.
    expect([...reasons].every(r => r.startsWith(rogue.peerId.toString()))).toBe(true)
    expect(reasons.size).toBeLessThanOrEqual(6)
    expect(warnings.length).toBeLessThanOrEqual(reasons.size * (intervals + 1))
    // Far fewer lines than pieces of garbage, however long the machine took to send them.
    expect(warnings.length).toBeLessThan(sent / 5)
    expect(warnings.find(l => l.reason === 'throttled invoke')).toMatchObject({ peer: rogue.peerId.toString(), component: 'invoke' })
    expect(warnings.find(l => l.reason === 'unauthorised')).toMatchObject({ component: 'manage', op: expect.any(String) })
    // Nothing else the peer or the HTTP client sent wrote a line at any level.
    expect(caused.length - warnings.length).toBeLessThanOrEqual(2)
  }, 90_000)
})
