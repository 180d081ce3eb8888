import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { poissonSchedule } from '../../src/cli/bench/arrivals.js'
import { CSV_COLUMNS, type BenchSummary, type CallRecord } from '../../src/cli/bench/summary.js'
import { p2pfaas } from '../helpers/run-cli.js'
import { waitFor } from '../helpers/mesh.js'
import { startTestNode, type TestNode } from '../helpers/node.js'

/** `p2pfaas bench` against a real 3-node mesh on loopback: the CLI as a user runs it. */

let nodes: TestNode[] = []

async function deploy (t: TestNode, body: unknown): Promise<void> {
  const res = await fetch(`${t.url}/system/functions`, { method: 'POST', headers: { authorization: t.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  expect(res.status).toBe(202)
}

const emulated = (service: string, time: string, concurrency: number, queue: number): unknown =>
  ({ service, labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': time, 'p2pfaas.concurrency': String(concurrency), 'p2pfaas.queue': String(queue) } })

beforeAll(async () => {
  const a = await startTestNode({ runtime: 'process' })
  const b = await startTestNode({ runtime: 'process', bootstrap: [a.node.mesh.addrs()[0]!] })
  const c = await startTestNode({ runtime: 'process', bootstrap: [a.node.mesh.addrs()[0]!, b.node.mesh.addrs()[0]!] })
  nodes = [a, b, c]
  for (const t of nodes) await deploy(t, emulated('emu', 'fixed:5ms', 8, 8))
  // Slow and alone on a: the cap test must see its calls stay outstanding.
  await deploy(a, emulated('slow', 'fixed:400ms', 4, 4))
  await deploy(a, emulated('hold', 'fixed:500ms', 400, 0))
  await waitFor('a full mesh with emu everywhere', () => nodes.every(t => {
    const peers = t.node.mesh.view.connected()
    return peers.length === 2 && peers.every(p => p.functions.includes('emu'))
  }), 10_000)
})

afterAll(async () => {
  for (const t of nodes.reverse()) await t.stop()
})

const peerOf = (t: TestNode): string => t.node.mesh.addrs().find(x => x.includes('/p2p/'))!
const idOf = (t: TestNode): string => t.node.mesh.peerId.toString()

describe('p2pfaas bench', () => {
  it('sends the seeded Poisson schedule to one node: one JSON record per call, the summary on stderr', async () => {
    const r = await p2pfaas(['bench', 'emu', '--peer', peerOf(nodes[0]!), '--rate', '40', '--duration', '2s', '--seed', '7', '--json', '-'])
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout.toString()) as { summary: BenchSummary, calls: CallRecord[] }
    const expected = poissonSchedule({ rates: [40], durationMs: 2000, seed: 7, payloads: 1 })
    // 80 expected; the seed fixes the count exactly, and it is within 4 sd of the mean.
    expect(out.calls).toHaveLength(expected.length)
    expect(Math.abs(out.calls.length - 80)).toBeLessThanOrEqual(4 * Math.sqrt(80))
    expect(out.calls.map(c => c.scheduledMs)).toEqual(expected.map(a => Math.round(a.atMs * 1000) / 1000))
    expect(out.summary).toMatchObject({ function: 'emu', transport: 'libp2p', seed: 7, arrivals: expected.length, sent: expected.length, dropped: 0 })
    expect(out.summary.succeeded).toBeGreaterThan(expected.length * 0.9)
    for (const c of out.calls) {
      expect(c).toMatchObject({ target: idOf(nodes[0]!), outcome: expect.stringMatching(/^(ok|rejected|error)$/), hops: expect.any(Number) })
      expect(c.startMs).toBeGreaterThanOrEqual(c.scheduledMs - 0.001)
    }
    const ok = out.calls.filter(c => c.outcome === 'ok')
    expect(ok.every(c => c.status === 200 && c.latencyMs! > 0 && nodes.some(t => idOf(t) === c.ranOn))).toBe(true)
    expect(out.summary.latencyMs!.p50).toBeGreaterThan(4)
    expect(r.stderr).toMatch(/succeeded\s+\d+/)
    expect(r.stderr).toMatch(/latency\s+p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms, max/)
    expect(r.stderr).toMatch(/hops\s+0: \d+/)
  })

  it('--all spreads the arrivals over every node, one rate per node in order, as CSV', async () => {
    const r = await p2pfaas(['bench', 'emu', '--peer', peerOf(nodes[1]!), '--all', '--rate', '30,15,5', '--duration', '1500ms', '--seed', '3', '--csv', '-'])
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.toString().trim().split('\n')
    expect(lines[0]).toBe(CSV_COLUMNS.join(','))
    const rows = lines.slice(1).map(l => l.split(','))
    const expected = poissonSchedule({ rates: [30, 15, 5], durationMs: 1500, seed: 3, payloads: 1 })
    expect(rows).toHaveLength(expected.length)
    const targets = [...new Set(rows.map(row => row[0]))]
    expect(targets.sort()).toEqual(nodes.map(idOf).sort())
    // The --peer node first, then its peers; each gets exactly its own stream of the schedule.
    const order = [idOf(nodes[1]!), ...nodes.filter((_, i) => i !== 1).map(idOf).sort()]
    for (const [i, peer] of order.entries()) {
      expect(rows.filter(row => row[0] === peer)).toHaveLength(expected.filter(a => a.target === i).length)
    }
    expect(r.stderr).toMatch(/3 target\(s\) over libp2p/)
    expect(r.stderr).toMatch(/per target/)
  })

  it('--http calls the nodes over HTTP, with no libp2p session', async () => {
    const file = join(nodes[0]!.dataDir, 'bench.json')
    const r = await p2pfaas(['bench', 'emu', '--http', nodes[0]!.url, '--http', `${nodes[2]!.url}/`, '--rate', '25', '--duration', '1s', '--seed', '11', '--json', file, '-d', 'hello'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.toString()).toMatch(/2 target\(s\) over http/)
    const out = JSON.parse(await readFile(file, 'utf8')) as { summary: BenchSummary, calls: CallRecord[] }
    expect(out.calls).toHaveLength(poissonSchedule({ rates: [25, 25], durationMs: 1000, seed: 11, payloads: 1 }).length)
    expect(out.summary.transport).toBe('http')
    expect(new Set(out.calls.map(c => c.target))).toEqual(new Set([nodes[0]!.url, nodes[2]!.url]))
    const ok = out.calls.filter(c => c.outcome === 'ok')
    expect(ok.length).toBeGreaterThan(out.calls.length * 0.9)
    expect(ok.every(c => c.status === 200 && nodes.some(t => idOf(t) === c.ranOn))).toBe(true)
  })

  it('--concurrency-cap drops the arrivals beyond it instead of slowing the clock', async () => {
    const r = await p2pfaas(['bench', 'slow', '--peer', peerOf(nodes[0]!), '--rate', '20', '--duration', '1s', '--seed', '5', '--concurrency-cap', '1', '--json', '-'])
    expect(r.code, r.stderr).toBe(0)
    const { summary, calls } = JSON.parse(r.stdout.toString()) as { summary: BenchSummary, calls: CallRecord[] }
    const due = poissonSchedule({ rates: [20], durationMs: 1000, seed: 5, payloads: 1 }).length
    expect(summary.arrivals).toBe(due)
    expect(summary.maxInFlight).toBe(1)
    // Each call holds the only slot for 400 ms: at most 3 of the second's arrivals can go out.
    expect(summary.sent).toBeLessThanOrEqual(3)
    expect(summary.dropped).toBe(due - summary.sent)
    expect(calls.filter(c => c.outcome === 'dropped').every(c => c.latencyMs === null)).toBe(true)
    // Open loop: dropped arrivals were still due on time, not when the slot came free (400 ms later).
    expect(Math.max(...calls.map(c => c.startMs - c.scheduledMs))).toBeLessThan(200)
  })

  it('keeps more than 64 calls outstanding to one node over its one connection', async () => {
    const r = await p2pfaas(['bench', 'hold', '--peer', peerOf(nodes[0]!), '--rate', '250', '--duration', '1s', '--seed', '2', '--json', '-'])
    expect(r.code, r.stderr).toBe(0)
    const { summary } = JSON.parse(r.stdout.toString()) as { summary: BenchSummary }
    expect(summary.maxInFlight).toBeGreaterThan(64)
    expect(summary).toMatchObject({ errors: 0, rejected: 0, dropped: 0, succeeded: summary.arrivals })
  })

  it('exits 2 with a clear message for each bad flag, and 4 when the function is not deployed', async () => {
    const peer = peerOf(nodes[0]!)
    // Each check is unit-tested in bench/options.test.ts; here, that the CLI turns them into exit 2.
    const cases: Array<[string[], RegExp]> = [
      [['--rate', '0'], /--rate takes calls per second/],
      [['--duration', '2h'], /--duration must be a duration/],
      [['-H', 'nocolon'], /headers are name:value/],
      [['--payload', '/nonexistent/body.bin'], /cannot read \/nonexistent/],
      [['--http', 'http://127.0.0.1:1', '--all'], /does not go with --peer or --all/],
      // Known only once connected: one rate per target, and there is one target.
      [['--rate', '1,2'], /--rate has 2 rates but there is 1 target/]
    ]
    const runs = await Promise.all(cases.map(async ([flags]) => await p2pfaas(['bench', 'emu', '--peer', peer, '--duration', '1s', ...flags])))
    runs.forEach((r, i) => {
      expect(r.code, `${cases[i]![0].join(' ')}: ${r.stderr}`).toBe(2)
      expect(r.stderr).toMatch(cases[i]![1])
    })
    const badName = await p2pfaas(['bench', 'Not_A_Name', '--peer', peer])
    expect(badName.code).toBe(2)
    const noPeer = await p2pfaas(['bench', 'emu'])
    expect(noPeer.code).toBe(2)
    const missing = await p2pfaas(['bench', 'nope', '--peer', peer, '--rate', '10', '--duration', '300ms', '--seed', '1'])
    expect(missing.code, missing.stderr).toBe(4)
    expect(missing.stdout.toString()).toMatch(/FUNCTION_NOT_FOUND/)
  })
})
