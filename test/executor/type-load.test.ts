import { describe, expect, it } from 'vitest'
import { TypeLoadCounter } from '../../src/executor/type-load.js'
import { Executor, type CallRunner } from '../../src/executor/executor.js'

describe('TypeLoadCounter', () => {
  it('counts calls queued, then running, per task type, and forgets them when they end', () => {
    const counter = new TypeLoadCounter()
    const a = counter.enter(1)
    const b = counter.enter(1)
    const c = counter.enter(undefined)
    a.started()
    expect(counter.snapshot()).toEqual([{ taskType: 1, running: 1, queued: 1 }, { running: 0, queued: 1 }])
    a.started()
    a.ended()
    a.ended()
    b.ended()
    expect(counter.snapshot()).toEqual([{ running: 0, queued: 1 }])
    c.started()
    c.ended()
    expect(counter.snapshot()).toEqual([])
  })

  it('gives the same snapshot until something changes', () => {
    const counter = new TypeLoadCounter()
    counter.enter(0)
    expect(counter.snapshot()).toBe(counter.snapshot())
  })
})

describe('the executor\'s load per task type', () => {
  it('follows the same calls as its load per function: queued, running, gone', async () => {
    const ex = new Executor()
    const gates: Array<() => void> = []
    const run: CallRunner = async () => { await new Promise<void>(resolve => gates.push(resolve)); return { status: 200, headers: {}, body: new Uint8Array() } }
    ex.register('f', { concurrency: 1, queue: 2, timeoutMs: 5000 }, run)
    ex.register('g', { concurrency: 1, queue: 0, timeoutMs: 5000 }, run)
    const req = { method: 'POST', path: '/', query: '', headers: {}, body: new Uint8Array() }
    const calls = [ex.call('f', { ...req, taskType: 1 }), ex.call('f', { ...req, taskType: 1 }), ex.call('g', { ...req, taskType: 2 }), ex.call('f', req)]
    await new Promise(resolve => setTimeout(resolve, 5))
    expect(ex.typeLoad()).toEqual([{ taskType: 1, running: 1, queued: 1 }, { taskType: 2, running: 1, queued: 0 }, { running: 0, queued: 1 }])
    const refused = await ex.call('g', { ...req, taskType: 2 }).catch(e => e)
    expect(refused).toMatchObject({ code: 'OVERLOADED' })
    expect(ex.typeLoad()).toEqual([{ taskType: 1, running: 1, queued: 1 }, { taskType: 2, running: 1, queued: 0 }, { running: 0, queued: 1 }])
    while (gates.length > 0) { gates.shift()!(); await new Promise(resolve => setTimeout(resolve, 5)) }
    await Promise.all(calls)
    expect(ex.typeLoad()).toEqual([])
    expect(ex.snapshot().totals).toEqual({ queued: 0, running: 0, capacity: 2 })
  })
})
