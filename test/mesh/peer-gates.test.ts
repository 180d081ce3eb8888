import { describe, expect, it } from 'vitest'
import { BAN_MS, MAX_REMEMBERED, PeerGates } from '../../src/mesh/peer-gates.js'

/** The link manager's refusals, on a clock the test turns by hand. */

const clock = (): { now: () => number, advance: (ms: number) => void } => {
  let t = 0
  return { now: () => t, advance: ms => { t += ms } }
}

describe('the peer gates', () => {
  it('back a failed dial target off for twice as long each time, to 8 s, jittered by a quarter either way', () => {
    const c = clock()
    let r = 0.5
    const gates = new PeerGates({ now: c.now, rng: () => r })
    const waits: number[] = []
    for (let i = 0; i < 6; i++) {
      gates.noteFailure('a')
      let waited = 0
      while (gates.backingOff('a')) { c.advance(1); waited++ }
      waits.push(waited)
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000, 8000])
    r = 0
    gates.noteFailure('b')
    expect(gates.backingOff('b')).toBe(true)
    c.advance(750)
    expect(gates.backingOff('b')).toBe(false)
    gates.noteFailure('b')
    gates.clearBackoff('b')
    expect(gates.backingOff('b')).toBe(false)
  })

  it('refuse a banned peer for BAN_MS, then let it back', () => {
    const c = clock()
    const gates = new PeerGates({ now: c.now, rng: Math.random })
    gates.ban('p')
    expect(gates.isBanned('p')).toBe(true)
    expect(gates.isBanned('q')).toBe(false)
    c.advance(BAN_MS - 1)
    expect(gates.isBanned('p')).toBe(true)
    c.advance(1)
    expect(gates.isBanned('p')).toBe(false)
  })

  it('tell a newly marked foreign node from one marked before, and stay bounded', () => {
    const gates = new PeerGates({ now: () => 0, rng: Math.random })
    expect(gates.markForeign('x')).toBe(true)
    expect(gates.markForeign('x')).toBe(false)
    expect(gates.isForeign('x')).toBe(true)
    for (let i = 1; i < MAX_REMEMBERED; i++) gates.markForeign(`f${i}`)
    expect(gates.isForeign('x')).toBe(true)
    // Full: the next one starts the set afresh.
    expect(gates.markForeign('y')).toBe(true)
    expect(gates.isForeign('x')).toBe(false)
    expect(gates.isForeign('y')).toBe(true)
  })
})
