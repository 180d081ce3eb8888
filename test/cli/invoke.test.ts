import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoPath } from '../helpers/cli.js'
import { p2pfaas } from '../helpers/run-cli.js'
import { waitFor } from '../helpers/mesh.js'
import { startTestNode, type TestNode } from '../helpers/node.js'

/** `p2pfaas invoke` against real nodes on loopback, over libp2p only. */

let a: TestNode
let b: TestNode

async function deploy (t: TestNode, body: unknown): Promise<void> {
  const res = await fetch(`${t.url}/system/functions`, { method: 'POST', headers: { authorization: t.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  expect(res.status).toBe(202)
}

beforeAll(async () => {
  a = await startTestNode({ runtime: 'process' })
  b = await startTestNode({ runtime: 'process', bootstrap: [a.node.mesh.addrs()[0]!] })
  const echo = { service: 'echo', labels: { 'p2pfaas.runtime': 'process' }, envProcess: `${process.execPath} ${repoPath('docker', 'functions', 'echo', 'classic.mjs')}` }
  const emu = { service: 'emu', labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': 'fixed:20ms', 'p2pfaas.concurrency': '1', 'p2pfaas.queue': '0' } }
  for (const t of [a, b]) { await deploy(t, echo); await deploy(t, emu) }
  await waitFor('a sees emu on b', () => a.node.mesh.view.get(b.node.mesh.peerId.toString())?.functions.includes('emu') === true, 5000)
})

afterAll(async () => {
  await b?.stop()
  await a?.stop()
})

const peerOf = (t: TestNode): string => t.node.mesh.addrs().find(x => x.includes('/p2p/'))!

describe('p2pfaas invoke', () => {
  it('round-trips a binary body byte for byte, from stdin and from -d @file', async () => {
    const body = Buffer.alloc(300_000).map((_, i) => (i * 31 + 7) & 0xff)
    const r = await p2pfaas(['invoke', 'echo', '--peer', peerOf(a), '-H', 'content-type:application/octet-stream'], { input: body })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.equals(body)).toBe(true)
    const text = await p2pfaas(['invoke', 'echo', '--peer', peerOf(a), '-d', 'hello mesh'])
    expect(text.stdout.toString()).toBe('hello mesh')
    const file = join(a.dataDir, 'payload.bin')
    await writeFile(file, body.subarray(0, 1000))
    const fromFile = await p2pfaas(['invoke', 'echo', '--peer', peerOf(a), '-d', `@${file}`])
    expect(fromFile.stdout.equals(body.subarray(0, 1000))).toBe(true)
  })

  it('is scheduled like an HTTP call: a busy node hands it off, and -v says where it ran', async () => {
    const busy = fetch(`${a.url}/function/emu?ms=5000`, { method: 'POST', headers: { 'X-P2pfaas-Scheduler-Bypass': 'true' } })
    await waitFor('a busy', () => a.node.executor.loadOf('emu')?.running === 1, 5000, 5)
    const r = await p2pfaas(['invoke', 'emu', '--peer', peerOf(a), '-v'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout.toString())).toMatchObject({ emulatedMs: expect.any(Number) })
    expect(r.stderr).toContain(`ran on ${b.node.mesh.peerId.toString()}`)
    expect(r.stderr).toMatch(/1 hop\(s\)/)
    // --bypass keeps it on the busy node: one slot, no queue, so it is refused there.
    const refused = await p2pfaas(['invoke', 'emu', '--peer', peerOf(a), '--bypass'])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toMatch(/OVERLOADED/)
    await busy
  })

  it('has distinct exit codes for not found, unreachable and usage', async () => {
    const missing = await p2pfaas(['invoke', 'nope', '--peer', peerOf(a), '-d', 'x'])
    expect(missing.code).toBe(4)
    expect(missing.stderr).toMatch(/FUNCTION_NOT_FOUND/)
    const gone = await p2pfaas(['invoke', 'echo', '--peer', '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo', '-d', 'x', '--timeout', '3000'])
    expect(gone.code).toBe(5)
    const usage = await p2pfaas(['invoke', 'echo', '-d', 'x'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/--peer/)
  })
})
