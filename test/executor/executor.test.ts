import { describe, expect, it } from 'vitest'
import { CallError } from '../../src/executor/errors.js'
import { Executor, type CallRunner } from '../../src/executor/executor.js'
import { RuntimeError } from '../../src/runtime/types.js'

const req = { method: 'POST', path: '/', query: '', headers: {}, body: new Uint8Array() }
const ok = (body = 'ok') => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: new TextEncoder().encode(body) })

/** A runner whose calls finish when the test says so. */
function gatedRunner (): { run: CallRunner, started: string[], release: (n?: number) => void } {
  const gates: Array<() => void> = []
  const started: string[] = []
  return {
    started,
    run: async (_name, r) => {
      started.push(new TextDecoder().decode(r.body))
      await new Promise<void>((resolve, reject) => {
        gates.push(resolve)
        r.signal.addEventListener('abort', () => { reject(r.signal.reason) })
      })
      return ok(new TextDecoder().decode(r.body))
    },
    release: (n = 1) => { for (let i = 0; i < n; i++) gates.shift()?.() }
  }
}

const body = (s: string) => ({ ...req, body: new TextEncoder().encode(s) })
const tick = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, 5)) }

describe('Executor', () => {
  it('runs up to `concurrency` calls, queues the next in FIFO order, refuses beyond the queue with OVERLOADED', async () => {
    const ex = new Executor()
    const runner = gatedRunner()
    ex.register('f', { concurrency: 2, queue: 2, timeoutMs: 5000 }, runner.run)
    const calls = ['a', 'b', 'c', 'd'].map(async s => await ex.call('f', body(s)))
    await tick()
    expect(runner.started).toEqual(['a', 'b'])
    expect(ex.snapshot()).toEqual({ functions: [{ name: 'f', queued: 2, running: 2, capacity: 2 }], totals: { queued: 2, running: 2, capacity: 2 } })
    const refused = await ex.call('f', body('e')).catch(e => e)
    expect(refused).toBeInstanceOf(CallError)
    expect(refused.code).toBe('OVERLOADED')
    expect(refused.status).toBe(429)
    runner.release(1)
    await tick()
    expect(runner.started).toEqual(['a', 'b', 'c'])
    runner.release(2)
    await tick()
    runner.release(1)
    const results = await Promise.all(calls)
    expect(results.map(r => new TextDecoder().decode(r.response.body))).toEqual(['a', 'b', 'c', 'd'])
    expect(ex.snapshot().totals).toEqual({ queued: 0, running: 0, capacity: 2 })
  })

  it('a queue of 0 is a pure loss system', async () => {
    const ex = new Executor()
    const runner = gatedRunner()
    ex.register('f', { concurrency: 1, queue: 0, timeoutMs: 5000 }, runner.run)
    const first = ex.call('f', body('a'))
    await tick()
    await expect(ex.call('f', body('b'))).rejects.toMatchObject({ code: 'OVERLOADED' })
    runner.release()
    await first
  })

  it('times out a queued call and a running call with TIMEOUT, without leaking slots', async () => {
    const ex = new Executor()
    const runner = gatedRunner()
    ex.register('f', { concurrency: 1, queue: 1, timeoutMs: 80 }, runner.run)
    const t0 = performance.now()
    const running = ex.call('f', body('a')).catch(e => e)
    const queued = ex.call('f', body('b')).catch(e => e)
    const [r1, r2] = await Promise.all([running, queued])
    expect(r1.code).toBe('TIMEOUT')
    expect(r1.status).toBe(504)
    expect(r2.code).toBe('TIMEOUT')
    expect(performance.now() - t0).toBeLessThan(500)
    expect(ex.snapshot().totals).toEqual({ queued: 0, running: 0, capacity: 1 })
    // The slot is free again: a new call runs at once.
    const next = ex.call('f', body('c'))
    await tick()
    runner.release(10)
    expect((await next).response.status).toBe(200)
  })

  it('holds no caller past the deadline even if the runtime ignores the signal', async () => {
    const ex = new Executor()
    ex.register('f', { concurrency: 1, queue: 0, timeoutMs: 50 }, async () => await new Promise(() => {}))
    const t0 = performance.now()
    await expect(ex.call('f', req)).rejects.toMatchObject({ code: 'TIMEOUT' })
    expect(performance.now() - t0).toBeLessThan(300)
    expect(ex.snapshot().totals.running).toBe(0)
  })

  it('honours the caller\'s own signal', async () => {
    const ex = new Executor()
    const runner = gatedRunner()
    ex.register('f', { concurrency: 1, queue: 0, timeoutMs: 5000 }, runner.run)
    const controller = new AbortController()
    const call = ex.call('f', { ...req, signal: controller.signal }).catch(e => e)
    await tick()
    controller.abort()
    expect((await call).code).toBe('TIMEOUT')
    expect(ex.snapshot().totals.running).toBe(0)
  })

  it('passes runtime errors through with their code and frees the slot', async () => {
    const ex = new Executor()
    ex.register('f', { concurrency: 1, queue: 0, timeoutMs: 5000 }, async () => { throw new RuntimeError('FUNCTION_CRASHED', 'container died') })
    await expect(ex.call('f', req)).rejects.toMatchObject({ code: 'FUNCTION_CRASHED', status: 502 })
    await expect(ex.call('f', req)).rejects.toMatchObject({ code: 'FUNCTION_CRASHED' })
    expect(ex.snapshot().totals.running).toBe(0)
  })

  it('answers FUNCTION_NOT_FOUND for unknown functions and fails queued calls of a removed one', async () => {
    const ex = new Executor()
    await expect(ex.call('nope', req)).rejects.toMatchObject({ code: 'FUNCTION_NOT_FOUND', status: 404 })
    const runner = gatedRunner()
    ex.register('f', { concurrency: 1, queue: 5, timeoutMs: 5000 }, runner.run)
    const running = ex.call('f', body('a'))
    const queued = ex.call('f', body('b')).catch(e => e)
    await tick()
    ex.unregister('f')
    expect((await queued).code).toBe('FUNCTION_NOT_FOUND')
    runner.release()
    expect((await running).response.status).toBe(200)
    expect(ex.snapshot()).toEqual({ functions: [], totals: { queued: 0, running: 0, capacity: 0 } })
  })

  it('emits change on every admission and completion, and widens live when re-registered', async () => {
    const ex = new Executor()
    let changes = 0
    ex.addEventListener('change', () => { changes++ })
    const runner = gatedRunner()
    ex.register('f', { concurrency: 1, queue: 3, timeoutMs: 5000 }, runner.run)
    const calls = ['a', 'b', 'c'].map(async s => await ex.call('f', body(s)))
    await tick()
    expect(runner.started).toEqual(['a'])
    ex.register('f', { concurrency: 3, queue: 3, timeoutMs: 5000 }, runner.run)
    await tick()
    expect(runner.started).toEqual(['a', 'b', 'c'])
    runner.release(3)
    await Promise.all(calls)
    expect(changes).toBeGreaterThanOrEqual(6)
  })
})
