import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoPath } from '../helpers/cli.js'
import { waitFor } from '../helpers/mesh.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
import { CLI_CONFIG_HOME, p2pfaas } from '../helpers/run-cli.js'

/**
 * `p2pfaas id|deploy|rm|ls|peers` against three real nodes on loopback, over the management
 * protocol only: a and c trust this CLI's identity, b trusts nobody (only its admin secret).
 */

let a: TestNode
let b: TestNode
let c: TestNode
let cliId: string

const peerOf = (t: TestNode): string => t.node.mesh.addrs().find(x => x.includes('/p2p/'))!
const idOf = (t: TestNode): string => t.node.mesh.peerId.toString()

const STACK = `version: 1.0
provider:
  name: openfaas
functions:
  echo:
    lang: node20
    handler: ./echo
    fprocess: ${process.execPath} ${repoPath('docker', 'functions', 'echo', 'classic.mjs')}
    labels:
      p2pfaas.runtime: process
  emu:
    labels:
      p2pfaas.runtime: emulated
      p2pfaas.service-time: fixed:5ms
      p2pfaas.concurrency: "2"
`

beforeAll(async () => {
  const id = await p2pfaas(['id'])
  expect(id.code, id.stderr).toBe(0)
  cliId = id.stdout.toString().trim()
  a = await startTestNode({ runtime: 'process', admin: [cliId] })
  b = await startTestNode({ runtime: 'process', bootstrap: [a.node.mesh.addrs()[0]!] })
  c = await startTestNode({ runtime: 'process', admin: [cliId], bootstrap: [a.node.mesh.addrs()[0]!] })
  await waitFor('a sees b and c', () => a.node.mesh.view.connected().length === 2, 5000)
})

afterAll(async () => {
  await c?.stop()
  await b?.stop()
  await a?.stop()
})

describe('p2pfaas id', () => {
  it('prints the same PeerId every run, from a key kept 0600 in the config dir', async () => {
    const again = await p2pfaas(['id', '--json'])
    const parsed = JSON.parse(again.stdout.toString())
    expect(parsed).toMatchObject({ peerId: cliId, created: false, keyFile: join(CLI_CONFIG_HOME, 'p2pfaas', 'identity.key') })
    expect((await stat(parsed.keyFile)).mode & 0o777).toBe(0o600)
  })
})

