import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI } from '../helpers/cli.js'
import { createLan, type Host, type HostProcess, type Lan } from '../helpers/lan.js'
import { waitFor } from '../helpers/mesh.js'

/**
 * Nodes on separate hosts (network namespaces on a bridge) that found each other by mDNS alone hand
 * calls to each other: each runs the emulated function from a stack file given at start.
 */

let lan: Lan
let dir: string
const hosts: Host[] = []
const nodes: HostProcess[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pfaas-lan-handoff-'))
  const stack = join(dir, 'stack.yml')
  await writeFile(stack, [
    'version: 1.0',
    'functions:',
    '  emu:',
    '    labels:',
    '      p2pfaas.runtime: emulated',
    '      p2pfaas.service-time: fixed:20ms',
    '      p2pfaas.concurrency: "1"',
    '      p2pfaas.queue: "0"'
  ].join('\n'))
  lan = createLan(3)
  hosts.push(...lan.hosts)
  for (const h of hosts) {
    nodes.push(h.spawn(process.execPath, [CLI, 'node', '--runtime', 'process', '--functions', stack, '--mdns-interval', '1000', '--data-dir', join(dir, h.name), '--log-level', 'info']))
  }
})

afterAll(async () => {
  await lan?.destroy()
  await rm(dir, { recursive: true, force: true })
})

describe('hand-off across hosts found by mDNS', () => {
  it('a busy host hands the call to another host, and the answer says which', async () => {
    const ids = await Promise.all(hosts.map(async h => await waitFor(`${h.name} up`, async () => (await lan.mesh(h))?.self.peerId, 15_000, 50)))
    await waitFor('every host sees emu on the others', async () => {
      const views = await Promise.all(hosts.map(async h => await lan.mesh(h)))
      return views.every((v, i) => v != null && ids.every((id, j) => j === i || v.peers.some(p => p.peerId === id && p.connected && p.functions.includes('emu'))))
    }, 20_000, 100).catch(async err => {
      const views = await Promise.all(hosts.map(async h => await lan.mesh(h)))
      throw new Error(`${err.message}\nviews: ${JSON.stringify(views)}\n${nodes.map(n => n.output.slice(-25).join('\n')).join('\n---\n')}`)
    })

    const first = `http://${hosts[0]!.ip}:18080`
    const busy = lan.get(`${first}/function/emu?ms=2000`, 8000)
    await waitFor('the first host busy', async () => (await lan.get(`${first}/monitoring/load`)).headers?.['x-p2pfaas-load'] === '1', 5000, 20)
    const res = await lan.get(`${first}/function/emu?ms=10`, 5000)
    expect(res.status, res.body).toBe(200)
    expect(res.headers?.['x-p2pfaas-externally-executed']).toBe('True')
    const path = JSON.parse(res.headers!['x-p2pfaas-peers-list-id']!) as string[]
    expect(path[0]).toBe(ids[0])
    expect([ids[1], ids[2]]).toContain(path[1])
    expect((await busy).status).toBe(200)
  })
})
