import { setMaxListeners } from 'node:events'
import { resolve, join } from 'node:path'
import { parseNodeUrl } from '../bench/http-target.js'
import { readSecret } from '../manage-commands.js'
import { CliError, EXIT, type MeshOptions } from '../session.js'
import { createExperimentOutput, FILES, type ExperimentOutput } from './output.js'
import { blockingTable, deadlineTable, describePlan, machineLine, responseTable } from './report.js'
import { machineInfo, newState, runExperiment, summaryDocument, type ExperimentRunInit, type ExperimentState } from './run.js'
import { ExperimentSpecError, readExperimentSpec, type ExperimentSpec } from './spec.js'
import type { ExperimentMesh } from './mesh.js'

/**
 * `p2pfaas experiment <spec.yml>`, behind its flags: check the spec, start or reach the nodes,
 * deploy, run, and whatever happens (done, Ctrl-C, a failure) keep what was measured, stop the nodes
 * this command started, then draw the figures from what is on disk.
 */

export interface ExperimentFlags extends MeshOptions {
  out?: string
  url: string[]
  adminSecretFile?: string
  deploy: boolean
  dryRun?: boolean
  nodeLogLevel: string
}

/** Exit codes beyond the CLI's: killed by a signal, as a shell reports it (128 + its number). */
const EXIT_SIGNAL = { SIGINT: 130, SIGTERM: 143 } as const

async function loadSpec (file: string): Promise<ExperimentSpec> {
  try {
    return await readExperimentSpec(file)
  } catch (err) {
    if (!(err instanceof ExperimentSpecError)) throw err
    const n = err.issues.length
    throw new CliError(EXIT.usage, `${file}: ${n} problem${n === 1 ? '' : 's'}:\n${err.issues.map(i => `  ${i}`).join('\n')}\n(the spec format: docs/experiments.md)`)
  }
}

/** Which nodes: the spec's own local mesh, --url nodes, or the --peer node's mesh; what each mode allows. */
function checkMode (spec: ExperimentSpec, flags: ExperimentFlags): void {
  const usage = (message: string): never => { throw new CliError(EXIT.usage, message) }
  if (flags.url.length > 0 && flags.peer != null) usage('give the nodes with --url or with --peer, not both')
  if (flags.url.length > 0 && flags.url.length !== spec.nodes.length) usage(`--url names ${flags.url.length} node(s); the spec has ${spec.nodes.length}: one --url per node, in the spec's order`)
  for (const u of flags.url) parseNodeUrl(u)
  if (flags.peer != null && spec.policies.length > 1) {
    usage(`over --peer the experiment cannot set the nodes' policy (the management protocol has no such operation), so the spec may name one policy, the one the nodes run; it names ${spec.policies.length}. Use --url with --admin-secret-file to compare policies`)
  }
  if (flags.peer == null && flags.url.length === 0 && !flags.deploy) usage('--no-deploy is for existing nodes (--url, --peer): a local mesh starts empty')
}

async function openMesh (spec: ExperimentSpec, flags: ExperimentFlags, signal: AbortSignal): Promise<ExperimentMesh> {
  const secret = await readSecret(flags.adminSecretFile)
  if (flags.url.length > 0) {
    if (secret == null) throw new CliError(EXIT.usage, '--url: deploying the function and setting the policies need the nodes\' admin secret: give --admin-secret-file (the same secret on every node)')
    const auth = 'Basic ' + Buffer.from(`admin:${secret}`).toString('base64')
    const { createHttpMesh } = await import('./mesh-http.js')
    return await createHttpMesh({ mode: 'url', nodes: flags.url.map(url => ({ url: parseNodeUrl(url).href.replace(/\/+$/, ''), auth })), fn: spec.function, connections: spec.cap, onClose: async () => {}, onKill: () => {} })
      .catch((err: Error) => { throw new CliError(EXIT.unreachable, `cannot reach the --url nodes: ${err.message}`) })
  }
  if (flags.peer != null) {
    const { openPeerMesh } = await import('./mesh-peer.js')
    return await openPeerMesh({ flags, spec, secret, deploy: flags.deploy })
  }
  const { startLocalExperimentMesh } = await import('./mesh-local.js')
  return await startLocalExperimentMesh({ spec, signal, logLevel: flags.nodeLogLevel })
}

/** Ctrl-C (or SIGTERM) once: stop after the run in progress is written. Twice: kill the nodes now and leave. */
function trapSignals (stop: AbortController, meshOf: () => ExperimentMesh | undefined): { caught: () => keyof typeof EXIT_SIGNAL | undefined, release: () => void } {
  let caught: keyof typeof EXIT_SIGNAL | undefined
  const on = (sig: keyof typeof EXIT_SIGNAL) => () => {
    if (caught != null) { meshOf()?.killNow(); process.exit(EXIT_SIGNAL[sig]) }
    caught = sig
    process.stderr.write(`\n${sig}: stopping after writing what was measured, then stopping the nodes (again to kill them at once)\n`)
    stop.abort(new Error(sig))
  }
  const onInt = on('SIGINT')
  const onTerm = on('SIGTERM')
  // The nodes are in their own process group (a Ctrl-C reaches only this process): never leave them behind.
  const onExit = (): void => { meshOf()?.killNow() }
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  process.on('exit', onExit)
  return { caught: () => caught, release: () => { process.off('SIGINT', onInt); process.off('SIGTERM', onTerm) } }
}

