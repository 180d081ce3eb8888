import { describe, expect, it } from 'vitest'
import { createLeastLoaded } from '../../src/scheduler/least-loaded.js'
import { sharedRules, run } from './contract.js'
import { cand, chosen, here, req, tally } from './fixtures.js'
import { mulberry32, seeds } from './rng.js'

const pick = (view: ReturnType<typeof cand>[], s: number, local = here(4), margin?: number) =>
  run(createLeastLoaded(margin === undefined ? {} : { margin }), req(), local, view, mulberry32(s))

describe('least-loaded (the default)', () => {
  sharedRules(() => createLeastLoaded())

  it('runs here while this node has a free slot, idle peers or not', () => {
    expect(pick([cand('A', 0)], 1, here(3, 0)).action).toBe('local')
  })

  it('once full, forwards to a candidate with a free slot, never to a full one', () => {
    for (const s of seeds(100)) {
      const d = pick([cand('F1', 4), cand('A', 3), cand('F2', 4, 3)], s)
      expect(d).toMatchObject({ action: 'forward', peers: ['A'] })
    }
  })

  it('chooses at random among the near-least (within margin), never beyond it', () => {
    // A 0.0, B 0.5, C 0.75 per slot; the default margin 0.5 takes A or B.
    const view = [cand('A', 0), cand('B', 2), cand('C', 3)]
    const firsts = tally(seeds(300).map(s => pick(view, s)))
    expect(firsts.get('A')).toBeGreaterThan(100)
    expect(firsts.get('B')).toBeGreaterThan(100)
    expect(firsts.get('C')).toBeUndefined()
    for (const s of seeds(50)) expect(chosen(pick(view, s, here(4), 0))).toBe('A')
  })

  it('with no room here at all (loss system, or queue full), asks full-looking peers rather than refuse for sure', () => {
    const full = [cand('A', 4, 1, 4), cand('B', 4, 0, 4)]
    // A loss system: nothing can wait here, so every peer is worth a try, least loaded first.
    expect(pick(full, 1, here(4, 0, 4, 0))).toMatchObject({ action: 'forward', peers: ['B', 'A'] })
    // With room in the queue and no peer less loaded, the call waits here instead.
    expect(pick([cand('A', 4, 1, 4), cand('B', 4, 2, 4)], 1, here(4, 0, 4, 4)).action).toBe('local')
    // And with nobody to ask, it stays (the executor refuses).
    expect(pick([], 1, here(4, 0, 4, 0)).action).toBe('local')
  })

  it('with no room here, puts the full-looking peers after the free ones instead of giving up', () => {
    const d = pick([cand('F1', 4, 1), cand('A', 3), cand('F2', 4)], 1, here(4, 0, 4, 0))
    expect(d).toMatchObject({ action: 'forward', peers: ['A', 'F2', 'F1'] })
  })

  it('breaks exact ties at random', () => {
    const firsts = tally(seeds(200).map(s => pick([cand('A', 1), cand('B', 1)], s, here(4), 0)))
    expect(firsts.get('A')).toBeGreaterThan(50)
    expect(firsts.get('B')).toBeGreaterThan(50)
  })

  it('prefers fresh loads over stale ones, stale as fallbacks; uses stale only when nothing fresh will do', () => {
    const view = [cand('STALE', 0, 0, 4, 10_000), cand('FRESH', 2, 0, 4, 100)]
    for (const s of seeds(50)) expect(pick(view, s)).toMatchObject({ action: 'forward', peers: ['FRESH', 'STALE'] })
    expect(chosen(pick([cand('STALE', 0, 0, 4, 10_000), cand('FULL', 4, 0, 4, 10)], 1))).toBe('STALE')
    const lenient = createLeastLoaded({ staleMs: 20_000, margin: 0 })
    expect(chosen(run(lenient, req(), here(4), view))).toBe('STALE')
  })

  it('orders fallbacks fresh first, each least loaded first', () => {
    const view = [cand('S1', 1, 0, 4, 9000), cand('F3', 3), cand('F1', 1), cand('S0', 0, 0, 4, 9000), cand('F0', 0)]
    expect(pick(view, 1, here(4), 0)).toMatchObject({ action: 'forward', peers: ['F0', 'F1', 'F3', 'S0', 'S1'] })
  })

  it('with no free slot anywhere, forwards only to a peer less loaded than here', () => {
    // Here 4+3 of 4 (1.75). A 4+1 (1.25) is lower, B equal, C higher.
    const local = here(4, 3)
    for (const s of seeds(50)) {
      expect(pick([cand('A', 4, 1), cand('B', 4, 3), cand('C', 4, 4)], s, local)).toMatchObject({ action: 'forward', peers: ['A'] })
    }
    expect(pick([cand('B', 4, 3), cand('C', 4, 4)], 1, local).action).toBe('local')
  })

  it('shows its parameters, defaults and label', () => {
    const p = createLeastLoaded()
    expect(p.parameters).toEqual({ margin: 0.5, staleMs: 3000, maxHops: 1 })
    expect(p.label).toBe('LeastLoaded(margin=0.5, staleMs=3000, maxHops=1)')
    expect(() => createLeastLoaded({ margin: 2 })).toThrow('least-loaded: margin must be a number from 0 to 1 (got 2)')
    expect(() => createLeastLoaded({ staleMs: -1 })).toThrow(/staleMs must be an integer from 0 to 600000/)
  })
})
