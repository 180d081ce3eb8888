import { describe, expect, it } from 'vitest'
import { chooseDials, ownLinks, type OverlayState } from '../../src/mesh/overlay.js'

/** A seeded generator, so a failing case can be replayed. */
function rng (seed = 1): () => number {
  let x = seed
  return () => { x = (x * 1103515245 + 12345) % 2 ** 31; return x / 2 ** 31 }
}

const members = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i}`)
const state = (over: Partial<OverlayState> = {}): OverlayState => ({
  links: 0, outbound: 0, pending: 0, targetLinks: 8, reachable: members(40), unreachable: [], lost: [], reachableCount: 41, busy: () => false, linksOf: () => 0, maxLinks: 12, ...over
})

describe('overlay: whom a node dials', () => {
  it('opens half its target itself (at least two) and leaves the rest to nodes that dial it', () => {
    expect([1, 2, 3, 4, 8, 12].map(ownLinks)).toEqual([1, 2, 2, 2, 4, 6])
    // A joiner: 4 of its own, no more than the dials allowed in flight.
    expect(chooseDials(state(), rng()).links).toHaveLength(4)
    // Its own 4 are up: nothing more, though it has fewer links than the target.
    expect(chooseDials(state({ links: 4, outbound: 4 }), rng()).links).toHaveLength(0)
    // It lost two of its own and has plenty taken from others: it is at the target, nothing.
    expect(chooseDials(state({ links: 9, outbound: 2 }), rng()).links).toHaveLength(0)
    // It lost two of its own and has few others: it replaces them.
    expect(chooseDials(state({ links: 3, outbound: 2 }), rng()).links).toHaveLength(2)
  })

  it('prefers members with room below the maximum, so nobody has to give a link back', () => {
    const linksOf = (p: string): number => Number(p.slice(1)) % 4 === 0 ? 5 : 12
    for (let seed = 1; seed <= 50; seed++) {
      const { links } = chooseDials(state({ linksOf, maxLinks: 12 }), rng(seed))
      expect(links).toHaveLength(4)
      expect(links.every(p => linksOf(p) < 12)).toBe(true)
    }
    // Too few with room: the rest are full members, still at random.
    const one = (p: string): number => p === 'm7' ? 3 : 12
    const { links } = chooseDials(state({ linksOf: one, maxLinks: 12 }), rng(3))
    expect(links).toHaveLength(4)
    expect(links).toContain('m7')
    expect(new Set(links).size).toBe(4)
  })

  it('links to the members it is given first (a joiner\'s ring neighbours) as part of its share, then at random', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { links } = chooseDials(state({ first: ['m3', 'm9'] }), rng(seed))
      expect(links).toHaveLength(4)
      expect(links.slice(0, 2)).toEqual(['m3', 'm9'])
      expect(new Set(links).size).toBe(4)
    }
    // One of them is busy (being dialled, backing off): the other, and the rest at random.
    const { links } = chooseDials(state({ first: ['m3', 'm9'], busy: p => p === 'm9' }), rng())
    expect(links[0]).toBe('m3')
    expect(links).not.toContain('m9')
    expect(links).toHaveLength(4)
    // No more than its share: with two dials left, just those two.
    expect(chooseDials(state({ first: ['m3', 'm9', 'm5'], links: 2, outbound: 2 }), rng()).links).toEqual(['m3', 'm9'])
  })

  it('with nobody reachable, links to members it remembers (a node that only synced with a seed)', () => {
    const { links } = chooseDials(state({ reachable: [], unreachable: ['a', 'b', 'c'], reachableCount: 1 }), rng())
    expect(links.sort()).toEqual(['a', 'b', 'c'])
  })

  it('cut off (no link, members lost), tries as many members at once as it may dial, whatever its target', () => {
    // Cut off by a partition: 5 members it knows, 3 of them across it (their dials hang). With
    // --links 3 it opens 2 itself; with no link left it tries 4, so one is always on its own side.
    const cutOff = state({ targetLinks: 3, maxLinks: 5, reachable: [], unreachable: ['a1', 'a2', 'a3', 'b1', 'b2'], lost: ['a1', 'a2', 'a3', 'b1', 'b2'], reachableCount: 1 })
    for (let seed = 1; seed <= 50; seed++) {
      const { links } = chooseDials(cutOff, rng(seed))
      expect(links).toHaveLength(4)
      expect(links.some(p => p.startsWith('b'))).toBe(true)
    }
    // Four in flight already: nothing more until one ends.
    expect(chooseDials({ ...cutOff, pending: 4 }, rng()).links).toHaveLength(0)
    // One link up: back to its own share (2), already taken by the dials in flight.
    expect(chooseDials({ ...cutOff, links: 1, outbound: 1, pending: 3 }, rng()).links).toHaveLength(0)
    expect(chooseDials({ ...cutOff, links: 1, outbound: 1, pending: 0 }, rng()).links).toHaveLength(1)
    // A joiner with the same table has lost nobody: its own share, so --links keeps its meaning.
    expect(chooseDials({ ...cutOff, lost: [] }, rng()).links).toHaveLength(2)
  })

  it('redials only members it once reached (a partition), never a newcomer it only has the record of', () => {
    const few = state({ reachable: members(3), reachableCount: 4, links: 4, outbound: 4 })
    const redials = (over: Partial<OverlayState>): Set<string | undefined> =>
      new Set(Array.from({ length: 200 }, (_, seed) => chooseDials({ ...few, ...over }, rng(seed + 1)).redial))
    // Each try is taken with probability 4 / 4 here: every seed redials when there is someone to.
    expect(redials({ unreachable: ['new1', 'gone'], lost: ['gone'] })).toEqual(new Set(['gone']))
    expect(redials({ unreachable: ['new1', 'new2'], lost: [] })).toEqual(new Set([undefined]))
  })
})
