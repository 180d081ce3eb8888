import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exitCodeOf } from '../../../src/cli/bench/bench-command.js'
import { LIMITS, loadPayloads, parseBenchFlags, parseRates, ratesFor, type BenchFlags } from '../../../src/cli/bench/options.js'
import { parseHeaders } from '../../../src/cli/session.js'
import { summarise } from '../../../src/cli/bench/summary.js'
import { CliError } from '../../../src/cli/session.js'

const flags = (over: Partial<BenchFlags> = {}): BenchFlags => ({
  discover: '3000', rate: '10', duration: '10s', payload: [], header: [], concurrencyCap: '1000', timeout: '30000', http: [], ...over
})

/** The usage error a function throws, as the CLI would print it (exit 2). */
function usageOf (fn: () => unknown): string {
  try { fn() } catch (err) {
    expect(err).toBeInstanceOf(CliError)
    expect((err as CliError).exitCode).toBe(2)
    return (err as CliError).message
  }
  throw new Error('no error')
}

describe('bench flags', () => {
  it('takes one rate or one per target, decimals too', () => {
    expect(parseRates('40')).toEqual([40])
    expect(parseRates('5, 10,0.5')).toEqual([5, 10, 0.5])
    expect(ratesFor([7], 3)).toEqual([7, 7, 7])
    expect(ratesFor([1, 2, 3], 3)).toEqual([1, 2, 3])
    for (const bad of ['0', '-1', 'fast', '1,,2', '', '10001', 'Infinity', '1e3']) expect(usageOf(() => parseRates(bad))).toMatch(/--rate/)
    expect(usageOf(() => ratesFor([1, 2], 3))).toMatch(/2 rates but there are 3 targets/)
  })

  it('reads durations with units, bounded to 1 h', () => {
    expect(parseBenchFlags(flags({ duration: '500ms' })).durationMs).toBe(500)
    expect(parseBenchFlags(flags({ duration: '2m' })).durationMs).toBe(120_000)
    expect(parseBenchFlags(flags({ duration: '1h' })).durationMs).toBe(3_600_000)
    for (const bad of ['2h', '50ms', 'soon', '-1s']) expect(usageOf(() => parseBenchFlags(flags({ duration: bad })))).toMatch(/--duration/)
  })

  it('checks every other flag with a clear message', () => {
    const cases: Array<[Partial<BenchFlags>, RegExp]> = [
      [{ concurrencyCap: '0' }, /--concurrency-cap takes a whole number from 1/],
      [{ concurrencyCap: String(LIMITS.maxCap + 1) }, /--concurrency-cap/],
      [{ seed: '1.5' }, /--seed/],
      [{ seed: String(2 ** 32) }, /--seed/],
      [{ timeout: '0' }, /--timeout/],
      [{ header: ['no-colon'] }, /headers are name:value/],
      [{ header: ['bad name:x'] }, /headers are name:value/],
      [{ data: 'x', payload: ['a'] }, /not both/],
      [{ payload: Array<string>(65).fill('f') }, /at most 64 files/],
      [{ http: ['not a url'] }, /not a URL/],
      [{ http: ['http://a:1/?q=1'] }, /plain base URL/],
      [{ http: ['http://a:1', 'http://a:1/'] }, /same URL is given twice/],
      [{ http: ['http://a:1'], peer: '/ip4/127.0.0.1/tcp/1' }, /does not go with --peer or --all/],
      [{ json: '-', csv: '-' }, /only one of --json and --csv/],
      [{ json: 'x', csv: 'x' }, /name the same file/],
      [{ rate: '10000', duration: '1h' }, /keeps at most/]
    ]
    for (const [over, message] of cases) expect(usageOf(() => parseBenchFlags(flags(over)))).toMatch(message)
  })

  it('gives a plan with defaults, a random seed when none is given, and lower-case headers', () => {
    const plan = parseBenchFlags(flags({ header: ['Content-Type: text/plain', 'X-A:b:c'], seed: '7' }))
    expect(plan).toMatchObject({ rates: [10], durationMs: 10_000, cap: 1000, seed: 7, timeoutMs: 30_000, all: false, http: [] })
    expect(plan.headers).toEqual({ 'content-type': 'text/plain', 'x-a': 'b:c' })
    expect(parseHeaders([])).toEqual({})
    const seeds = new Set([1, 2, 3, 4].map(() => parseBenchFlags(flags()).seed))
    expect(seeds.size).toBeGreaterThan(1)
  })

  it('reads payloads once: files, -d text, -d @file, or an empty body', async () => {
    const file = join(tmpdir(), `bench-payload-${process.pid}.bin`)
    await writeFile(file, Buffer.from([1, 2, 3]))
    const [fromFile, text] = await loadPayloads([{ file }, { text: 'hi' }])
    expect([...fromFile!]).toEqual([1, 2, 3])
    expect(Buffer.from(text!).toString()).toBe('hi')
    expect(parseBenchFlags(flags({ data: `@${file}` })).payloadSources).toEqual([{ file }])
    expect(await loadPayloads([])).toEqual([new Uint8Array()])
    await expect(loadPayloads([{ file: '/nonexistent/x' }])).rejects.toThrow(/cannot read \/nonexistent\/x/)
    await expect(loadPayloads([{ file: tmpdir() }])).rejects.toThrow(/cannot read/)
  })
})

describe('bench exit code', () => {
  const ctx = { function: 'f', transport: 'libp2p' as const, seed: 1, durationMs: 1000, rates: [1], targets: ['A'], interrupted: false, maxInFlight: 1, wallMs: 1, cpu: { userMs: 0, systemMs: 0, share: 0, eventLoopBusy: 0 } }
  const r = (outcome: 'ok' | 'rejected' | 'error', code = ''): Parameters<typeof summarise>[0][number] =>
    ({ target: 'A', scheduledMs: 0, startMs: 0, latencyMs: 1, outcome, status: 0, code, hops: 0, ranOn: '', forwarded: false })

  it('is 0 when anything succeeded, else the commonest failure', () => {
    expect(exitCodeOf(summarise([r('ok'), r('error', 'TIMEOUT'), r('error', 'TIMEOUT')], ctx))).toBe(0)
    expect(exitCodeOf(summarise([r('error', 'FUNCTION_NOT_FOUND')], ctx))).toBe(4)
    expect(exitCodeOf(summarise([r('rejected', 'OVERLOADED'), r('rejected', 'OVERLOADED'), r('error', 'TIMEOUT')], ctx))).toBe(3)
    expect(exitCodeOf(summarise([r('error', 'UNREACHABLE')], ctx))).toBe(5)
    expect(exitCodeOf(summarise([r('error', 'TIMEOUT')], ctx))).toBe(6)
    expect(exitCodeOf(summarise([r('error', 'HTTP_500')], ctx))).toBe(1)
  })
})
