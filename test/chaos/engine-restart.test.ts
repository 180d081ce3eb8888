import { describe, expect, it } from 'vitest'
import { engineRestartCase } from '../helpers/chaos-engine.js'

/**
 * A node's functions run on a second Docker engine (its own bridge, data root and socket; the
 * main engine is never touched), which is stopped under load and started again.
 */
describe('engine restart', () => {
  it('503 RUNTIME_UNAVAILABLE while the engine is down, calls succeed after it returns, no container leaked', async () => {
    const f = await engineRestartCase({ beforeMs: 2000, downMs: 3000, afterMs: 3000, ratePerSec: 10 })
    process.stdout.write(`engine: ${JSON.stringify(f)}\n`)
    expect(f.unanswered).toBe(0)
    expect(f.whileDown).toBeGreaterThan(0)
    expect(f.whileDownUnavailable).toBe(f.whileDown)
    expect(f.afterRecovery).toBeGreaterThan(0)
    expect(f.afterRecoveryFailed).toBe(0)
    expect(f.afterRecoveryOk).toBeGreaterThan(f.afterRecovery * 0.8)
    expect(f.nodeExit).toBe(0)
    expect(f.leaked).toEqual([])
  }, 240_000)
})
