import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/node.js'
import { waitFor } from '../helpers/mesh.js'

/**
 * Three real nodes on loopback (mDNS off, bootstrapped), real libp2p streams between them, the real
 * Docker engine running the sample `sleep` function: a busy node hands calls to its peers.
 */

const nodes: TestNode[] = []
let a: TestNode, b: TestNode, c: TestNode

async function deploy (t: TestNode, body: unknown): Promise<void> {
  const res = await fetch(`${t.url}/system/functions`, { method: 'POST', headers: { authorization: t.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (res.status !== 202) throw new Error(`deploy on ${t.url}: ${res.status} ${await res.text()}`)
}

beforeAll(async () => {
  a = await startTestNode({ runtime: 'docker' })
  nodes.push(a)
  b = await startTestNode({ runtime: 'docker', bootstrap: [a.node.mesh.addrs()[0]!] })
  nodes.push(b)
  c = await startTestNode({ runtime: 'docker', bootstrap: [a.node.mesh.addrs()[0]!, b.node.mesh.addrs()[0]!] })
  nodes.push(c)
  const sleep = { service: 'sleep', image: 'p2pfaas/fn-sleep:latest', labels: { 'p2pfaas.concurrency': '1', 'p2pfaas.queue': '1', 'p2pfaas.timeout': '10s' } }
  await Promise.all(nodes.map(async t => { await deploy(t, sleep) }))
  await waitFor('every node sees sleep on the others', () => nodes.every(t => nodes.every(o => o === t ||
    t.node.mesh.view.get(o.node.mesh.peerId.toString())?.functions.includes('sleep') === true)), 10_000)
}, 15 * 60_000)

afterAll(async () => {
  for (const t of nodes.reverse()) await t.stop()
})

describe('hand-off between peers', () => {
  it('runs locally while a slot is free, and says so in the headers', async () => {
    const res = await fetch(`${a.url}/function/sleep?ms=5`, { method: 'POST' })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-p2pfaas-hops')).toBe('0')
    expect(res.headers.get('x-p2pfaas-externally-executed')).toBe('False')
    expect(JSON.parse(res.headers.get('x-p2pfaas-peers-list-id')!)).toEqual([a.node.mesh.peerId.toString()])
    expect(res.headers.get('x-p2pfaas-scheduler')).toMatch(/least-loaded|LeastLoaded/i)
    expect(Number(res.headers.get('x-p2pfaas-timing-execution-time-seconds'))).toBeGreaterThan(0)
  })

  it('hands a call to B or C when A\'s only slot is busy; the headers show the hop and the path', async () => {
    const busy = fetch(`${a.url}/function/sleep?ms=1500`, { method: 'POST' })
    await waitFor('A busy', () => a.node.executor.loadOf('sleep')?.running === 1, 5000, 5)
    const res = await fetch(`${a.url}/function/sleep?ms=5`, { method: 'POST' })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-p2pfaas-hops')).toBe('1')
    expect(res.headers.get('x-p2pfaas-externally-executed')).toBe('True')
    const path = JSON.parse(res.headers.get('x-p2pfaas-peers-list-id')!) as string[]
    expect(path[0]).toBe(a.node.mesh.peerId.toString())
    expect([b.node.mesh.peerId.toString(), c.node.mesh.peerId.toString()]).toContain(path[1])
    expect(path).toHaveLength(2)
    expect(JSON.parse(res.headers.get('x-p2pfaas-timing-total-seconds-list')!)).toHaveLength(2)
    expect(JSON.parse(await res.text())).toMatchObject({ sleptMs: expect.any(Number) })
    expect((await busy).status).toBe(200)
  })

  it('keeps a call on A with X-P2pfaas-Scheduler-Bypass, even when busy (it queues)', async () => {
    const busy = fetch(`${a.url}/function/sleep?ms=600`, { method: 'POST' })
    await waitFor('A busy', () => a.node.executor.loadOf('sleep')?.running === 1, 5000, 5)
    const res = await fetch(`${a.url}/function/sleep?ms=5`, { method: 'POST', headers: { 'X-P2pfaas-Scheduler-Bypass': 'true' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-p2pfaas-hops')).toBe('0')
    expect(res.headers.get('x-p2pfaas-externally-executed')).toBe('False')
    expect(Number(res.headers.get('x-p2pfaas-timing-queue-time-seconds'))).toBeGreaterThan(0.1)
    await busy
  })

  it('forces a hand-off with X-P2pfaas-Scheduler-Forward, and serves functions deployed only elsewhere', async () => {
    const forced = await fetch(`${a.url}/function/sleep?ms=5`, { method: 'POST', headers: { 'X-P2pfaas-Scheduler-Forward': 'true', 'X-P2pfaas-Scheduler-Task-Tracing-Id': 'trace-7' } })
    expect(forced.status).toBe(200)
    expect(forced.headers.get('x-p2pfaas-externally-executed')).toBe('True')
    expect(forced.headers.get('x-p2pfaas-scheduler-task-tracing-id')).toBe('trace-7')
    await deploy(c, { service: 'echo', image: 'p2pfaas/fn-echo:latest' })
    await waitFor('A sees echo on C', () => a.node.mesh.view.get(c.node.mesh.peerId.toString())?.functions.includes('echo') === true, 5000)
    const body = new Uint8Array(100_000).map((_, i) => i % 251)
    const res = await fetch(`${a.url}/function/echo?status=201`, { method: 'POST', body })
    expect(res.status).toBe(201)
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(body))).toBe(true)
    expect(JSON.parse(res.headers.get('x-p2pfaas-peers-list-id')!)).toEqual([a.node.mesh.peerId.toString(), c.node.mesh.peerId.toString()])
  })

  it('reports the load and takes P2PFaaS\'s scheduler configuration', async () => {
    const load = await fetch(`${a.url}/monitoring/load`)
    expect(load.headers.get('x-p2pfaas-maxload')).toBe('1')
    expect(load.headers.get('x-p2pfaas-load')).toBe('0')
    const denied = await fetch(`${a.url}/configuration/scheduler`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'NoScheduler', parameters: ['false'] }) })
    expect(denied.status).toBe(401)
    const set = await fetch(`${a.url}/configuration/scheduler`, { method: 'POST', headers: { authorization: a.auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'PowerOfNScheduler', parameters: ['1', '1', 'true', '1'] }) })
    expect(set.status, await set.clone().text()).toBe(200)
    const res = await fetch(`${a.url}/function/sleep?ms=5`, { method: 'POST' })
    expect(res.headers.get('x-p2pfaas-scheduler')).toBe('PowerOfNScheduler(1, 1, true, 1)')
    const busy = fetch(`${a.url}/function/sleep?ms=800`, { method: 'POST' })
    await waitFor('A busy', () => a.node.executor.loadOf('sleep')?.running === 1, 5000, 5)
    const probed = await fetch(`${a.url}/function/sleep?ms=5`, { method: 'POST' })
    expect(probed.status).toBe(200)
    expect(probed.headers.get('x-p2pfaas-externally-executed')).toBe('True')
    expect(JSON.parse(probed.headers.get('x-p2pfaas-timing-probing-seconds-list')!)[0]).toBeGreaterThan(0)
    await busy
    const bad = await fetch(`${a.url}/configuration/scheduler`, { method: 'POST', headers: { authorization: a.auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'PowerOfNScheduler', parameters: ['x'] }) })
    expect(bad.status).toBe(400)
    // As the original's scripts send it: `curl -d '{...}'`, JSON labelled as a form.
    const form = { authorization: a.auth, 'content-type': 'application/x-www-form-urlencoded' }
    const curlStyle = await fetch(`${a.url}/configuration/scheduler`, { method: 'POST', headers: form, body: JSON.stringify({ name: 'NoScheduler', parameters: ['false'] }) })
    expect(curlStyle.status, await curlStyle.clone().text()).toBe(200)
    const notJson = await fetch(`${a.url}/configuration/scheduler`, { method: 'POST', headers: form, body: 'name=NoScheduler' })
    expect(notJson.status).toBe(400)
    expect((await notJson.json()).message).toMatch(/application\/json/)
    await fetch(`${a.url}/configuration/scheduler`, { method: 'POST', headers: { authorization: a.auth, 'content-type': 'application/json' }, body: JSON.stringify({ policy: 'least-loaded' }) })
  })
})
