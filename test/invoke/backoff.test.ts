import { describe, expect, it } from 'vitest'
import { RefusalBackoff } from '../../src/invoke/backoff.js'

/** RefusalBackoff on a hand-driven clock: one refusal forgiven, then longer each time, capped; one acceptance forgives all. */

function backoff (baseMs = 500, maxMs = 30_000): { b: RefusalBackoff, advance: (ms: number) => void } {
  let now = 0
  return { b: new RefusalBackoff(baseMs, maxMs, () => now), advance: ms => { now += ms } }
}

describe('RefusalBackoff', () => {
  it('forgives one refusal', () => {
    const { b } = backoff()
    expect(b.isBackingOff('A')).toBe(false)
    b.refused('A')
    expect(b.isBackingOff('A')).toBe(false)
  })

  it('leaves a peer alone for the base time after its second refusal', () => {
    const { b, advance } = backoff()
    b.refused('A')
    b.refused('A')
    expect(b.isBackingOff('A')).toBe(true)
    expect(b.isBackingOff('B')).toBe(false)
    advance(499)
    expect(b.isBackingOff('A')).toBe(true)
    advance(1)
    expect(b.isBackingOff('A')).toBe(false)
  })

  it('doubles the time with every further refusal, up to the cap', () => {
    const { b, advance } = backoff(500, 3000)
    const heldFor = (): number => {
      let ms = 0
      while (b.isBackingOff('A')) { advance(100); ms += 100 }
      return ms
    }
    b.refused('A')
    const held: number[] = []
    for (let i = 0; i < 5; i++) {
      b.refused('A')
      held.push(heldFor())
    }
    expect(held).toEqual([500, 1000, 2000, 3000, 3000])
  })

  it('forgets a peer once it accepts a call, and every peer on clear()', () => {
    const { b } = backoff()
    for (const peer of ['A', 'B']) { b.refused(peer); b.refused(peer) }
    b.accepted('A')
    expect(b.isBackingOff('A')).toBe(false)
    // Its record is gone, not just its wait: one refusal is forgiven again.
    b.refused('A')
    expect(b.isBackingOff('A')).toBe(false)
    expect(b.isBackingOff('B')).toBe(true)
    b.clear()
    expect(b.isBackingOff('B')).toBe(false)
  })

  it('keeps at most 4096 peers, dropping the oldest', () => {
    const { b } = backoff()
    b.refused('first')
    b.refused('first')
    for (let i = 0; i < 4096; i++) b.refused(`p${i}`)
    expect(b.isBackingOff('first')).toBe(false)
    b.refused('p4095')
    expect(b.isBackingOff('p4095')).toBe(true)
  })
})
