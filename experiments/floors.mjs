#!/usr/bin/env node
// Reads the committed reproductions' summary.json and checks issue 12's floors against them.
//   node experiments/floors.mjs [results dir, default experiments/results]
// Exit 0 when every floor holds, 1 otherwise. Pure reading: it runs nothing.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

const dir = process.argv[2] ?? 'experiments/results'
const pc = (x, d = 2) => Number.isFinite(x) ? `${(100 * x).toFixed(d)} %` : '-'
const ci = e => e.half == null ? 'n/a' : `± ${(100 * e.half).toFixed(2)}`
let failed = 0
const verdict = ok => { if (!ok) failed++; return ok ? 'holds' : 'FAILS' }
const load = async name => JSON.parse(await readFile(join(dir, name, 'summary.json'), 'utf8'))
const agg = (doc, label, rho) => doc.aggregates.find(a => a.policy === label && a.rho === rho)

/** Student t 97.5 % for small df (paired differences over repetitions). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228]

async function tcc () {
  const doc = await load('tcc2020')
  console.log(`tcc2020 (${doc.status}, ${doc.experiment.runsDone}/${doc.experiment.runsPlanned} runs)`)
  for (const m of doc.modelAtPoints) {
    const rho = Math.round(m.rho * 1000) / 1000
    const local = agg(doc, 'local (NoScheduler)', rho)
    const ll = agg(doc, 'LL(1,2) (PowerOfNScheduler)', rho)
    const pot = agg(doc, 'power-of-two', rho)
    if (local == null || ll == null || pot == null) { console.log(`  ρ=${rho}: missing runs`); failed++; continue }
    const rel = local.metrics.pB.mean / m.localBlocking - 1
    const applies = m.localBlocking >= 0.01 || local.metrics.pB.mean >= 0.01
    console.log(`  ρ=${rho}: local P_B ${pc(local.metrics.pB.mean)} (${ci(local.metrics.pB)}) vs Erlang B ${pc(m.localBlocking)}: ${(100 * rel).toFixed(1)} % relative` +
      (applies ? ` -> within 10 %: ${verdict(Math.abs(rel) <= 0.10)}` : ' (P_B < 1 %: no floor)'))
    const ratio = ll.metrics.pB.mean / pot.metrics.pB.mean
    console.log(`          LL(1,2) P_B ${pc(ll.metrics.pB.mean)} (${ci(ll.metrics.pB)}) vs power-of-two ${pc(pot.metrics.pB.mean)} (${ci(pot.metrics.pB)}): ratio ${ratio.toFixed(2)} -> within 1.3x: ${verdict(ratio <= 1.3)}`)
  }
}

async function percom () {
  const doc = await load('percom2022')
  console.log(`percom2022 (${doc.status}, ${doc.experiment.runsDone}/${doc.experiment.runsPlanned} runs)`)
  const rho = doc.aggregates[0].rho
  const learner = agg(doc, 'LearningScheduler', rho)
  const ll = agg(doc, 'LL(1,2) (PowerOfNScheduler)', rho)
  const lq = agg(doc, 'least-loaded', rho)
  for (const a of [learner, ll, lq]) console.log(`  ${a.policy}: within deadline ${pc(a.metrics.withinDeadline.mean)} (95 % CI ${ci(a.metrics.withinDeadline)} points, ${a.repetitions} reps), P_B ${pc(a.metrics.pB.mean)}`)
  // Paired by repetition: each repetition offers every policy the same calls.
  const per = label => doc.runs.filter(r => r.policy === label && !r.interrupted).sort((a, b) => a.rep - b.rep).map(r => r.withinDeadline)
  const d = per('LearningScheduler').map((x, i) => x - per('LL(1,2) (PowerOfNScheduler)')[i])
  const mean = d.reduce((a, b) => a + b, 0) / d.length
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (d.length - 1))
  const half = T975[d.length - 2] * sd / Math.sqrt(d.length)
  console.log(`  learner - LL(1,2), paired by repetition: ${(100 * mean).toFixed(2)} points (95 % CI ${(100 * (mean - half)).toFixed(2)} to ${(100 * (mean + half)).toFixed(2)}; per repetition ${d.map(x => (100 * x).toFixed(2)).join(', ')})`)
  console.log(`  learner >= LL(1,2) + 3 points (means over ${learner.repetitions} repetitions): ${verdict(learner.repetitions >= 3 && learner.metrics.withinDeadline.mean >= ll.metrics.withinDeadline.mean + 0.03)}`)
}

for (const [name, check] of [['tcc2020', tcc], ['percom2022', percom]]) {
  try { await check() } catch (err) { console.log(`${name}: cannot read its results (${err.message})`); failed++ }
}
process.exit(failed === 0 ? 0 : 1)
