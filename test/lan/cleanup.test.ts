import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { repoPath } from '../helpers/cli.js'

/** The LAN harness must leave no namespace or process behind, even when the test using it dies. */

const HELPERS = repoPath('dist', 'test', 'helpers', 'lan.js')
const SCRIPT = `
  const { createLan } = await import(${JSON.stringify(HELPERS)})
  const lan = createLan(2)
  const sleeper = lan.hosts[0].spawn('sleep', ['60'])
  // What a user of the LAN made beside it (a fleet's data directories) goes with it.
  const { mkdtempSync, rmSync } = await import('node:fs')
  const dir = mkdtempSync((await import('node:os')).tmpdir() + '/p2pfaas-cleanup-')
  lan.defer(() => { rmSync(dir, { recursive: true, force: true }) })
  await new Promise(resolve => setTimeout(resolve, 300))
  console.log(JSON.stringify({ id: lan.id, pid: sleeper.proc.pid, dir }))
  // Fail only when the parent has looked: it writes a line once it has counted what exists.
  await new Promise(resolve => process.stdin.once('data', resolve))
  if (process.argv[1] === 'throw') throw new Error('the test failed')
  await new Promise(resolve => setTimeout(resolve, 60_000))
`

function namespacesOf (id: string): string[] {
  return execFileSync('ip', ['netns', 'list']).toString().split('\n').map(l => l.split(' ')[0]!).filter(n => n.startsWith(`pf${id}`))
}

function alive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

async function runAndBreak (how: 'throw' | 'SIGTERM' | 'SIGINT'): Promise<void> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, how], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', d => { out += d })
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => { if (out.includes('\n')) resolve(out.split('\n')[0]!) })
    child.once('exit', code => { if (!out.includes('\n')) reject(new Error(`exited ${code} early`)) })
  })
  const { id, pid, dir } = JSON.parse(line) as { id: string, pid: number, dir: string }
  expect(namespacesOf(id)).toHaveLength(4) // bridge, two hosts, the probe host
  expect(alive(pid)).toBe(true)
  expect(existsSync(dir)).toBe(true)
  const exited = new Promise(resolve => child.once('exit', resolve))
  if (how === 'throw') child.stdin.write('go\n')
  else child.kill(how)
  await exited
  expect(namespacesOf(id)).toEqual([])
  expect(existsSync(dir)).toBe(false)
  // Killed at once; reaping by init can take a moment.
  const deadline = Date.now() + 2000
  while (alive(pid) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  expect(alive(pid)).toBe(false)
}

describe('the LAN harness cleans up after a failure', () => {
  it('when the test throws', async () => { await runAndBreak('throw') })
  it('when the runner is sent SIGTERM', async () => { await runAndBreak('SIGTERM') })
  it('when the runner is interrupted (SIGINT)', async () => { await runAndBreak('SIGINT') })
})
