import { describe, expect, it } from 'vitest'
import jsqD from '../../examples/policies/jsq-d.js'
import { PolicyError } from '../../src/scheduler/errors.js'
import { cand, here, req, tally } from '../scheduler/fixtures.js'
import { mulberry32, seeds } from '../scheduler/rng.js'
import { expectAlwaysValid, loadExample, viaRules } from './policy-harness.js'
import type { Candidate, Decision, LocalLoad, Rng } from '../../src/scheduler/types.js'

const decideWith = (d: number | undefined, local: LocalLoad, candidates: Candidate[], rng: Rng = mulberry32(1)): Decision =>
  jsqD.create(d === undefined ? {} : { d }).decide(req(), local, candidates, rng)

describe('examples/policies/jsq-d: its decide, unit by unit', () => {
  it('stays here while no sampled peer has a shorter queue (ties stay: no hand-off for nothing)', () => {
    // Here: 2 of 4 slots free (queue -2); A has 1 free, B 2 free.
    for (const s of seeds(50)) expect(decideWith(2, here(2), [cand('A', 3), cand('B', 2)], mulberry32(s)).action).toBe('local')
  })

  it('joins the shortest queue of those sampled; fallbacks are the others shorter than here', () => {
    // Here: 4 running + 2 queued on 4 slots, queue 2. A: -4, B: 3, C: -1.
    const d = decideWith(3, here(4, 2), [cand('A', 0), cand('B', 4, 3), cand('C', 3)])
    expect(d).toMatchObject({ action: 'forward', peers: ['A', 'C'] })
    expect(d.reason).toMatch(/shortest queue of 3 sampled \(-4 vs 2 here\)/)
  })

  it('samples only d candidates: d=1 spreads calls over everyone, d=all always finds the shortest', () => {
    const view = [cand('A', 0), cand('B', 2), cand('C', 3), cand('D', 4, 1)]
    const one = tally(seeds(400).map(s => decideWith(1, here(4, 4), view, mulberry32(s))))
    for (const peer of ['A', 'B', 'C', 'D']) expect(one.get(peer), peer).toBeGreaterThan(60)
    for (const s of seeds(100)) expect(decideWith(4, here(4, 4), view, mulberry32(s))).toMatchObject({ action: 'forward', peers: ['A', 'B', 'C', 'D'] })
  })

  it('breaks ties between peers at random, and replays with the same seed', () => {
    const t = tally(seeds(200).map(s => decideWith(2, here(4, 1), [cand('A', 1), cand('B', 1)], mulberry32(s))))
    expect(t.get('A')).toBeGreaterThan(60)
    expect(t.get('B')).toBeGreaterThan(60)
    expect(decideWith(2, here(4, 1), [cand('A', 1), cand('B', 1)], mulberry32(9))).toEqual(decideWith(2, here(4, 1), [cand('A', 1), cand('B', 1)], mulberry32(9)))
  })

  it('never picks a node without slots, and leaves a node without the function', () => {
    expect(decideWith(2, here(0, 0, 4), [cand('A', 0, 0, 0)]).action).toBe('local')
    expect(decideWith(2, here(0, 0, 0, 0), [cand('A', 4, 4)])).toMatchObject({ action: 'forward', peers: ['A'] })
  })

  it('takes d=2 by default, and shows what is in force', () => {
    expect(jsqD.create({})).toMatchObject({ parameters: { d: 2 }, label: 'JSQ(d=2)' })
  })

  it('answers only decisions the guard passes, over random views', () => {
    expectAlwaysValid((local, candidates, rng) => decideWith(1 + Math.floor(rng() * 4), local, candidates, rng), mulberry32(42))
  })
})

describe('examples/policies/jsq-d through the real loader and the guard', () => {
  it('loads, takes checked parameters, and decides through the shared rules without a single failure', async () => {
    const { catalog, failures } = await loadExample('examples/policies/jsq-d.ts')
    expect(catalog.parse('jsq-d:d=3')).toMatchObject({ name: 'jsq-d', label: 'JSQ(d=3)', parameters: { d: 3, maxHops: 1 }, maxHops: 1 })
    expect(() => catalog.parse('jsq-d:d=0')).toThrow(PolicyError)
    expect(() => catalog.parse('jsq-d:d=17')).toThrow(/d must be an integer from 1 to 16/)
    expect(() => catalog.fromOriginal({ name: 'jsq-d', parameters: ['e=1'] })).toThrow(/unknown parameter "e"; accepted: d/)
    const decisions = viaRules(catalog, 'jsq-d:d=2', mulberry32(7))
    expect(failures).toEqual([])
    expect(new Set(decisions.map(d => d.action))).toEqual(new Set(['local', 'forward']))
  })
})
