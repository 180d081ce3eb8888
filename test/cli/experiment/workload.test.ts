import { describe, expect, it } from 'vitest'
import { aggregate, addToTimeline, summariseRun, toCalls, type MachineCheck, type RunContext } from '../../../src/cli/experiment/results.js'
import { parseExperimentSpec, type ExperimentSpec } from '../../../src/cli/experiment/spec.js'
import { buildArrivals, drawService, offeredRates, runSeed, TASK_TYPE_HEADER } from '../../../src/cli/experiment/workload.js'
import { seededRng } from '../../../src/scheduler/seeded.js'
import type { CallRecord } from '../../../src/cli/bench/summary.js'

/** What a run sends (seeded, the same for every policy) and how its calls are counted. */

const specOf = async (extra = ''): Promise<ExperimentSpec> => await parseExperimentSpec(`
nodes: [{ count: 2, slots: 2 }]
tasks:
  - { name: fast, service: exp:50ms, deadline: 100ms, share: 3 }
  - { name: slow, service: { distribution: uniform, min: 100ms, max: 300ms }, deadline: 1s }
rho: [0.8]
policies: [local, random]
duration: 20s
warmup: 2s
seed: 11
${extra}`, 'w.yml')

describe('the calls of a run', () => {
  it('are the same for the same seed, and differ between repetitions', async () => {
    const spec = await specOf()
    const rates = offeredRates(spec, 0.8)
    const a = buildArrivals(spec, rates, runSeed(spec.seed, 0, 0))
    expect(buildArrivals(spec, rates, runSeed(spec.seed, 0, 0))).toEqual(a)
    expect(buildArrivals(spec, rates, runSeed(spec.seed, 1, 0))).not.toEqual(a)
    expect(runSeed(spec.seed, 0, 1)).not.toBe(runSeed(spec.seed, 1, 0))
  })

  it('each carry the task-type header (0-based) and the work as ?ms=, drawn from the mix', async () => {
    const spec = await specOf()
    const rates = offeredRates(spec, 0.8)
    // E[S] = 0.75·50 + 0.25·200 = 87.5 ms; 0.8 of 2 slots per node: 18.3/s each.
    expect(spec.meanServiceMs).toBeCloseTo(87.5, 9)
    expect(rates[0]).toBeCloseTo(0.8 * 2 / 0.0875, 9)
    const calls = buildArrivals(spec, rates, 5)
    expect(calls.length).toBeGreaterThan(600)
    for (const c of calls) {
      expect(c.options?.headers?.[TASK_TYPE_HEADER]).toBe(String(c.task))
      expect(c.options?.query).toBe(`ms=${c.workMs.toFixed(3)}`)
      if (c.task === 1) expect(c.workMs >= 100 && c.workMs <= 300).toBe(true)
    }
    const fast = calls.filter(c => c.task === 0).length / calls.length
    expect(fast).toBeGreaterThan(0.7)
    expect(fast).toBeLessThan(0.8)
    expect(calls.every((c, i) => i === 0 || c.atMs >= calls[i - 1]!.atMs)).toBe(true)
    expect(calls.at(-1)!.atMs).toBeLessThan(22_000)
  })

  it('draws every distribution with the mean it was given', () => {
    const rng = seededRng(3)
    const meanOf = (draw: () => number): number => { let s = 0; for (let i = 0; i < 40_000; i++) s += draw(); return s / 40_000 }
    expect(meanOf(() => drawService({ distribution: 'exponential', meanMs: 100 }, rng))).toBeCloseTo(100, -1)
    expect(meanOf(() => drawService({ distribution: 'lognormal', meanMs: 100, cv: 0.5 }, rng))).toBeCloseTo(100, -1)
    expect(meanOf(() => drawService({ distribution: 'uniform', minMs: 50, maxMs: 150, meanMs: 100 }, rng))).toBeCloseTo(100, -1)
    expect(drawService({ distribution: 'deterministic', meanMs: 42 }, rng)).toBe(42)
  })
})

