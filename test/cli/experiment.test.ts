import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AGGREGATE_COLUMNS, CALL_COLUMNS, RUN_COLUMNS } from '../../src/cli/experiment/output.js'
import { CLI } from '../helpers/cli.js'
import { waitFor } from '../helpers/mesh.js'
import { CLI_CONFIG_HOME } from '../helpers/run-cli.js'
import type { ExperimentCall, RunSummary } from '../../src/cli/experiment/results.js'
import type { SummaryDocument } from '../../src/cli/experiment/output.js'

/**
 * `p2pfaas experiment` end to end, as a user runs it: the built CLI starts real node processes on
 * loopback (mDNS off, emulated runtime), runs the spec, and leaves its files; and Ctrl-C in the
 * middle keeps what was measured and leaves no node behind.
 */

const TINY = `
name: tiny
nodes:
  - count: 2
    slots: 1
tasks:
  - name: short
    service: { distribution: exponential, mean: 100ms }
    deadline: 300ms
    share: 3
  - name: long
    service: fixed:150ms
    deadline: 400ms
rho: [0.5, 1.0]
policies:
  - local:loss=true
  - name: PowerOfNScheduler
    parameters: [1, 1, true, 1]
duration: 2s
warmup: 200ms
repetitions: 2
seed: 7
`

interface Run { code: number | null, stdout: string, stderr: string }

let dir = ''
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'p2pfaas-experiment-test-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

/** The CLI as a child process; `onStderr` sees its stderr as it grows (to act at a point of the run). */
function startCli (args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  const env = { ...process.env, XDG_CONFIG_HOME: CLI_CONFIG_HOME, P2PFAAS_NO_MDNS: '1', P2PFAAS_PEER: '' }
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); onStderr?.(stderr, child) })
  return new Promise(resolve => child.once('exit', code => { resolve({ code, stdout, stderr }) }))
}

const lines = (text: string): string[] => text.split('\n').filter(l => l !== '')

/** The files agree with each other: every call in both call files once, and each run's counts add up. */
async function checkConsistent (out: string): Promise<{ doc: SummaryDocument, calls: ExperimentCall[] }> {
  const doc = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as SummaryDocument
  const calls = lines(await readFile(join(out, 'calls.jsonl'), 'utf8')).map(l => JSON.parse(l) as ExperimentCall)
  const csv = lines(await readFile(join(out, 'calls.csv'), 'utf8'))
  expect(csv[0]).toBe(CALL_COLUMNS.join(','))
  expect(csv.length - 1).toBe(calls.length)
  const runsCsv = lines(await readFile(join(out, 'runs.csv'), 'utf8'))
  expect(runsCsv[0]).toBe(RUN_COLUMNS.join(','))
  expect(runsCsv.length - 1).toBe(doc.runs.length)
  for (const r of doc.runs) {
    const mine = calls.filter(c => c.rep === r.rep && c.policy === r.policy && c.rho === r.rho)
    const counted = mine.filter(c => !c.warmup)
    expect(r.arrivals, `${r.policy} ${r.rho} ${r.rep}`).toBe(counted.length)
    expect(r.ok + r.rejected + r.errors).toBe(r.sent)
    expect(r.sent + r.dropped).toBe(r.arrivals)
    for (const o of ['ok', 'rejected', 'dropped'] as const) expect(counted.filter(c => c.outcome === o).length).toBe(r[o === 'ok' ? 'ok' : o])
    expect(counted.filter(c => c.outcome === 'error').length).toBe(r.errors)
  }
  // Every call belongs to exactly one run.
  expect(doc.runs.reduce((n, r) => n + calls.filter(c => c.rep === r.rep && c.policy === r.policy && c.rho === r.rho).length, 0)).toBe(calls.length)
  return { doc, calls }
}

/** Every node process the experiment started has exited. */
async function noNodeLeft (doc: SummaryDocument): Promise<void> {
  const pids = (doc.mesh.nodes as Array<{ pid?: number }>).map(n => n.pid)
  expect(pids.length).toBeGreaterThan(0)
  const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true } catch { return false } }
  await waitFor('every node process gone', () => pids.every(p => p != null && !alive(p)), 10_000, 50)
}

