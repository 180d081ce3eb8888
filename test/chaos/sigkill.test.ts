import { describe, expect, it } from 'vitest'
import { sigkillCase } from '../helpers/chaos-cases.js'

/**
 * Two of five nodes die (SIGKILL) while node 1, offered 2.5× its capacity, hands most calls off.
 * Every call gets exactly one answer in time: ok, 429 or PEER_LOST; the calls marked idempotent
 * never see PEER_LOST, because a call lost with its peer is run again elsewhere.
 */
describe('SIGKILL under load', () => {
  it('every call gets one answer in time; idempotent calls lost with a peer succeed elsewhere', async () => {
    const f = await sigkillCase(12_000)
    process.stdout.write(`sigkill: ${JSON.stringify(f)}\n`)
    expect(f.killedAtMs).toHaveLength(2)
    expect(f.all.unanswered).toBe(0)
    expect(f.all.late).toBe(0)
    expect(f.all.other).toEqual({})
    expect(f.all.ok + f.all.overloaded + f.all.peerLost).toBe(f.all.calls)
    expect(f.all.handedOff).toBeGreaterThan(f.all.calls / 3)
    // Both victims held calls when killed: those marked idempotent were run again elsewhere.
    expect(f.inFlightAtKill.every(n => n > 0)).toBe(true)
    expect(f.idempotent.peerLost).toBe(0)
    expect(f.idempotent.ok + f.idempotent.overloaded).toBe(f.idempotent.calls)
  }, 150_000)
})