describe('the records of a run', () => {
  const machine: MachineCheck = { sendLagP99Ms: 1, sendLagMaxMs: 2, cliLoopDelayP99Ms: 3, cliLoopBusy: 0.1, nodeCpuMax: null, nodeCpuMean: null, nodeLatenessP99Ms: null, wallMs: 22_000 }

  it('count every call once: ok + rejected + errors = sent, warm-up apart, deadlines per task type', async () => {
    const spec = await specOf()
    const arrivals = buildArrivals(spec, offeredRates(spec, 0.8), 9).slice(0, 400)
    const outcomes = ['ok', 'ok', 'rejected', 'error', 'dropped', 'ok'] as const
    const records: CallRecord[] = arrivals.map((a, i) => {
      const outcome = outcomes[i % outcomes.length]!
      return { target: `n${a.target}`, scheduledMs: a.atMs, startMs: a.atMs + 0.5, latencyMs: outcome === 'dropped' ? null : (i % 2 === 0 ? 80 : 150),
        outcome, status: outcome === 'ok' ? 200 : 429, code: '', hops: i % 4 === 0 ? 1 : 0, ranOn: i % 4 === 0 ? 'B' : 'A', forwarded: i % 4 === 0 }
    })
    const ctx: RunContext = { spec, rep: 0, policy: 'local', rho: 0.8, nodeOfTarget: new Map([['n0', 0], ['n1', 1]]), nodeOfPeer: new Map([['A', 0], ['B', 1]]) }
    const calls = toCalls(records, arrivals, ctx)
    expect(calls).toHaveLength(400)
    expect(calls[0]).toMatchObject({ rep: 0, policy: 'local', rho: 0.8, task: spec.tasks[arrivals[0]!.task]!.name })
    for (const c of calls) {
      const deadline = c.task === 'fast' ? 100 : 1000
      expect(c.withinDeadline).toBe(c.outcome === 'ok' && c.responseMs! <= deadline)
      expect(c.warmup).toBe(c.scheduledMs < 2000)
    }
    const s = summariseRun(calls, { rep: 0, policy: 'local', rho: 0.8, offeredRate: 36, interrupted: false, machine })
    const counted = calls.filter(c => !c.warmup)
    expect(s.arrivals).toBe(counted.length)
    expect(s.ok + s.rejected + s.errors).toBe(s.sent)
    expect(s.sent + s.dropped).toBe(s.arrivals)
    expect(s.pB).toBeCloseTo(s.rejected / s.sent, 12)
    expect(s.withinDeadline).toBeCloseTo(counted.filter(c => c.withinDeadline).length / s.sent, 12)
    // Mismatched records and arrivals are a bug, not data.
    expect(() => toCalls(records.slice(1), arrivals, ctx)).toThrow(/is not arrival 0/)
  })

  it('pool repetitions into intervals per (policy, ρ), leaving interrupted runs out', () => {
    const run = (rep: number, pB: number, interrupted = false) => ({
      rep, policy: 'p', rho: 0.5, offeredRate: 1, interrupted, arrivals: 10, sent: 10, ok: 10, rejected: 0, errors: 0, dropped: 0,
      pB, meanMs: 100, p99Ms: 200, forwardedShare: 0, withinDeadline: 1, machine: { ...machine, sendLagP99Ms: rep }
    })
    const [a] = aggregate([run(0, 0.1), run(1, 0.2), run(2, 0.3), run(3, 0.9, true)])
    expect(a).toMatchObject({ policy: 'p', rho: 0.5, repetitions: 3, machine: { sendLagP99Ms: 2 } })
    expect(a!.metrics.pB.mean).toBeCloseTo(0.2, 12)
    expect(a!.metrics.pB.half).toBeCloseTo(4.303 * 0.1 / Math.sqrt(3), 9)
    expect(aggregate([run(0, 0.1)])[0]!.metrics.pB.half).toBeNull()
  })

  it('count figure 3 per window, repetitions pooled', () => {
    const t = { policy: 'p', rho: 1, windowMs: 100, sent: [] as number[], within: [] as number[] }
    const call = (at: number, within: boolean, outcome: 'ok' | 'dropped' = 'ok') => ({ scheduledMs: at, withinDeadline: within, outcome }) as Parameters<typeof addToTimeline>[1][number]
    addToTimeline(t, [call(10, true), call(50, false), call(250, true), call(260, false, 'dropped')])
    addToTimeline(t, [call(20, true)])
    expect(t.sent).toEqual([3, 0, 1])
    expect(t.within).toEqual([2, 0, 1])
  })
})