describe('p2pfaas experiment on a local mesh of node processes', () => {
  it('runs every policy at every load, repeated, and writes consistent calls, summaries with intervals, and figures', async () => {
    const spec = join(dir, 'tiny.yml')
    const out = join(dir, 'tiny-out')
    await writeFile(spec, TINY)
    const started = performance.now()
    const r = await startCli(['experiment', spec, '--out', out])
    const seconds = (performance.now() - started) / 1000
    expect(r.code, r.stderr).toBe(0)
    const { doc, calls } = await checkConsistent(out)
    expect(doc.status).toBe('complete')
    // 2 repetitions x 2 loads x 2 policies, each of them once.
    expect(doc.runs.map(x => `${x.rep}/${x.rho}/${x.policy}`).sort()).toEqual(
      [0, 1].flatMap(rep => [0.5, 1].flatMap(rho => ['PowerOfNScheduler(1, 1, true, 1)', 'local:loss=true'].map(p => `${rep}/${rho}/${p}`))).sort())
    expect(doc.runs.every((x: RunSummary) => x.sent > 5 && !x.interrupted)).toBe(true)
    // The same seeded calls for both policies of one repetition and load.
    const schedule = (policy: string): string => calls.filter(c => c.rep === 1 && c.rho === 1 && c.policy === policy).map(c => `${c.node}@${c.scheduledMs}:${c.task}:${c.workMs}`).join()
    expect(schedule('local:loss=true')).toBe(schedule('PowerOfNScheduler(1, 1, true, 1)'))
    expect(new Set(calls.map(c => c.task))).toEqual(new Set(['short', 'long']))
    // local never hands a call on; what ran, ran on one of the two nodes.
    expect(calls.filter(c => c.policy === 'local:loss=true' && c.outcome === 'ok').every(c => !c.forwarded && c.ranOnNode === c.node)).toBe(true)
    expect(calls.filter(c => c.outcome === 'ok').every(c => c.ranOnNode === 0 || c.ranOnNode === 1)).toBe(true)

    // Two repetitions: a t interval for every metric that measured something.
    expect(doc.aggregates).toHaveLength(4)
    for (const a of doc.aggregates) {
      expect(a.repetitions).toBe(2)
      expect(a.metrics.pB.half).toEqual(expect.any(Number))
      expect(a.metrics.pB.low! <= a.metrics.pB.mean && a.metrics.pB.mean <= a.metrics.pB.high!).toBe(true)
    }
    const aggregateCsv = lines(await readFile(join(out, 'aggregate.csv'), 'utf8'))
    expect(aggregateCsv[0]).toBe(AGGREGATE_COLUMNS.join(','))
    expect(aggregateCsv).toHaveLength(5)
    expect(aggregateCsv.slice(1).every(l => !l.includes('n/a'))).toBe(true)
    // The models at the measured loads: each node alone is Erlang B(1, ρ).
    expect(doc.modelAtPoints.map(m => m.localBlocking)).toEqual([0.5 / 1.5, 0.5].map(v => expect.closeTo(v, 9)))

    for (const f of ['blocking.svg', 'response.svg', 'deadline.svg']) {
      const svg = await readFile(join(out, f), 'utf8')
      expect(svg.startsWith('<svg'), f).toBe(true)
      expect(svg).toContain('PowerOfNScheduler(1, 1, true, 1)')
    }
    expect(await readFile(join(out, 'blocking.svg'), 'utf8')).toContain('pooled ideal')
    // The tables beside the figures, machine checks included.
    expect(r.stdout).toMatch(/Figure 1, .*blocking\.svg/)
    expect(r.stdout).toMatch(/send lag p99\s+CLI loop p99\s+nodes CPU max\s+node lateness p99/)
    expect(r.stdout).toMatch(/local:loss=true\s+0\.50\s+2\s+[\d.]+% ± [\d.]+/)
    expect(await readFile(join(out, 'report.txt'), 'utf8')).toContain('Figure 3')
    await noNodeLeft(doc)
    process.stderr.write(`tiny experiment: ${seconds.toFixed(1)} s\n`)
  }, 180_000)

  it('on Ctrl-C keeps every call measured so far, stops the nodes and exits 130', async () => {
    const spec = join(dir, 'long.yml')
    const out = join(dir, 'long-out')
    await writeFile(spec, TINY.replace('duration: 2s', 'duration: 4s').replace('name: tiny', 'name: long'))
    let interrupt: Promise<void> | undefined
    const r = await startCli(['experiment', spec, '--out', out], (_text, child) => {
      // Interrupt the second run in its middle: once the first run is on disk, when the nodes have
      // answered some calls of the second (their gateway counters, beyond the first run's calls).
      interrupt ??= (async () => {
        const first = await waitFor('the first run on disk', async () => {
          const doc = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8').catch(() => '{}')) as Partial<SummaryDocument>
          return (doc.runs?.length ?? 0) >= 1 ? doc : undefined
        }, 60_000, 50)
        // Every call of the first run (its warm-up too) that reached a node.
        const firstCalls = lines(await readFile(join(out, 'calls.jsonl'), 'utf8')).filter(l => !l.includes('"outcome":"dropped"')).length
        const urls = (first.mesh!.nodes as Array<{ url: string }>).map(n => n.url)
        await waitFor('the nodes answering calls of the second run', async () => {
          const answered = await Promise.all(urls.map(async u => {
            const text = await (await fetch(`${u}/metrics`)).text()
            return [...text.matchAll(/^gateway_function_invocation_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0)
          }))
          return answered.reduce((a, b) => a + b, 0) >= firstCalls + 8
        }, 60_000, 20)
        child.kill('SIGINT')
      })()
    })
    await interrupt
    expect(r.code, r.stderr).toBe(130)
    expect(r.stderr).toContain('SIGINT: stopping')
    const { doc } = await checkConsistent(out)
    expect(doc.status).toBe('interrupted')
    expect(doc.runs.length).toBeGreaterThanOrEqual(2)
    expect(doc.runs.length).toBeLessThan(8)
    expect(doc.runs[0]!.interrupted).toBe(false)
    // The run Ctrl-C cut short is in the files, marked, and not averaged in.
    expect(doc.runs.at(-1)!.interrupted).toBe(true)
    expect(doc.aggregates.every(a => a.repetitions === 1 && a.metrics.pB.half === null)).toBe(true)
    // One repetition: the CSV says n/a, never a made-up interval.
    expect(lines(await readFile(join(out, 'aggregate.csv'), 'utf8'))[1]).toContain('n/a')
    await noNodeLeft(doc)
  }, 180_000)
})