export async function experiment (file: string, flags: ExperimentFlags): Promise<number> {
  const spec = await loadSpec(file)
  checkMode(spec, flags)
  if (flags.dryRun === true) { process.stdout.write(describePlan(spec)); return EXIT.ok }
  const output = createExperimentOutput({ dir: resolve(flags.out ?? join('experiments', 'results', spec.name)) })
  await output.start().catch((err: Error) => { throw new CliError(EXIT.usage, `--out: cannot write ${output.dir}: ${err.message}`) })
  process.stderr.write(describePlan(spec))
  const stop = new AbortController()
  // Every admin request and waiter in flight listens on it, two per node while policies change:
  // past Node's default of 10 that is a fleet, not a leak (each removes its listener when done).
  setMaxListeners(4 * 256, stop.signal)
  let mesh: ExperimentMesh | undefined
  const signals = trapSignals(stop, () => mesh)
  const info = { name: spec.name, specFile: resolve(file), out: output.dir, seed: spec.seed, startedAt: new Date().toISOString(), ...machineInfo(), spec }
  const state = newState(spec)
  let failure: unknown
  try {
    mesh = await openMesh(spec, flags, stop.signal)
    process.stderr.write(`${mesh.nodes.length} node(s) ready (${mesh.mode}); results in ${output.dir}\n`)
    if (flags.deploy) {
      await mesh.deploy(spec, stop.signal)
      await mesh.waitReady(spec.function, stop.signal)
    }
    if (mesh.mode === 'peer') state.notes.push(`over --peer the nodes ran their own policies: ${(await mesh.policiesInForce()).join(', ')}`)
    await runExperiment({ spec, mesh, output, stop: stop.signal, stream: process.stderr, info }, state)
  } catch (err) {
    if (!stop.signal.aborted) failure = err
  } finally {
    await mesh?.close().catch((err: Error) => { process.stderr.write(`stopping the nodes: ${err.message}\n`) })
    signals.release()
  }
  const status = failure != null ? 'failed' : state.interrupted || stop.signal.aborted ? 'interrupted' : 'complete'
  if (failure != null) state.notes.push(`failed: ${(failure as Error).message ?? String(failure)}`)
  const init: ExperimentRunInit = { spec, mesh: mesh ?? noMesh(), output, stop: stop.signal, stream: process.stderr, info: { ...info, finishedAt: new Date().toISOString() } }
  await finish(init, state, status)
  if (failure != null) throw failure instanceof CliError ? failure : new CliError(EXIT.functionError, `${(failure as Error).message ?? String(failure)} (what was measured is in ${output.dir})`)
  const sig = signals.caught()
  return sig != null ? EXIT_SIGNAL[sig] : EXIT.ok
}

/** The last summary, the figures and the tables beside them, from what the runs measured. */
async function finish (init: ExperimentRunInit, state: ExperimentState, status: 'complete' | 'interrupted' | 'failed'): Promise<void> {
  const doc = summaryDocument(init, state, status)
  await init.output.writeSummary(doc)
  const done = `${state.runs.length} of ${state.totalRuns} run(s) ${status === 'complete' ? 'done' : `done (${status})`}`
  if (doc.aggregates.length === 0) {
    process.stdout.write(`${done}; no complete run to draw. Files in ${init.output.dir}\n`)
    return
  }
  const figures = await drawFigures(init, doc, init.output)
  const text = `${describePlan(init.spec)}\n${done}\n\n${figures}`
  await init.output.writeText(FILES.report, text)
  const files = [FILES.callsCsv, FILES.callsJson, FILES.runsCsv, FILES.aggregateCsv, FILES.summaryJson, FILES.report, ...Object.values(FILES.figures)]
  process.stdout.write(`\n${done}\n\n${figures}Files in ${init.output.dir}: ${files.join(', ')}\n`)
}

async function drawFigures (init: ExperimentRunInit, doc: ReturnType<typeof summaryDocument>, output: ExperimentOutput): Promise<string> {
  const { renderFigures } = await import('./plots.js')
  const machine = machineLine(doc.aggregates)
  const svg = await renderFigures({
    name: init.spec.name, policies: init.spec.policies.map(p => p.label), aggregates: doc.aggregates, curve: doc.modelCurve, timelines: doc.timelines, warmupMs: init.spec.warmupMs, machine
  })
  const f = FILES.figures
  await output.writeText(f.blocking, svg.blocking)
  await output.writeText(f.response, svg.response)
  await output.writeText(f.deadline, svg.deadline)
  return `Figure 1, ${output.path(f.blocking)}: P_B against ρ, with both models\n${blockingTable(doc.aggregates, doc.modelAtPoints)}\n` +
    `Figure 2, ${output.path(f.response)}: response time against ρ\n${responseTable(doc.aggregates, doc.modelAtPoints)}\n` +
    `Figure 3, ${output.path(f.deadline)}: within deadline against time\n${deadlineTable(doc.aggregates, doc.timelines, init.spec.warmupMs)}\n`
}

/** Stands in when the nodes never came up: the summary still says what was planned and why it stopped. */
function noMesh (): ExperimentMesh {
  const none = async (): Promise<never> => { throw new Error('no mesh') }
  return { mode: 'local', nodes: [], targets: [], deploy: none, waitReady: none, setPolicy: none, waitIdle: none, policiesInForce: none, cpuSeconds: none, close: async () => {}, killNow: () => {} }
}
