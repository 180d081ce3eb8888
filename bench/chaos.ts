import '../src/polyfill.js'
import { availableParallelism, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { badLinksCase, partitionCase, sigkillCase } from '../test/helpers/chaos-cases.js'
import type { Tally } from '../test/helpers/chaos.js'
import { engineRestartCase } from '../test/helpers/chaos-engine.js'

/**
 * The chaos cases of test/chaos/, run longer, with their figures printed: answers by kind,
 * PEER_LOST, view-drop and heal times, p50/p99 over bad links, the engine restart. Real node
 * processes in network namespaces (emulated functions) and, for the engine case, a second Docker
 * engine that is removed afterwards.
 *   npm run bench:chaos                          (every case, about 4 minutes)
 *   npm run bench:chaos -- --case sigkill --seconds 120
 * Cases: sigkill, partition, bad-links, engine.
 */

const CASES = ['sigkill', 'partition', 'bad-links', 'engine'] as const
const { values } = parseArgs({
  options: {
    case: { type: 'string', multiple: true },
    seconds: { type: 'string', default: '45' },
    partitions: { type: 'string', default: '3' }
  }
})
const seconds = Number(values.seconds)
if (!Number.isFinite(seconds) || seconds < 5 || seconds > 1800) throw new Error('--seconds: 5 to 1800')
const partitions = Number(values.partitions)
if (!Number.isInteger(partitions) || partitions < 1 || partitions > 20) throw new Error('--partitions: 1 to 20')
const chosen = values.case ?? [...CASES]
for (const c of chosen) if (!(CASES as readonly string[]).includes(c)) throw new Error(`--case: one of ${CASES.join(', ')}`)

const ms = (x: number | null): string => x == null || !Number.isFinite(x) ? '-' : `${Math.round(x)} ms`
const line = (label: string, t: Tally): string =>
  `  ${label.padEnd(12)} calls ${t.calls}: ok ${t.ok}, 429 ${t.overloaded}, PEER_LOST ${t.peerLost}, TIMEOUT ${t.timeout}, other ${JSON.stringify(t.other)}, ` +
  `no answer ${t.unanswered}, late ${t.late}; handed off ${t.handedOff}; p50 ${ms(t.p50)}, p99 ${ms(t.p99)}`
const out = (s: string): void => { process.stdout.write(s + '\n') }
const busy = (): string => `load average ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} cores`

out(`bench:chaos: ${chosen.join(', ')}; ${seconds} s of load per case`)
if (chosen.includes('sigkill')) {
  const f = await sigkillCase(seconds * 1000)
  out(`SIGKILL under load (5 nodes, 2 slots + 2 queue each, node 1 offered 2.5x its capacity, nodes 4 and 5 killed at ${f.killedAtMs.map(x => ms(x)).join(' and ')}, holding ${f.inFlightAtKill.join(' and ')} calls); ${busy()}`)
  out(line('all', f.all))
  out(line('idempotent', f.idempotent))
  out(line('plain', f.plain))
}
if (chosen.includes('partition')) {
  for (let i = 1; i <= partitions; i++) {
    const f = await partitionCase(10_000)
    out(`partition ${i}/${partitions} (6 nodes split 3+3 for 10 s under load): views drop the other side in ${ms(f.dropMs)}, whole again ${ms(f.healMs)} after the heal; ${busy()}`)
    out(line('side A', f.sideA))
    out(line('side B', f.sideB))
  }
}
if (chosen.includes('bad-links')) {
  const f = await badLinksCase(seconds * 1000)
  out(`bad links (2 % loss each way on hosts 2-3, 50 +- 10 ms relay on hosts 4-5; node 1 offered 4x its capacity): run on lossy hosts ${f.onLossy}, on delayed hosts ${f.onDelayed}; ${busy()}`)
  out(line('all', f.all))
}
if (chosen.includes('engine')) {
  const f = await engineRestartCase({ beforeMs: 5000, downMs: Math.min(20_000, seconds * 200), afterMs: 10_000, ratePerSec: 10 })
  out(`engine restart (second Docker engine stopped under 10 calls/s): 503 RUNTIME_UNAVAILABLE ${ms(f.detectMs)} after the engine exited, ok ${ms(f.recoverMs)} after it answered again; ${busy()}`)
  out(`  calls ${f.calls}: ${JSON.stringify(f.answers)}; while down ${f.whileDownUnavailable}/${f.whileDown} RUNTIME_UNAVAILABLE; after recovery ${f.afterRecoveryOk}/${f.afterRecovery} ok, ${f.afterRecoveryFailed} failed; ` +
    `no answer ${f.unanswered}; containers left ${f.leaked.length}; node exit ${String(f.nodeExit)}`)
}
