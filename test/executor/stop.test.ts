import { describe, expect, it } from 'vitest'
import { CallError } from '../../src/executor/errors.js'
import { Executor, type CallRunner } from '../../src/executor/executor.js'

/** What a stopping node asks of its executor: refuse new calls, let the others finish, bounded. */

const req = { method: 'POST', path: '/', query: '', headers: {}, body: new Uint8Array() }
const tick = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, 5)) }

function gated (): { run: CallRunner, release: () => void } {
  const gates: Array<() => void> = []
  return {
    run: async () => {
      await new Promise<void>(resolve => gates.push(resolve))
      return { status: 200, headers: {}, body: new Uint8Array() }
    },
    release: () => { gates.shift()?.() }
  }
}

describe('Executor, stopping', () => {
  it('after close() new calls are refused with OVERLOADED while running and queued ones finish', async () => {
    const ex = new Executor()
    const g = gated()
    ex.register('f', { concurrency: 1, queue: 2, timeoutMs: 5000 }, g.run)
    const calls = [1, 2, 3].map(async () => await ex.call('f', req))
    await tick()
    ex.close()
    const refused = await ex.call('f', req).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(CallError)
    expect((refused as CallError).code).toBe('OVERLOADED')
    expect(ex.idle()).toBe(false)
    const settled = ex.settled(5000)
    for (let i = 0; i < 3; i++) { g.release(); await tick() }
    expect(await settled).toBe(true)
    expect((await Promise.all(calls)).map(r => r.response.status)).toEqual([200, 200, 200])
    expect(ex.idle()).toBe(true)
  })

  it('settled() gives up after the grace; abandonQueued() answers the queued calls 429, running ones go on', async () => {
    const ex = new Executor()
    const g = gated()
    ex.register('f', { concurrency: 1, queue: 2, timeoutMs: 5000 }, g.run)
    const calls = [1, 2, 3].map(async () => await ex.call('f', req).then(r => r.response.status, (e: CallError) => e.code))
    await tick()
    ex.close()
    expect(await ex.settled(30)).toBe(false)
    expect(ex.abandonQueued()).toBe(2)
    g.release()
    expect(await Promise.all(calls)).toEqual([200, 'OVERLOADED', 'OVERLOADED'])
    expect(await ex.settled(0)).toBe(true)
  })
})
