import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TABLE_FILE } from '../../src/scheduler/learning/table-store.js'
import { waitFor } from '../helpers/mesh.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
import type { LearningStats } from '../../src/scheduler/learning/policy.js'

/**
 * The learning policy on two real nodes in this process, on loopback (mDNS off, bootstrap address,
 * process runtime, emulated functions, no container): chosen with the original's JSON, learning
 * from the calls it decides, reporting in /metrics, the API and the dashboard, keeping its table
 * across a restart, and reset by an operator only.
 */

const emulated = (service: string, time: string, taskType: string, deadline: string): unknown => ({
  service,
  labels: {
    'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': time, 'p2pfaas.concurrency': '2', 'p2pfaas.queue': '2',
    'p2pfaas.task-type': taskType, 'p2pfaas.deadline': deadline
  }
})
// Within its deadline whenever it runs at all; and one that never makes its deadline.
const FAST = emulated('fast', 'fixed:5ms', '0', '2s')
const SLOW = emulated('slow', 'fixed:30ms', '1', '5ms')

let dataDir: string
let a: TestNode
let b: TestNode

/** With the node's admin credentials unless told otherwise (null: none). */
async function send (t: TestNode, method: string, path: string, body?: unknown, auth: string | null = t.auth): Promise<Response> {
  return await fetch(`${t.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(auth === null ? {} : { authorization: auth }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
}

async function learning (t: TestNode): Promise<LearningStats & { inForce: boolean }> {
  return await (await send(t, 'GET', '/configuration/scheduler/learning')).json() as LearningStats & { inForce: boolean }
}

function metric (text: string, series: string): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'p2pfaas-learning-node-'))
  a = await startTestNode({ runtime: 'process', seed: '7' }, dataDir)
  b = await startTestNode({ runtime: 'process', bootstrap: [a.node.mesh.addrs()[0]!] })
  for (const t of [a, b]) for (const fn of [FAST, SLOW]) expect((await send(t, 'POST', '/system/functions', fn)).status).toBe(202)
  const bId = b.node.mesh.peerId.toString()
  // The policy is asked only with a candidate: a peer whose load for the function A knows.
  await waitFor('A knows B\'s load for both functions', () => ['fast', 'slow'].every(fn => a.node.mesh.view.get(bId)?.load.functions.some(f => f.name === fn) === true), 10_000)
}, 60_000)

afterAll(async () => {
  await b?.stop()
  await a?.stop()
  await rm(dataDir, { recursive: true, force: true })
})

describe('the learning policy on a node', () => {
  it('is chosen with the original\'s JSON, by an operator only', async () => {
    const body = { name: 'LearningScheduler', parameters: ['2'] }
    expect((await send(a, 'POST', '/configuration/scheduler', body, null)).status).toBe(401)
    expect(await learning(a)).toEqual({ inForce: false })
    const res = await send(a, 'POST', '/configuration/scheduler', body)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ name: 'learning', label: 'LearningScheduler(2)', parameters: { taskTypes: 2, epsilon: 0.05, alpha: 0.1, beta: 0.01 } })
    const refused = await send(a, 'POST', '/configuration/scheduler', { name: 'LearningScheduler', parameters: ['0'] })
    expect(refused.status).toBe(400)
    expect((await refused.json()).message).toMatch(/LearningScheduler: taskTypes must be an integer from 1 to 16 \(got "0"\)/)
    expect(await learning(a)).toMatchObject({ inForce: true, taskTypes: 2, decisions: 0, states: 0 })
  })

  it('learns from the calls it decides: rewards by each call\'s deadline, counted in /metrics, shown in the API and the dashboard', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${a.url}/function/fast`, { method: 'POST', headers: { 'X-P2pfaas-Scheduler-Learning-Task-Type': '0' } })
      expect(res.headers.get('x-p2pfaas-scheduler')).toBe('LearningScheduler(2)')
      statuses.push(res.status)
      await res.arrayBuffer()
    }
    // No header: the function's label makes these type 1.
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${a.url}/function/slow`, { method: 'POST' })
      statuses.push(res.status)
      await res.arrayBuffer()
    }
    // A refusal is one of its actions (429); anything else is an answer.
    expect(statuses.filter(s => s !== 200 && s !== 429)).toEqual([])
    expect(statuses.filter(s => s === 200).length).toBeGreaterThan(5)

    const stats = await learning(a)
    expect(stats).toMatchObject({ inForce: true, decisions: 30, rewards: 30, untyped: 0 })
    expect(stats.states).toBeGreaterThan(0)
    expect(stats.updates).toBeGreaterThanOrEqual(29)
    // Only fast calls can be within their deadline.
    expect(stats.rewardSum).toBeGreaterThan(0)
    expect(stats.rewardSum).toBeLessThanOrEqual(20)

    const text = await (await fetch(`${a.url}/metrics`)).text()
    expect(metric(text, 'p2pfaas_learning_rewards_total')).toBe(30)
    expect(metric(text, 'p2pfaas_learning_reward_sum_total')).toBe(stats.rewardSum)
    const explored = metric(text, 'p2pfaas_learning_decisions_total{choice="explored"}')!
    expect(explored + metric(text, 'p2pfaas_learning_decisions_total{choice="greedy"}')!).toBe(30)
    expect(explored).toBe(stats.explored)
    expect(metric(text, 'p2pfaas_learning_average_reward{policy="learning"}')).toBeCloseTo(stats.averageReward, 9)
    expect(metric(text, 'p2pfaas_learning_epsilon{policy="learning"}')).toBe(0.05)
    expect(metric(text, 'p2pfaas_learning_table_states{policy="learning"}')).toBe(stats.states)
    // B never learnt: its counters stay at 0 and it has no policy state to show.
    const other = await (await fetch(`${b.url}/metrics`)).text()
    expect(metric(other, 'p2pfaas_learning_rewards_total')).toBe(0)
    expect(other).not.toMatch(/^p2pfaas_learning_(table_states|average_reward|epsilon)\{/m)

    const dashboard = await (await fetch(`${a.url}/api/dashboard`)).json() as { policy: string, learning?: LearningStats }
    expect(dashboard.policy).toBe('LearningScheduler(2)')
    expect(dashboard.learning).toMatchObject({ decisions: 30, rewards: 30, rewardSum: stats.rewardSum, epsilon: 0.05 })
  })

  it('keeps what it learnt in the data dir: saved at stop, taken up again at the next start', async () => {
    const before = await learning(a)
    await a.stop()
    const saved = JSON.parse(await readFile(join(dataDir, TABLE_FILE), 'utf8')) as { states: Record<string, number[]>, averageReward: number }
    expect(Object.keys(saved.states)).toHaveLength(before.states)
    // Both types were learnt: the header's (fast, 0) and the label's (slow, 1).
    expect(Object.keys(saved.states).some(k => k.startsWith('0|'))).toBe(true)
    expect(Object.keys(saved.states).some(k => k.startsWith('1|'))).toBe(true)
    expect(saved.averageReward).toBeCloseTo(before.averageReward, 12)
    a = await startTestNode({ runtime: 'process', policy: 'learning:taskTypes=2' }, dataDir)
    expect(await learning(a)).toMatchObject({ inForce: true, states: before.states, updates: before.updates, decisions: 0 })
  })

  it('forgets it on DELETE /configuration/scheduler/learning, which needs the admin secret', async () => {
    expect((await send(a, 'DELETE', '/configuration/scheduler/learning', undefined, null)).status).toBe(401)
    const wrong = 'Basic ' + Buffer.from('admin:not-the-secret').toString('base64')
    expect((await send(a, 'DELETE', '/configuration/scheduler/learning', undefined, wrong)).status).toBe(401)
    expect((await learning(a)).states).toBeGreaterThan(0)
    const res = await send(a, 'DELETE', '/configuration/scheduler/learning')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ reset: true, inForce: true, states: 0, averageReward: 0, updates: 0 })
    expect(existsSync(join(dataDir, TABLE_FILE))).toBe(false)
    expect(await learning(a)).toMatchObject({ states: 0 })
  })
})
