import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI } from '../helpers/cli.js'
import { waitFor } from '../helpers/mesh.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
import { CLI_CONFIG_HOME, p2pfaas } from '../helpers/run-cli.js'
import { loadBar, renderTop } from '../../src/cli/top-view.js'

/** `p2pfaas top` in a real pseudo-terminal (tmux), reading the screen as a user would see it. */

let a: TestNode
let b: TestNode
const socket = `p2pfaas-top-${process.pid}`
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
const screen = (): string => tmux('capture-pane', '-p', '-t', 'top')
const running = (): boolean => { try { tmux('has-session', '-t', 'top'); return true } catch { return false } }

beforeAll(async () => {
  a = await startTestNode({ runtime: 'process' })
  b = await startTestNode({ runtime: 'process', bootstrap: [a.node.mesh.addrs()[0]!] })
  const slow = { service: 'slow', labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': 'fixed:3s', 'p2pfaas.concurrency': '2', 'p2pfaas.queue': '4' } }
  for (const t of [a, b]) {
    const res = await fetch(`${t.url}/system/functions`, { method: 'POST', headers: { authorization: t.auth, 'content-type': 'application/json' }, body: JSON.stringify(slow) })
    expect(res.status).toBe(202)
  }
})

afterAll(async () => {
  try { tmux('kill-server') } catch {}
  await b?.stop()
  await a?.stop()
})

describe('p2pfaas top', () => {
  it('renders every node and function live, and q quits', async () => {
    const peer = a.node.mesh.addrs().find(x => x.includes('/p2p/'))!
    // The only node the CLI is given is a; b must show up through gossip all the same.
    tmux('new-session', '-d', '-s', 'top', '-x', '150', '-y', '30', '-e', `XDG_CONFIG_HOME=${CLI_CONFIG_HOME}`, '-e', 'P2PFAAS_NO_MDNS=1',
      process.execPath, CLI, 'top', '--peer', peer, '--interval', '200')
    const idA = a.node.mesh.peerId.toString()
    const idB = b.node.mesh.peerId.toString()
    await waitFor('both nodes on screen', () => screen().includes(idA.slice(-6)) && screen().includes(idB.slice(-6)), 10_000, 100)
    expect(screen()).toMatch(/slow\s+0\s+2\s+0\s+·{20}/)

    // Three calls held on b: two run, one waits; top shows it within a heartbeat or so.
    const held = [1, 2, 3].map(async () => await fetch(`${b.url}/function/slow`, { method: 'POST', headers: { 'X-P2pfaas-Scheduler-Bypass': 'true' }, signal: AbortSignal.timeout(60_000) }).catch(() => {}))
    await waitFor('b busy on screen', () => /slow\s+2\s+2\s+1\s+█{20}/.test(screen()), 5000, 100)
    expect(screen()).toMatch(/2 node\(s\).*running 2\/4\s+queued 1/)

    tmux('send-keys', '-t', 'top', 'q')
    await waitFor('top quits on q', () => !running(), 5000, 100)
    await Promise.all(held)
  }, 30_000)

  it('prints screens one after another without a terminal, and -n stops it; two at once both see the mesh', async () => {
    const peer = b.node.mesh.addrs().find(x => x.includes('/p2p/'))!
    const runs = await Promise.all([1, 2].map(async () => await p2pfaas(['top', '--peer', peer, '--interval', '300', '-n', '5'])))
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0)
      const screens = r.stdout.toString().split('p2pfaas top ').slice(1)
      expect(screens).toHaveLength(5)
      expect(screens.at(-1)).toMatch(/2 node\(s\)/)
      expect(r.stdout.toString()).not.toContain('\x1b[')
    }
  })
})

describe('the top screen', () => {
  it('draws slots as filled cells and the queue after them, clipped to the width', () => {
    expect(loadBar({ running: 1, capacity: 4, queued: 0 })).toBe('█'.repeat(5) + '·'.repeat(15))
    expect(loadBar({ running: 4, capacity: 4, queued: 9 })).toBe('█'.repeat(20))
    expect(loadBar({ running: 2, capacity: 4, queued: 1 })).toBe('█'.repeat(10) + '+'.repeat(5) + '·'.repeat(5))
    const text = renderTop({ via: 'x', nodes: [{ peerId: 'node-b', ageMs: 12, load: { functions: [], totals: { running: 0, capacity: 0, queued: 0 } } }], at: new Date(0), width: 40 })
    expect(text.split('\n').every(l => l.length <= 40)).toBe(true)
    expect(text).toContain('(none)')
  })
})
