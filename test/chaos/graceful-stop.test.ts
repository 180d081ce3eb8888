import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { emulatedFunction, HTTP_PORT } from '../helpers/chaos.js'
import { until } from '../helpers/chaos-cases.js'
import { CLI } from '../helpers/cli.js'
import { createLan, type HostProcess, type Lan } from '../helpers/lan.js'

/**
 * SIGTERM to a node whose two slots are busy and whose two queue places are taken: it stops
 * taking calls at once, finishes what it holds within --stop-grace (or answers the still-queued
 * calls 429 when the grace is shorter than their wait), then exits by itself.
 */

let lan: Lan | undefined
afterEach(async () => { await lan?.destroy(); lan = undefined })

async function nodeWithQueue (graceMs: number): Promise<{ lan: Lan, node: HostProcess, url: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'p2pfaas-chaos-stop-'))
  const l = createLan(1)
  lan = l
  l.defer(() => { rmSync(dir, { recursive: true, force: true }) })
  const stack = join(dir, 'stack.yml')
  writeFileSync(stack, ['version: 1.0', 'functions:', ...emulatedFunction('emu', 2, 2, '20s'), ''].join('\n'))
  const host = l.hosts[0]!
  const node = host.spawn(process.execPath, [CLI, 'node', '--runtime', 'process', '--no-mdns', '--functions', stack, '--data-dir', join(dir, 'node'),
    '--stop-grace', String(graceMs), '--log-level', 'info'], { P2PFAAS_LOG_LEVEL: undefined })
  const url = `http://${host.ip}:${HTTP_PORT}`
  await until('the node up', async () => (await l.get(`${url}/healthz`, 1000)).status === 200, 30_000, 100)
    .catch(err => { throw new Error(`${(err as Error).message}\n${node.output.slice(-10).join('\n')}`) })
  return { lan: l, node, url }
}

/** Fills the two slots and the two queue places; `answers` resolves once all are answered. */
async function fill (l: Lan, url: string, serviceMs: number): Promise<{ answers: Promise<number[]> }> {
  const calls = Array.from({ length: 4 }, async () => (await l.get(`${url}/function/emu?ms=${serviceMs}`, 30_000)).status)
  await until('2 running and 2 queued', async () => {
    const res = await l.get(`${url}/monitoring/load`, 1000)
    return res.status === 200 && res.headers?.['x-p2pfaas-load'] === '2' && res.headers['x-p2pfaas-queue-length'] === '2'
  }, 10_000, 20)
  // Wrapped: an async function returning the promise itself would wait for the calls.
  return { answers: Promise.all(calls) }
}

describe('graceful stop', () => {
  it('SIGTERM: new calls are refused, every queued call is answered 200 within the grace, then the node exits 0', async () => {
    const { lan: l, node, url } = await nodeWithQueue(8000)
    const { answers } = await fill(l, url, 1500)
    const t0 = performance.now()
    node.proc.kill('SIGTERM')
    // The listener closes at once: a new call is refused (connection refused or closed), or, if it
    // came on a kept-alive connection first, answered 503 (closing) or 429 (the executor takes none).
    const late = await until('a new call refused', async () => {
      const res = await l.get(`${url}/function/emu?ms=10`, 2000)
      return res.status !== 200 ? res : undefined
    }, 2000, 20)
    expect([0, 429, 503]).toContain(late.status)
    expect(await answers).toEqual([200, 200, 200, 200])
    expect(await node.exited).toBe(0)
    // Two waves of 1.5 s: about 3 s, well within the 8 s grace.
    expect(performance.now() - t0).toBeLessThan(8000)
    expect(node.output.join('\n')).toMatch(/node stopped/)
  }, 60_000)

  it('a grace shorter than the queue: queued calls are answered 429 at its end, running ones finish, the exit is bounded', async () => {
    const { lan: l, node, url } = await nodeWithQueue(500)
    const { answers } = await fill(l, url, 2500)
    const t0 = performance.now()
    node.proc.kill('SIGTERM')
    const got = await answers
    const code = await node.exited
    expect(got.sort(), node.output.slice(-6).join('\n')).toEqual([200, 200, 429, 429])
    expect(code).toBe(0)
    // The running calls' 2.5 s, then the services stop.
    expect(performance.now() - t0).toBeLessThan(6000)
  }, 60_000)
})
