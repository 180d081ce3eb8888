import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PolicyError } from '../../src/scheduler/errors.js'
import { waitFor } from '../helpers/mesh.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
import { moduleDir, pluginSource, type ModuleDir } from './plugin-modules.js'
import type { CallOutcome } from '../../src/scheduler/types.js'

/**
 * Two real nodes in this process on loopback (mDNS off, process runtime, an emulated function): A
 * loads two plugins with --policy-module, starts under one, and is switched to the other over HTTP.
 */

/** Hands every call to the first candidate, and keeps what observe() is told where the test can read it. */
const PREFER_PEER = `export const observed = []
export default {
  name: 'prefer-peer',
  parameters: { k: { kind: 'int', min: 0, max: 9, about: 'shown in the label only' } },
  create: (params) => ({
    label: 'PreferPeer(k=' + (params.k ?? 0) + ')',
    decide: (req, local, candidates) => ({ action: 'forward', peers: [candidates[0].peerId], reason: 'a peer, always' }),
    observe: (outcome) => { observed.push(outcome) }
  })
}
`
const THROWING = pluginSource(`{ name: 'throwing', create: () => ({ decide: () => { throw new Error('bug in the plugin') } }) }`)

const EMU = { service: 'emu', labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': 'fixed:2ms', 'p2pfaas.concurrency': '4', 'p2pfaas.queue': '4' } }

let dir: ModuleDir
let preferPeer: string
let throwing: string
const nodes: TestNode[] = []
let a: TestNode
let b: TestNode

async function post (t: TestNode, path: string, body: unknown, auth = true): Promise<Response> {
  return await fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: t.auth } : {}) }, body: JSON.stringify(body) })
}

beforeAll(async () => {
  dir = await moduleDir()
  preferPeer = await dir.write('prefer-peer.mjs', PREFER_PEER)
  throwing = await dir.write('throwing.mjs', THROWING)
  a = await startTestNode({ runtime: 'process', policyModule: [preferPeer, throwing], policy: 'prefer-peer:k=3' })
  nodes.push(a)
  b = await startTestNode({ runtime: 'process', bootstrap: [a.node.mesh.addrs()[0]!] })
  nodes.push(b)
  for (const t of nodes) expect((await post(t, '/system/functions', EMU)).status).toBe(202)
  const bId = b.node.mesh.peerId.toString()
  // A candidate is a peer whose load for the function A knows: wait for B's gossiped load.
  await waitFor('A knows B\'s load for emu', () => a.node.mesh.view.get(bId)?.load.functions.some(f => f.name === 'emu') === true, 10_000)
}, 60_000)

afterAll(async () => {
  for (const t of nodes.reverse()) await t.stop()
  await dir.remove()
})

describe('a node with --policy-module', () => {
  it('refuses to start with a bad module, before touching anything', async () => {
    const bad = await dir.write('bad.mjs', pluginSource(`{ name: 'Bad Name', create () {} }`))
    await expect(startTestNode({ runtime: 'process', policyModule: [bad] })).rejects.toThrow(PolicyError)
    await expect(startTestNode({ runtime: 'process', policyModule: [preferPeer], policy: 'prefer-peer:k=12' })).rejects.toThrow(/k must be an integer from 0 to 9/)
  })

  it('runs calls under the plugin chosen with --policy, and tells it each outcome', async () => {
    const { observed } = await import(pathToFileURL(preferPeer).href) as { observed: CallOutcome[] }
    observed.length = 0
    const bId = b.node.mesh.peerId.toString()
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${a.url}/function/emu`, { method: 'POST' })
      expect(res.status).toBe(200)
      expect(res.headers.get('x-p2pfaas-scheduler')).toBe('PreferPeer(k=3)')
      expect(res.headers.get('x-p2pfaas-externally-executed')).toBe('True')
    }
    expect(observed).toHaveLength(5)
    expect(observed[0]).toMatchObject({ function: 'emu', hops: 0, action: 'forward', byPolicy: true, ranOn: bId, ok: true, status: 200, probes: 0 })
    expect(observed[0]!.totalMs).toBeGreaterThan(0)
    expect(observed[0]!.queuedMs).toBeGreaterThanOrEqual(0)
    // A rule decided this one (bypass): still observed, and marked so.
    await fetch(`${a.url}/function/emu`, { method: 'POST', headers: { 'X-P2pfaas-Scheduler-Bypass': 'true' } })
    expect(observed[5]).toMatchObject({ action: 'local', byPolicy: false, ranOn: 'local', ok: true })
    const scheduler = await (await fetch(`${a.url}/configuration/scheduler`)).json()
    expect(scheduler).toEqual({ name: 'prefer-peer', label: 'PreferPeer(k=3)', parameters: { k: 3, maxHops: 1 }, maxHops: 1 })
  })

  it('switches to a plugin over POST /configuration/scheduler (admin only, parameters checked)', async () => {
    expect((await post(a, '/configuration/scheduler', { name: 'throwing', parameters: [] }, false)).status).toBe(401)
    const unknown = await post(a, '/configuration/scheduler', { name: 'prefer-peer', parameters: ['nope=1'] })
    expect(unknown.status).toBe(400)
    expect((await unknown.json()).message).toMatch(/unknown parameter "nope"; accepted: k/)
    const set = await post(a, '/configuration/scheduler', { name: 'prefer-peer', parameters: ['k=7', 'maxHops=2'] })
    expect(set.status).toBe(200)
    expect(await set.json()).toMatchObject({ name: 'prefer-peer', label: 'PreferPeer(k=7)', maxHops: 2 })
    const ours = await post(a, '/configuration/scheduler', { policy: 'throwing' })
    expect(ours.status).toBe(200)
    expect(await ours.json()).toMatchObject({ name: 'throwing', label: 'throwing(maxHops=1)' })
  })

  it('answers every call under a plugin that throws, and counts each failure in its metric', async () => {
    expect((await post(a, '/configuration/scheduler', { name: 'throwing', parameters: [] })).status).toBe(200)
    const answers = await Promise.all(Array.from({ length: 20 }, async () => (await fetch(`${a.url}/function/emu`, { method: 'POST' })).status))
    expect(answers).toEqual(Array(20).fill(200))
    const metrics = await (await fetch(`${a.url}/metrics`)).text()
    expect(metrics).toMatch(/^p2pfaas_policy_failures_total\{policy="throwing",kind="threw"\} 20$/m)
    // Per node: B never ran a plugin.
    expect(await (await fetch(`${b.url}/metrics`)).text()).not.toMatch(/^p2pfaas_policy_failures_total\{/m)
  })
})
