import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/mesh.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
import { p2pfaas } from '../helpers/run-cli.js'
import type { SummaryDocument } from '../../src/cli/experiment/output.js'
import type { ExperimentCall } from '../../src/cli/experiment/results.js'

/**
 * `p2pfaas experiment` on nodes it did not start: two real nodes on loopback sharing an admin
 * secret, reached with --url (HTTP: function deployed, policies set) and with --peer (libp2p: the
 * function deployed over the management protocol; the nodes keep their own policy).
 */

let dir = ''
let nodes: TestNode[] = []
let secretFile = ''

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pfaas-experiment-existing-'))
  secretFile = join(dir, 'secret')
  await writeFile(secretFile, 'a-shared-secret-for-the-test\n', { mode: 0o600 })
  const a = await startTestNode({ runtime: 'process', adminSecretFile: secretFile, policy: 'random' })
  const b = await startTestNode({ runtime: 'process', adminSecretFile: secretFile, policy: 'random', bootstrap: [a.node.mesh.addrs()[0]!] })
  nodes = [a, b]
  await waitFor('the two nodes connected', () => nodes.every(t => t.node.mesh.view.connected().length === 1), 10_000)
})

afterAll(async () => {
  for (const t of nodes.reverse()) await t.stop()
  await rm(dir, { recursive: true, force: true })
})

const SPEC = (policies: string): string => `
name: existing
nodes: [{ count: 1, slots: 2, queue: 1 }, { count: 1, slots: 1, speed: 2 }]
tasks: [{ name: t, service: fixed:20ms, deadline: 200ms }]
rho: [0.6]
policies: ${policies}
duration: 1500ms
seed: 3
`

async function results (out: string): Promise<{ doc: SummaryDocument, calls: ExperimentCall[] }> {
  const doc = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as SummaryDocument
  const calls = (await readFile(join(out, 'calls.jsonl'), 'utf8')).split('\n').filter(l => l !== '').map(l => JSON.parse(l) as ExperimentCall)
  return { doc, calls }
}

describe('p2pfaas experiment on existing nodes', () => {
  it('--url: deploys the function with each node\'s slots, queue and speed, sets each policy, and runs', async () => {
    const spec = join(dir, 'url.yml')
    const out = join(dir, 'url-out')
    await writeFile(spec, SPEC('[local, "least-loaded"]'))
    const r = await p2pfaas(['experiment', spec, '--out', out, '--admin-secret-file', secretFile, ...nodes.flatMap(t => ['--url', t.url])], { timeoutMs: 90_000 })
    expect(r.code, r.stderr).toBe(0)
    const { doc, calls } = await results(out)
    expect(doc.status).toBe('complete')
    expect(doc.mesh.mode).toBe('url')
    expect(doc.runs.map(x => x.policy)).toEqual(['local', 'least-loaded'])
    // The function as the spec says, on each node.
    expect(nodes.map(t => t.node.registry.get('experiment')?.spec.labels)).toEqual([
      expect.objectContaining({ 'p2pfaas.concurrency': '2', 'p2pfaas.queue': '1', 'p2pfaas.speed': '1', 'p2pfaas.runtime': 'emulated' }),
      expect.objectContaining({ 'p2pfaas.concurrency': '1', 'p2pfaas.queue': '0', 'p2pfaas.speed': '2' })
    ])
    // The last policy set is still in force.
    for (const t of nodes) expect(((await (await fetch(`${t.url}/configuration/scheduler`)).json()) as { name: string }).name).toBe('least-loaded')
    const ok = calls.filter(c => c.outcome === 'ok')
    expect(ok.length).toBeGreaterThan(5)
    // Node 1 runs twice as fast: 20 ms of work takes it about 10 (plus its timers' lateness; both
    // nodes share this process with the test).
    const meanExec = (node: number): number => { const xs = ok.filter(c => c.ranOnNode === node).map(c => c.execMs!); return xs.reduce((a, b) => a + b, 0) / xs.length }
    expect(meanExec(0)).toBeGreaterThanOrEqual(19.5)
    expect(meanExec(1)).toBeLessThan(0.75 * meanExec(0))
  }, 120_000)

  it('--peer: reaches the whole mesh over libp2p, deploys with the secret, and records the policy the nodes run', async () => {
    const spec = join(dir, 'peer.yml')
    const out = join(dir, 'peer-out')
    await writeFile(spec, SPEC('[random]'))
    const peer = nodes[0]!.node.mesh.addrs().find(a => a.includes('/p2p/'))!
    // The nodes' own policy (the --url test left another): over --peer the experiment cannot set one.
    for (const t of nodes) expect((await fetch(`${t.url}/configuration/scheduler`, { method: 'POST', headers: { authorization: t.auth, 'content-type': 'application/json' }, body: '{"policy":"random"}' })).status).toBe(200)
    const r = await p2pfaas(['experiment', spec, '--out', out, '--admin-secret-file', secretFile, '--peer', peer], { timeoutMs: 90_000 })
    expect(r.code, r.stderr).toBe(0)
    const { doc, calls } = await results(out)
    expect(doc.status).toBe('complete')
    expect(doc.mesh.mode).toBe('peer')
    expect(doc.notes.join('\n')).toMatch(/over --peer the nodes ran their own policies: ForwardScheduler\(1\), ForwardScheduler\(1\)/)
    expect(new Set(calls.map(c => c.node))).toEqual(new Set([0, 1]))
    expect(calls.filter(c => c.outcome === 'ok').length).toBeGreaterThan(5)
    expect(doc.runs[0]!.ok + doc.runs[0]!.rejected + doc.runs[0]!.errors).toBe(doc.runs[0]!.sent)
  }, 120_000)
})
