import { describe, expect, it } from 'vitest'
import deadlineAware, { expectedWaitMs } from '../../examples/policies/deadline-aware.js'
import { cand, here, req, tally } from '../scheduler/fixtures.js'
import { mulberry32, seeds } from '../scheduler/rng.js'
import { expectAlwaysValid, loadExample, viaRules } from './policy-harness.js'
import type { CallOutcome } from '../../src/scheduler/types.js'

/** Deadline 300 ms, mean service 100 ms unless said otherwise. */
const make = (params: Record<string, number | boolean> = {}): ReturnType<typeof deadlineAware.create> =>
  deadlineAware.create({ deadlineMs: 300, serviceMs: 100, ...params })

const ranHere = (totalMs: number, over: Partial<CallOutcome> = {}): CallOutcome =>
  ({ function: 'echo', hops: 0, action: 'local', byPolicy: true, ranOn: 'local', ok: true, status: 200, totalMs, queuedMs: 0, probes: 0, ...over })

describe('examples/policies/deadline-aware: its decide, unit by unit', () => {
  it('expects no wait with a free slot, else (queued + 1) / capacity service times', () => {
    expect(expectedWaitMs({ running: 3, queued: 0, capacity: 4 }, 100)).toBe(0)
    expect(expectedWaitMs({ running: 4, queued: 3, capacity: 4 }, 100)).toBe(100)
    expect(expectedWaitMs({ running: 1, queued: 0, capacity: 1 }, 100)).toBe(100)
    expect(expectedWaitMs({ running: 0, queued: 0, capacity: 0 }, 100)).toBe(Number.POSITIVE_INFINITY)
  })

  it('runs here while this node makes the deadline', () => {
    // 4 running, 3 queued on 4 slots: 100 ms wait + 100 ms service = 200 <= 300.
    expect(make().decide(req(), here(4, 3), [cand('A', 0)], mulberry32(1))).toMatchObject({ action: 'local', reason: 'expected 200 ms here, deadline 300 ms' })
  })

  it('hands off to the peers that make it, soonest first, when this node does not', () => {
    // Here: 4 running, 4 queued of 4: full queue, cannot take it. A: 0 ms wait; B: 200 ms; C: 400 ms (misses).
    const d = make().decide(req(), here(4, 4), [cand('C', 4, 15), cand('B', 4, 7), cand('A', 0)], mulberry32(1))
    expect(d).toMatchObject({ action: 'forward', peers: ['A', 'B'] })
  })

  it('refuses at once when no node can make it, or when the service time alone misses it', () => {
    expect(make().decide(req(), here(4, 4), [cand('A', 4, 15)], mulberry32(1))).toMatchObject({ action: 'reject', reason: expect.stringMatching(/^no node expected within 300 ms/) })
    expect(make({ serviceMs: 400 }).decide(req(), here(0), [cand('A', 0)], mulberry32(1)).action).toBe('reject')
  })

  it('shares calls between equally good peers', () => {
    const t = tally(seeds(200).map(s => make().decide(req(), here(4, 4), [cand('A', 0), cand('B', 0)], mulberry32(s))))
    expect(t.get('A')).toBeGreaterThan(60)
    expect(t.get('B')).toBeGreaterThan(60)
  })

  it('with learn=true, follows the service time observed here; without, does not listen at all', () => {
    const learning = make({ learn: true })
    expect(learning.decide(req(), here(1, 0, 1), [], mulberry32(1)).action).toBe('local')
    // Calls here take 250 ms: with 1 slot busy, 250 wait + 250 service > 300.
    for (let i = 0; i < 60; i++) learning.observe!(ranHere(250))
    expect(learning.decide(req(), here(1, 0, 1), [cand('A', 0)], mulberry32(1))).toMatchObject({ action: 'forward', peers: ['A'] })
    // Per function, and only from calls that ran here and succeeded.
    expect(learning.decide(req({ function: 'other' }), here(1, 0, 1), [cand('A', 0)], mulberry32(1)).action).toBe('local')
    const fresh = make({ learn: true })
    for (let i = 0; i < 60; i++) {
      fresh.observe!(ranHere(900, { ranOn: 'P1' }))
      fresh.observe!(ranHere(900, { ok: false, error: 'TIMEOUT', queuedMs: undefined }))
    }
    expect(fresh.decide(req(), here(1, 0, 1), [cand('A', 0)], mulberry32(1)).action).toBe('local')
    expect(make().observe).toBeUndefined()
  })

  it('answers only decisions the guard passes, over random views', () => {
    expectAlwaysValid((local, candidates, rng) => make({ serviceMs: 1 + rng() * 200 }).decide(req(), local, candidates, rng), mulberry32(5))
  })
})

describe('examples/policies/deadline-aware through the real loader and the guard', () => {
  it('loads, takes durations as text, and decides through the shared rules without a single failure', async () => {
    const { catalog, failures } = await loadExample('examples/policies/deadline-aware.ts')
    const policy = catalog.parse('deadline-aware:deadlineMs=0.5s,serviceMs=80ms,learn=true')
    expect(policy).toMatchObject({ parameters: { deadlineMs: 500, serviceMs: 80, learn: true, maxHops: 1 }, label: 'DeadlineAware(deadline=500ms, service=80ms, learning)' })
    expect(() => catalog.parse('deadline-aware:deadline=1s')).toThrow(/unknown parameter "deadline"; accepted: deadlineMs/)
    expect(() => catalog.parse('deadline-aware:serviceMs=-1')).toThrow(/serviceMs must be a duration/)
    policy.observe!(ranHere(90))
    const decisions = viaRules(catalog, 'deadline-aware:deadlineMs=250ms,serviceMs=100ms', mulberry32(3))
    expect(failures).toEqual([])
    expect(new Set(decisions.map(d => d.action))).toEqual(new Set(['local', 'forward', 'reject']))
  })
})
