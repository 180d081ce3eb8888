import { describe, expect, it } from 'vitest'
import { partitionCase } from '../helpers/chaos-cases.js'

/**
 * A 6-node LAN split 3+3 (half the hosts moved to a second bridge) for 10 s under load on both
 * sides, then healed. The views are polled with generous bounds; the measured times are asserted.
 */
describe('partition and heal', () => {
  it('both sides keep answering; views drop the other side within 5 s; the mesh is whole within 5 s of the heal', async () => {
    const f = await partitionCase(10_000)
    process.stdout.write(`partition: ${JSON.stringify(f)}\n`)
    for (const side of [f.sideA, f.sideB]) {
      expect(side.unanswered).toBe(0)
      expect(side.late).toBe(0)
      // A call handed across at the cut has a peer that neither answers nor hangs up: it is
      // answered TIMEOUT at its deadline, which is an answer in time.
      expect(side.other).toEqual({})
      expect(side.ok + side.overloaded + side.peerLost + side.timeout).toBe(side.calls)
      expect(side.ok).toBeGreaterThan(side.calls * 0.9)
    }
    expect(f.dropMs).toBeLessThan(5000)
    expect(f.healMs).toBeLessThan(5000)
  }, 150_000)
})
