import { describe, expect, it } from 'vitest'
import { CSV_COLUMNS, csvChunks, jsonChunks, percentile, renderSummary, stats, summarise, type CallRecord, type SummaryContext } from '../../../src/cli/bench/summary.js'

const rec = (over: Partial<CallRecord>): CallRecord => ({
  target: 'A', scheduledMs: 0, startMs: 0, latencyMs: 10, outcome: 'ok', status: 200, code: '', hops: 0, ranOn: 'A', forwarded: false, ...over
})

const ctx: SummaryContext = {
  function: 'emu', transport: 'libp2p', seed: 1, durationMs: 1000, rates: [4, 2], targets: ['A', 'B'],
  interrupted: false, maxInFlight: 3, wallMs: 1200, cpu: { userMs: 100, systemMs: 20, share: 0.1, eventLoopBusy: 0.05 }
}

const records: CallRecord[] = [
  rec({ scheduledMs: 10, startMs: 11, latencyMs: 5 }),
  rec({ scheduledMs: 200, startMs: 203, latencyMs: 15, hops: 1, ranOn: 'B', forwarded: true }),
  rec({ target: 'B', scheduledMs: 300, startMs: 300, latencyMs: 1, outcome: 'rejected', status: 0, code: 'OVERLOADED', ranOn: '' }),
  rec({ target: 'B', scheduledMs: 400, startMs: 401, latencyMs: 30000, outcome: 'error', status: 0, code: 'TIMEOUT', ranOn: '' }),
  rec({ scheduledMs: 500, startMs: 500, latencyMs: null, outcome: 'dropped', status: 0, ranOn: '' }),
  rec({ scheduledMs: 900, startMs: 950, latencyMs: 25, outcome: 'error', status: 500, code: 'HTTP_500' })
]

describe('percentile', () => {
  it('is the nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(xs, 50)).toBe(50)
    expect(percentile(xs, 95)).toBe(95)
    expect(percentile(xs, 99)).toBe(99)
    expect(percentile(xs, 100)).toBe(100)
    expect(percentile(xs, 0)).toBe(1)
    expect(percentile([7], 99)).toBe(7)
    expect(percentile([1, 2, 3], 50)).toBe(2)
    expect(percentile([], 50)).toBeNaN()
  })

  it('stats sorts numerically, not as strings', () => {
    expect(stats([10, 9, 100, 1])).toEqual({ p50: 9, p95: 100, p99: 100, max: 100, mean: 30 })
    expect(stats([])).toBeNull()
  })
})

describe('summarise', () => {
  it('counts each outcome, errors by code, forwarded share, hops and per target', () => {
    const s = summarise(records, ctx)
    expect(s).toMatchObject({ arrivals: 6, sent: 5, succeeded: 2, rejected: 1, errors: 2, dropped: 1, offeredRate: 6, maxInFlight: 3 })
    expect(s.errorsByCode).toEqual({ TIMEOUT: 1, HTTP_500: 1 })
    expect(s.forwardedShare).toBe(0.5)
    expect(s.hops).toEqual({ 0: 1, 1: 1 })
    expect(s.latencyMs).toMatchObject({ p50: 5, max: 15 })
    // Sent 5 over the 1 s schedule (the last send, at 950 ms, was inside it).
    expect(s.achievedRate).toBeCloseTo(5)
    expect(s.sendLagMs!.max).toBe(50)
    expect(s.perTarget).toEqual([
      { target: 'A', rate: 4, arrivals: 4, sent: 3, succeeded: 2, rejected: 0, errors: 1, dropped: 1 },
      { target: 'B', rate: 2, arrivals: 2, sent: 2, succeeded: 0, rejected: 1, errors: 1, dropped: 0 }
    ])
  })

  it('measures the achieved rate over the time sending took when the generator fell behind', () => {
    const late = [rec({ scheduledMs: 100, startMs: 1900 }), rec({ scheduledMs: 900, startMs: 2000 })]
    expect(summarise(late, ctx).achievedRate).toBeCloseTo(1)
  })

  it('renders one fact per line', () => {
    const text = renderSummary(summarise(records, ctx))
    expect(text).toMatch(/^bench emu: 2 target\(s\) over libp2p, 6\.0\/s offered for 1\.0 s, seed 1\n/)
    expect(text).toMatch(/ {2}sent {7}5\n/)
    expect(text).toMatch(/ {2}errors {5}2 \((TIMEOUT 1, HTTP_500 1|HTTP_500 1, TIMEOUT 1)\)\n/)
    expect(text).toMatch(/dropped {4}1 \(over --concurrency-cap; peak 3 outstanding\)/)
    expect(text).toMatch(/forwarded {2}50\.0%/)
    expect(text).toMatch(/latency {4}p50 5\.0 ms, p95 15\.0 ms, p99 15\.0 ms, max 15\.0 ms/)
    expect(text).toMatch(/hops {7}0: 1, 1: 1/)
    expect(text).toMatch(/per target\n {4}A {2}4\/s: sent 3, ok 2/)
  })
})

describe('JSON and CSV', () => {
  it('JSON holds the summary and one record per call, in order, with every field', () => {
    const many = Array.from({ length: 2500 }, (_, i) => rec({ scheduledMs: i / 3, startMs: i / 3 + 0.12345 }))
    const doc = JSON.parse([...jsonChunks(summarise(many, ctx), many)].join('')) as { summary: unknown, calls: CallRecord[] }
    expect(doc.summary).toMatchObject({ arrivals: 2500 })
    expect(doc.calls).toHaveLength(2500)
    expect(Object.keys(doc.calls[0]!).sort()).toEqual(['code', 'forwarded', 'hops', 'latencyMs', 'outcome', 'ranOn', 'scheduledMs', 'startMs', 'status', 'target'])
    expect(doc.calls[3]).toMatchObject({ scheduledMs: 1, startMs: 1.123 })
    const empty = JSON.parse([...jsonChunks(summarise([], ctx), [])].join('')) as { calls: unknown[] }
    expect(empty.calls).toEqual([])
  })

  it('CSV has a header and one quoted-where-needed line per call', () => {
    const lines = [...csvChunks(records)].join('').split('\n')
    expect(lines[0]).toBe(CSV_COLUMNS.join(','))
    expect(lines).toHaveLength(records.length + 2) // header, rows, the final newline
    expect(lines[1]).toBe('A,10,11,5,ok,200,,0,A,false')
    expect(lines[5]).toBe('A,500,500,,dropped,0,,0,,false')
    const odd = [...csvChunks([rec({ target: 'http://x/a,b', code: 'say "hi"' })])].join('').split('\n')[1]
    expect(odd).toBe('"http://x/a,b",0,0,10,ok,200,"say ""hi""",0,A,false')
  })
})
