import { describe, expect, it } from 'vitest'
import { newLiveCounts, runOpenLoop, type Target } from '../../../src/cli/bench/runner.js'
import type { Arrival } from '../../../src/cli/bench/arrivals.js'
import type { CallResult } from '../../../src/cli/bench/summary.js'

const ok: CallResult = { outcome: 'ok', status: 200, code: '', hops: 0, ranOn: 'A', forwarded: false }

/** A node that answers after `ms`, or fails like the real senders when the call's signal fires first. */
function fakeTarget (label: string, ms: number, seen: Uint8Array[] = []): Target {
  return {
    label,
    async send (body, signal) {
      seen.push(body)
      return await new Promise(resolve => {
        const t = setTimeout(() => { resolve(ok) }, ms)
        signal.addEventListener('abort', () => { clearTimeout(t); resolve({ ...ok, outcome: 'error', status: 0, code: 'TIMEOUT' }) }, { once: true })
      })
    }
  }
}

const at = (times: number[], target = 0): Arrival[] => times.map(atMs => ({ atMs, target, payload: 0 }))

describe('runOpenLoop', () => {
  it('sends each arrival at its time to its target with its payload, one record each, in schedule order', async () => {
    const seenA: Uint8Array[] = []
    const arrivals: Arrival[] = [{ atMs: 0, target: 0, payload: 1 }, { atMs: 30, target: 1, payload: 0 }, { atMs: 60, target: 0, payload: 0 }]
    const payloads = [Buffer.from('zero'), Buffer.from('one')]
    const { records, interrupted } = await runOpenLoop({ arrivals, targets: [fakeTarget('A', 5, seenA), fakeTarget('B', 5)], payloads, cap: 10, timeoutMs: 1000 })
    expect(interrupted).toBe(false)
    expect(records.map(r => [r.target, r.scheduledMs, r.outcome])).toEqual([['A', 0, 'ok'], ['B', 30, 'ok'], ['A', 60, 'ok']])
    expect(seenA.map(b => Buffer.from(b).toString())).toEqual(['one', 'zero'])
    for (const r of records) {
      expect(r.startMs - r.scheduledMs).toBeGreaterThanOrEqual(-0.01)
      expect(r.startMs - r.scheduledMs).toBeLessThan(60)
      expect(r.latencyMs).toBeGreaterThanOrEqual(4)
    }
  })

  it('drops the arrivals beyond the cap and never waits for a slot', async () => {
    const live = newLiveCounts()
    const { records } = await runOpenLoop({ arrivals: at([0, 10, 20, 30, 40, 150]), targets: [fakeTarget('A', 100)], payloads: [new Uint8Array()], cap: 2, timeoutMs: 1000, live })
    expect(records.map(r => r.outcome)).toEqual(['ok', 'ok', 'dropped', 'dropped', 'dropped', 'ok'])
    expect(records.filter(r => r.outcome === 'dropped').every(r => r.latencyMs === null && r.startMs - r.scheduledMs < 60)).toBe(true)
    expect(live).toMatchObject({ due: 6, sent: 3, ok: 3, dropped: 3, inFlight: 0, maxInFlight: 2 })
  })

  it('keeps absolute times: arrivals overdue after a stall go out at once, later ones stay on schedule', async () => {
    const stallUntil = performance.now() + 120
    const stall: Target = {
      label: 'A',
      async send () {
        // The first call blocks the event loop: a timer that fires late must not shift the schedule.
        while (performance.now() < stallUntil) { /* busy */ }
        return ok
      }
    }
    const { records } = await runOpenLoop({ arrivals: at([0, 20, 40, 60, 80, 200, 250]), targets: [stall], payloads: [new Uint8Array()], cap: 100, timeoutMs: 1000 })
    const overdue = records.slice(1, 5)
    // All four due during the stall are sent together right after it, not 20 ms apart from there.
    const starts = overdue.map(r => r.startMs)
    expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(10)
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(100)
    expect(records[5]!.startMs - 200).toBeLessThan(60)
    expect(records[6]!.startMs - 250).toBeLessThan(60)
  })

  it('aborts a call at its timeout', async () => {
    const { records } = await runOpenLoop({ arrivals: at([0]), targets: [fakeTarget('A', 10_000)], payloads: [new Uint8Array()], cap: 1, timeoutMs: 50 })
    expect(records[0]).toMatchObject({ outcome: 'error', code: 'TIMEOUT' })
    expect(records[0]!.latencyMs).toBeLessThan(1000)
  })

  it('stops on the stop signal: later arrivals get no record, outstanding calls are cancelled', async () => {
    const stop = new AbortController()
    setTimeout(() => { stop.abort() }, 60)
    const { records, interrupted } = await runOpenLoop({ arrivals: at([0, 20, 5000, 6000]), targets: [fakeTarget('A', 10_000)], payloads: [new Uint8Array()], cap: 10, timeoutMs: 60_000, stop: stop.signal })
    expect(interrupted).toBe(true)
    expect(records.map(r => r.code)).toEqual(['CANCELLED', 'CANCELLED'])
  })
})
