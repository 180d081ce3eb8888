import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { until } from './chaos-cases.js'
import { CLI } from './cli.js'
import { startEngineB } from './engine-b.js'

/**
 * The engine-restart case: a node on loopback (no mDNS: it runs in the root namespace) whose
 * functions run on a second Docker engine, under load while that engine is stopped and started.
 */

const IMAGE = 'p2pfaas/fn-echo:latest'
const HTTP = '127.0.0.1:18391'

export interface EngineCall { at: number, ms: number, status: number, code?: string }

export interface EngineFigures {
  calls: number
  /** Answers by "status code", whole run. */
  answers: Record<string, number>
  /** Calls sent after the node first answered RUNTIME_UNAVAILABLE and before the engine was started again, and how many of them got 503 RUNTIME_UNAVAILABLE. */
  whileDown: number
  whileDownUnavailable: number
  /** From the engine's exit to the first 503, and from the engine answering again to the first ok. */
  detectMs: number
  recoverMs: number
  /**
   * Calls sent from 2 s after the first ok following the restart (the backlog of the rebuild may
   * meet a full queue before): how many, how many ok, how many neither ok nor 429.
   */
  afterRecovery: number
  afterRecoveryOk: number
  afterRecoveryFailed: number
  /** Containers left on engine B once the node stopped (SIGTERM), and its exit code. */
  leaked: string[]
  nodeExit: number | null
  unanswered: number
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

export async function engineRestartCase (opts: { beforeMs: number, downMs: number, afterMs: number, ratePerSec: number }): Promise<EngineFigures> {
  const engine = await startEngineB()
  const dir = mkdtempSync(join(tmpdir(), 'p2pfaas-chaos-engine-'))
  let node: ReturnType<typeof spawn> | undefined
  const output: string[] = []
  try {
    engine.load(IMAGE)
    const stack = join(dir, 'stack.yml')
    writeFileSync(stack, ['version: 1.0', 'functions:', '  echo:', `    image: ${IMAGE}`, '    labels:', '      p2pfaas.concurrency: "2"', '      p2pfaas.queue: "4"',
      '      p2pfaas.timeout: 5s', ''].join('\n'))
    node = spawn(process.execPath, [CLI, 'node', '--runtime', 'docker', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--http', HTTP,
      '--functions', stack, '--data-dir', join(dir, 'node'), '--log-level', 'info'], { env: { ...process.env, DOCKER_HOST: engine.host, P2PFAAS_LOG_LEVEL: undefined }, stdio: ['ignore', 'pipe', 'pipe'] })
    for (const stream of [node.stdout, node.stderr]) stream?.on('data', (b: Buffer) => { output.push(...b.toString().split('\n')); output.splice(0, Math.max(0, output.length - 200)) })
    const exited = new Promise<number | null>(resolve => node!.once('exit', code => { resolve(code) }))
    const url = `http://${HTTP}`
    const call = async (): Promise<{ status: number, code?: string }> => {
      try {
        const res = await fetch(`${url}/function/echo`, { method: 'POST', body: 'ping', signal: AbortSignal.timeout(10_000) })
        const text = await res.text()
        let code: string | undefined
        if (res.status !== 200) { try { code = (JSON.parse(text) as { code?: string }).code } catch {} }
        return { status: res.status, code }
      } catch {
        return { status: 0 }
      }
    }
    await until('the node serves echo from engine B', async () => (await call()).status === 200, 60_000, 250)
      .catch(err => { throw new Error(`${(err as Error).message}\n${output.slice(-15).join('\n')}`) })

    const t0 = performance.now()
    const records: Array<Promise<EngineCall>> = []
    let running = true
    const load = (async () => {
      for (let i = 0; running; i++) {
        const due = t0 + i * 1000 / opts.ratePerSec
        await sleep(Math.max(0, due - performance.now()))
        const sent = performance.now()
        records.push(call().then(r => ({ at: sent - t0, ms: performance.now() - sent, ...r })))
      }
    })()
    await sleep(opts.beforeMs)
    await engine.stop()
    const stoppedAt = performance.now() - t0
    // The node finds out by a failed call or its liveness ping: wait for its 503, not a time.
    await until('calls answered RUNTIME_UNAVAILABLE', async () => {
      const done = await Promise.all(records.slice(-5))
      return done.some(r => r.at >= stoppedAt && r.code === 'RUNTIME_UNAVAILABLE')
    }, 30_000, 100)
    const all0 = await Promise.all(records)
    const first503 = all0.find(r => r.at >= stoppedAt && r.code === 'RUNTIME_UNAVAILABLE')!
    await sleep(opts.downMs)
    const startAt = performance.now() - t0
    await engine.start()
    const upAt = performance.now() - t0
    await until('calls ok again', async () => {
      const done = await Promise.all(records.slice(-3))
      return done.some(r => r.at >= upAt && r.status === 200)
    }, 60_000, 100)
    const firstOk = (await Promise.all(records)).find(r => r.at >= upAt && r.status === 200)!
    await sleep(opts.afterMs)
    running = false
    await load
    const all = await Promise.all(records)

    // The graceful stop removes the node's containers.
    node.kill('SIGTERM')
    const nodeExit = await Promise.race([exited, sleep(30_000).then(() => null)])
    const answers: Record<string, number> = {}
    for (const r of all) { const k = `${r.status} ${r.code ?? ''}`.trim(); answers[k] = (answers[k] ?? 0) + 1 }
    const down = all.filter(r => r.at > first503.at && r.at + r.ms < startAt)
    const after = all.filter(r => r.at > firstOk.at + 2000)
    return {
      calls: all.length,
      answers,
      whileDown: down.length,
      whileDownUnavailable: down.filter(r => r.status === 503 && r.code === 'RUNTIME_UNAVAILABLE').length,
      detectMs: first503.at + first503.ms - stoppedAt,
      recoverMs: firstOk.at + firstOk.ms - upAt,
      afterRecovery: after.length,
      afterRecoveryOk: after.filter(r => r.status === 200).length,
      afterRecoveryFailed: after.filter(r => r.status !== 200 && r.status !== 429).length,
      leaked: engine.containers(),
      nodeExit,
      unanswered: all.filter(r => r.status === 0).length
    }
  } catch (err) {
    throw new Error(`${(err as Error).message}\nnode: ${output.slice(-15).join('\n')}`)
  } finally {
    if (node != null && node.exitCode == null && node.signalCode == null) node.kill('SIGKILL')
    engine.destroy()
    rmSync(dir, { recursive: true, force: true })
  }
}
