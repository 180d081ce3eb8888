import { describe, expect, it } from 'vitest'
import { createPeerLimiter } from '../../src/mesh/peer-limiter.js'

/** The token bucket per peer, on a clock the test turns by hand. */

const clock = (): { now: () => number, advance: (ms: number) => void } => {
  let t = 0
  return { now: () => t, advance: ms => { t += ms } }
}

const takeMany = (take: () => boolean, n: number): number => {
  let ok = 0
  for (let i = 0; i < n; i++) if (take()) ok++
  return ok
}

describe('the per-peer limiter', () => {
  it('lets a peer burst two seconds of its rate, then refills at the rate', () => {
    const c = clock()
    const limiter = createPeerLimiter({ ratePerSecond: 10, now: c.now })
    expect(takeMany(() => limiter.take('a'), 50)).toBe(20)
    expect(limiter.throttled).toBe(30)
    c.advance(500)
    expect(takeMany(() => limiter.take('a'), 50)).toBe(5)
    c.advance(60_000)
    // Never more than the burst, however long the peer was quiet.
    expect(takeMany(() => limiter.take('a'), 50)).toBe(20)
  })

  it('keeps one bucket per peer: a flooder does not spend an honest peer\'s tokens', () => {
    const c = clock()
    const limiter = createPeerLimiter({ ratePerSecond: 5, burstSeconds: 1, now: c.now })
    expect(takeMany(() => limiter.take('flooder'), 1000)).toBe(5)
    expect(takeMany(() => limiter.take('honest'), 5)).toBe(5)
    expect(limiter.throttled).toBe(995)
  })

  it('remembers at most maxPeers, forgetting the least recently heard first', () => {
    const c = clock()
    const limiter = createPeerLimiter({ ratePerSecond: 1, burstSeconds: 1, maxPeers: 3, now: c.now })
    for (const p of ['a', 'b', 'c']) expect(limiter.take(p)).toBe(true)
    expect(limiter.take('a')).toBe(false) // a heard again: now the most recent
    expect(limiter.take('d')).toBe(true) // b, the least recently heard, is forgotten
    expect(limiter.size).toBe(3)
    expect(limiter.take('a')).toBe(false)
    expect(limiter.take('c')).toBe(false)
    expect(limiter.take('b')).toBe(true) // forgotten, so a full bucket again
  })

  it('follows a rate that changes, and does not limit at 0', () => {
    const c = clock()
    let rate = 0
    const limiter = createPeerLimiter({ ratePerSecond: () => rate, now: c.now })
    expect(takeMany(() => limiter.take('a'), 10_000)).toBe(10_000)
    expect(limiter.size).toBe(0)
    rate = 2
    expect(takeMany(() => limiter.take('a'), 10)).toBe(4)
    expect(limiter.rate()).toBe(2)
  })
})