describe('p2pfaas deploy, ls, rm', () => {
  it('deploys every function of a stack.yml to a node that trusts the CLI, and they answer', async () => {
    const file = join(a.dataDir, 'stack.yml')
    await writeFile(file, STACK)
    const r = await p2pfaas(['deploy', '-f', file, '--peer', peerOf(a)])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.toString()).toContain(`deployed echo, emu on ${idOf(a)}`)
    expect(a.node.registry.list().map(f => f.spec.name).sort()).toEqual(['echo', 'emu'])
    expect(a.node.registry.get('emu')!.admission.concurrency).toBe(2)
    const echoed = await p2pfaas(['invoke', 'echo', '--peer', peerOf(a), '-d', 'deployed by the CLI', '--bypass'])
    expect(echoed.stdout.toString()).toBe('deployed by the CLI')
  })

  it('refuses an untrusted identity with a clear "unauthorised" and deploys nothing; the admin secret works', async () => {
    const r = await p2pfaas(['deploy', 'emu2', '--label', 'p2pfaas.runtime=emulated', '--peer', peerOf(b)])
    expect(r.code).toBe(7)
    expect(r.stderr).toMatch(/UNAUTHORIZED/)
    expect(r.stderr).toContain(cliId)
    expect(r.stderr).toMatch(/--admin/)
    expect(b.node.registry.get('emu2')).toBeUndefined()
    const rm = await p2pfaas(['rm', 'echo', '--peer', peerOf(b)])
    expect(rm.code).toBe(7)

    const withSecret = await p2pfaas(['deploy', 'emu2', '--label', 'p2pfaas.runtime=emulated', '--queue', '3', '--peer', peerOf(b), '--admin-secret-file', b.node.adminSecretPath])
    expect(withSecret.code, withSecret.stderr).toBe(0)
    expect(b.node.registry.get('emu2')!.admission.queue).toBe(3)
    const wrong = join(b.dataDir, 'wrong-secret')
    await writeFile(wrong, 'not the secret')
    const refused = await p2pfaas(['rm', 'emu2', '--peer', peerOf(b), '--admin-secret-file', wrong])
    expect(refused.code).toBe(7)
    expect(b.node.registry.get('emu2')).toBeDefined()
  })

  it('--all deploys on every node it can, and says which refused', async () => {
    const r = await p2pfaas(['deploy', 'everywhere', '--label', 'p2pfaas.runtime=emulated', '--all', '--peer', peerOf(a), '--json'])
    expect(r.code).toBe(7)
    const outcomes = JSON.parse(r.stdout.toString()) as Array<{ node: string, ok: boolean, error?: string }>
    expect(outcomes.map(o => o.node).sort()).toEqual([idOf(a), idOf(b), idOf(c)].sort())
    expect(outcomes.find(o => o.node === idOf(b))).toMatchObject({ ok: false, error: expect.stringMatching(/UNAUTHORIZED/) })
    expect(outcomes.filter(o => o.ok).map(o => o.node).sort()).toEqual([idOf(a), idOf(c)].sort())
    expect(c.node.registry.get('everywhere')).toBeDefined()
  })

  it('ls shows every function of the mesh and where it is, from gossip', async () => {
    await waitFor('a sees everywhere on c', () => a.node.mesh.view.get(idOf(c))?.functions.includes('everywhere') === true, 5000)
    await waitFor('a sees emu2 on b', () => a.node.mesh.view.get(idOf(b))?.functions.includes('emu2') === true, 5000)
    const json = await p2pfaas(['ls', '--json', '--peer', peerOf(a)])
    expect(json.code, json.stderr).toBe(0)
    const list = JSON.parse(json.stdout.toString())
    expect(list.node).toBe(idOf(a))
    expect(list.functions.map((f: { name: string }) => f.name).sort()).toEqual(['echo', 'emu', 'everywhere'])
    expect(list.functions.find((f: { name: string }) => f.name === 'echo')).toMatchObject({ runtime: 'process', invocationCount: 1 })
    expect(list.peers.find((p: { peerId: string }) => p.peerId === idOf(b)).functions).toEqual(['emu2'])
    const table = (await p2pfaas(['ls', '--peer', peerOf(a)])).stdout.toString()
    const row = table.split('\n').find(l => l.startsWith('everywhere'))!
    expect(row).toMatch(/^everywhere\s+2\s/)
    expect(table.split('\n').find(l => l.startsWith('emu2'))).toMatch(/^emu2\s+1\s+-/)
  })

  it('rm removes from a node; a function that is not there exits 4', async () => {
    const r = await p2pfaas(['rm', 'emu', '--peer', peerOf(a)])
    expect(r.code, r.stderr).toBe(0)
    expect(a.node.registry.get('emu')).toBeUndefined()
    const missing = await p2pfaas(['rm', 'emu', '--peer', peerOf(a)])
    expect(missing.code).toBe(4)
    expect(missing.stderr).toMatch(/FUNCTION_NOT_FOUND/)
  })

  it('checks input before sending anything', async () => {
    const both = await p2pfaas(['deploy', 'x', '--image', 'y', '-f', 'stack.yml', '--peer', peerOf(a)])
    expect(both.code).toBe(2)
    const badName = await p2pfaas(['deploy', 'Bad_Name', '--image', 'y', '--peer', peerOf(a)])
    expect(badName.code).toBe(2)
    const badEnv = await p2pfaas(['deploy', 'x', '--image', 'y', '--env', 'novalue', '--peer', peerOf(a)])
    expect(badEnv.code).toBe(2)
    expect(badEnv.stderr).toMatch(/key=value/)
    const badStack = join(a.dataDir, 'bad.yml')
    await writeFile(badStack, 'functions:\n  x:\n    labels:\n      p2pfaas.concurrency: lots\n')
    const r = await p2pfaas(['deploy', '-f', badStack, '--peer', peerOf(a)])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/concurrency/)
  })
})

describe('p2pfaas peers', () => {
  it('shows the node, its peers with addresses, round trips and load per function', async () => {
    const r = await p2pfaas(['peers', '--json', '--peer', peerOf(a)])
    expect(r.code, r.stderr).toBe(0)
    const view = JSON.parse(r.stdout.toString())
    expect(view.self).toMatchObject({ peerId: idOf(a), policy: expect.stringMatching(/^LeastLoaded/) })
    expect(view.self.functions.map((f: { name: string }) => f.name)).toContain('echo')
    expect(view.peers.map((p: { peerId: string }) => p.peerId).sort()).toEqual([idOf(b), idOf(c)].sort())
    for (const p of view.peers) {
      expect(p.connected).toBe(true)
      expect(p.link).toBe(true)
      // @libp2p/ping measures whole milliseconds: on loopback a round trip is often 0.
      expect(typeof p.latencyMs).toBe('number')
      expect(p.latencyMs).toBeGreaterThanOrEqual(0)
      expect(p.latencyMs).toBeLessThan(1000)
      expect(p.addrs.some((x: string) => x.startsWith('/ip4/127.0.0.1/tcp/'))).toBe(true)
    }
    const table = (await p2pfaas(['peers', '--peer', peerOf(a)])).stdout.toString()
    expect(table).toContain(`node ${idOf(a)}`)
    expect(table).toMatch(/link\s+(<1|\d+) ms/)
    expect(table).toMatch(/everywhere\(0\/\d+ q0\)/)
  })
})
