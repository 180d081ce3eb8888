import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFleet, waitForMembership, type Fleet, type FleetVariant } from '../helpers/fleet.js'
import { handOffCheck, programPid, sampleIdle } from '../helpers/fleet-sample.js'

/**
 * Eight node processes on eight hosts, in the two ways a fleet finds itself: mDNS alone, or no mDNS
 * and every node given node 1's address. Either way every node must come to know every other and
 * be able to hand a call to any other, including nodes it has no direct link to: each node has a
 * function no other node has. The fleet driver must leave nothing behind.
 */

const N = 8
const MEMBERSHIP_BOUND_MS = 90_000

function namespacesOf (id: string): string[] {
  return execFileSync('ip', ['netns', 'list']).toString().split('\n').map(l => l.split(' ')[0]!).filter(n => n.startsWith(`pf${id}`))
}

function alive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

describe.each<FleetVariant>(['mdns', 'bootstrap'])('a fleet of 8 nodes (%s)', variant => {
  let fleet: Fleet

  beforeAll(async () => {
    fleet = await startFleet({ n: N, variant })
  }, 180_000)

  afterAll(async () => { await fleet?.destroy() })

  it('every node lists the seven others, and each can hand a call to any other', async () => {
    const m = await waitForMembership(fleet, MEMBERSHIP_BOUND_MS)
    const why = `after ${m.rounds} rounds: ${JSON.stringify(m.last)}; exited: ${JSON.stringify(m.exited)}`
    expect(m.fullMembersAt, `no full membership within ${MEMBERSHIP_BOUND_MS / 1000} s, ${why}`).not.toBeNull()
    expect(m.handOffReadyAt, `not ready to hand off within ${MEMBERSHIP_BOUND_MS / 1000} s, ${why}`).not.toBeNull()
    expect(m.handOffReadyAt!).toBeGreaterThanOrEqual(m.fullMembersAt!)

    const h = await handOffCheck(fleet, 3)
    expect(h.tried).toBe(3 * N)
    expect(h.errors).toEqual([])
    expect(h.ok).toBe(h.tried)
    expect(h.wrongExecutor).toBe(0)
  }, MEMBERSHIP_BOUND_MS + 60_000)

  it('an idle sample reads every node\'s CPU, its link\'s traffic, and the full collections it made', async () => {
    const idle = await sampleIdle(fleet, 2)
    expect(idle.cpuPctPerNode.mean).toBeGreaterThanOrEqual(0)
    expect(idle.bytesPerNodePerSec).toBeGreaterThan(0)
    // Read from each node's /metrics before and after the window: counts, not guesses.
    expect(Number.isInteger(idle.heapTrims)).toBe(true)
    expect(idle.heapTrims).toBeGreaterThanOrEqual(0)
    expect(Number.isInteger(idle.majorGcs)).toBe(true)
    expect(idle.majorGcs).toBeGreaterThanOrEqual(0)
    expect(idle.busiest!.node).toBeGreaterThanOrEqual(0)
    expect(idle.busiest!.node).toBeLessThan(N)
    expect(idle.busiest!.cpuPct).toBe(idle.cpuPctPerNode.max)
  }, 30_000)

  it('destroy() removes every namespace, process and data directory', async () => {
    const pids = fleet.nodes.map(node => programPid(node.proc)!)
    const dirs = fleet.nodes.map(node => node.dataDir)
    expect(namespacesOf(fleet.lan.id)).toHaveLength(N + 2) // the bridge, the hosts, the probe host
    expect(pids.every(alive)).toBe(true)
    expect(dirs.every(d => existsSync(d))).toBe(true)
    await fleet.destroy()
    expect(namespacesOf(fleet.lan.id)).toEqual([])
    const deadline = Date.now() + 2000
    while (pids.some(alive) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    expect(pids.filter(alive)).toEqual([])
    expect(dirs.filter(d => existsSync(d))).toEqual([])
  }, 30_000)
})
