import { describe, expect, it } from 'vitest'
import { createRoundRobin } from '../../src/scheduler/round-robin.js'
import { sharedRules, run } from './contract.js'
import { cand, chosen, here, req } from './fixtures.js'
import { mulberry32 } from './rng.js'

describe('round-robin', () => {
  sharedRules(() => createRoundRobin())

  it('cycles through candidates in peer-id order, whatever order they come in, with the rest as fallbacks', () => {
    const policy = createRoundRobin()
    const view = [cand('C', 0), cand('A', 4, 4), cand('B', 1)]
    const picks = Array.from({ length: 7 }, () => run(policy, req(), here(0), view))
    expect(picks.map(chosen)).toEqual(['A', 'B', 'C', 'A', 'B', 'C', 'A'])
    expect(picks[1]).toMatchObject({ action: 'forward', peers: ['B', 'C', 'A'] })
  })

  it('does not depend on the rng', () => {
    const a = createRoundRobin()
    const b = createRoundRobin()
    const view = [cand('A', 0), cand('B', 0)]
    for (let i = 0; i < 5; i++) {
      expect(run(a, req(), here(0), view, mulberry32(i))).toEqual(run(b, req(), here(0), view, mulberry32(100 + i)))
    }
  })

  it('keeps its place when peers join or leave', () => {
    const policy = createRoundRobin()
    expect(chosen(run(policy, req(), here(0), [cand('A', 0), cand('C', 0)]))).toBe('A')
    // B joined after A was chosen: it is next.
    expect(chosen(run(policy, req(), here(0), [cand('A', 0), cand('B', 0), cand('C', 0)]))).toBe('B')
    // C left: wrap around.
    expect(chosen(run(policy, req(), here(0), [cand('A', 0), cand('B', 0)]))).toBe('A')
    // A left too: still a valid pick.
    expect(chosen(run(policy, req(), here(0), [cand('B', 0)]))).toBe('B')
    expect(chosen(run(policy, req(), here(0), [cand('B', 0)]))).toBe('B')
  })

  it('keeps a cursor per instance', () => {
    const view = [cand('A', 0), cand('B', 0)]
    const a = createRoundRobin()
    run(a, req(), here(0), view)
    expect(chosen(run(createRoundRobin(), req(), here(0), view))).toBe('A')
    expect(chosen(run(a, req(), here(0), view))).toBe('B')
  })

  it('labels itself', () => {
    expect(createRoundRobin({ maxHops: 2 }).label).toBe('RoundRobin(maxHops=2)')
  })
})
