import '../src/polyfill.js'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { percentile } from '../src/cli/bench/summary.js'
import { freePort } from './node-process.js'
import { cpuMsOf, memoryOf } from './process-stats.js'
import { repoPath } from '../test/helpers/cli.js'

/**
 * What starting a node costs: wall time from spawn to its first 200 on /healthz, the CPU (user +
 * system, every thread) it spent by then, and its RSS then. Three ways to start, alternated run by
 * run so that a drift in the machine's load falls on all alike:
 *   - bundle: the `p2pfaas` command as shipped (dist/src/bin, scripts/bundle.mjs);
 *   - tsc:    the same code as tsc emits it, one file a module (dist/src/cli/main.js);
 *   - floor:  `node -e` answering /healthz on a bare http server (Node's own start).
 * On a LAN that powers up together every node's start competes for the same cores; this is most
 * of the time a fleet takes to form (bench:scale).
 * With --against, a fourth way: another build's command (say, main's, built in a worktree), for a
 * change's effect measured side by side in one run rather than from one minute to the next, when
 * this machine's noise is as large as the change.
 *   npm run bench:boot
 *   npm run bench:boot -- --runs 15
 *   npm run bench:boot -- --against ../main-before/dist/src/bin/main.js
 */

const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '9' }, against: { type: 'string' } } })
const RUNS = Number(opts.runs)
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 100) throw new Error('--runs: a whole number from 1 to 100')
const AGAINST = opts.against != null ? resolve(opts.against) : undefined
if (AGAINST != null && !existsSync(AGAINST)) throw new Error(`--against: no such file ${AGAINST} (a built dist/src/bin/main.js)`)

const FLOOR = "require('node:http').createServer((q, r) => r.end('ok')).listen(Number(process.argv[1]), '127.0.0.1')"

interface Sample { wallMs: number, cpuMs: number, rssMiB: number }
type Way = 'bundle' | 'tsc' | 'floor' | 'against'

function argsFor (way: Way, port: number, dir: string): string[] {
  if (way === 'floor') return ['-e', FLOOR, String(port)]
  const main = way === 'bundle' ? repoPath('dist', 'src', 'bin', 'main.js') : way === 'against' ? AGAINST! : repoPath('dist', 'src', 'cli', 'main.js')
  return [main, 'node', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--http', `127.0.0.1:${port}`,
    '--data-dir', dir, '--runtime', 'process', '--log-level', 'warn']
}

async function bootOnce (way: Way): Promise<Sample> {
  const dir = await mkdtemp(join(tmpdir(), 'p2pfaas-boot-'))
  const port = await freePort()
  const t0 = performance.now()
  const proc = spawn(process.execPath, argsFor(way, port, dir), { stdio: 'ignore' })
  const exited = new Promise(resolve => proc.once('exit', resolve))
  try {
    for (;;) {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200) break
      if (proc.exitCode != null) throw new Error(`${way}: the process exited (${proc.exitCode}) before answering`)
      if (performance.now() - t0 > 30_000) throw new Error(`${way}: no answer in 30 s`)
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    const wallMs = performance.now() - t0
    return { wallMs, cpuMs: cpuMsOf(proc.pid!), rssMiB: memoryOf(proc.pid!).rss / 2 ** 20 }
  } finally {
    proc.kill('SIGKILL')
    await exited
    await rm(dir, { recursive: true, force: true })
  }
}

const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50)

const ways: Way[] = AGAINST != null ? ['bundle', 'against', 'tsc', 'floor'] : ['bundle', 'tsc', 'floor']
const samples = new Map<Way, Sample[]>(ways.map(w => [w, []]))
console.log(`node start cost: ${RUNS} runs of each, alternated; load average before: ${loadavg()[0]!.toFixed(2)}`)
for (let i = 0; i < RUNS; i++) for (const way of ways) samples.get(way)!.push(await bootOnce(way))

const med = (way: Way, k: keyof Sample): number => median(samples.get(way)!.map(s => s[k]))
console.log('\nway      wall ms (median)  CPU ms (median)  RSS MiB (median)')
for (const way of ways) console.log(`${way.padEnd(8)} ${med(way, 'wallMs').toFixed(0).padStart(16)} ${med(way, 'cpuMs').toFixed(0).padStart(16)} ${med(way, 'rssMiB').toFixed(1).padStart(17)}`)
const above = (way: Way, k: keyof Sample): number => med(way, k) - med('floor', k)
console.log(`\nbundle/tsc: wall ${(med('bundle', 'wallMs') / med('tsc', 'wallMs')).toFixed(2)}x, CPU ${(med('bundle', 'cpuMs') / med('tsc', 'cpuMs')).toFixed(2)}x, RSS ${(med('bundle', 'rssMiB') / med('tsc', 'rssMiB')).toFixed(2)}x`)
if (AGAINST != null) console.log(`bundle/against (${AGAINST}): wall ${(med('bundle', 'wallMs') / med('against', 'wallMs')).toFixed(2)}x, CPU ${(med('bundle', 'cpuMs') / med('against', 'cpuMs')).toFixed(2)}x (${(med('bundle', 'cpuMs') - med('against', 'cpuMs')).toFixed(0)} ms), RSS ${(med('bundle', 'rssMiB') / med('against', 'rssMiB')).toFixed(2)}x (${(med('bundle', 'rssMiB') - med('against', 'rssMiB')).toFixed(1)} MiB)`)
console.log(`above Node's own start (floor): bundle ${above('bundle', 'cpuMs').toFixed(0)} ms CPU, tsc ${above('tsc', 'cpuMs').toFixed(0)} ms CPU`)
console.log(`load average after: ${loadavg()[0]!.toFixed(2)}`)
