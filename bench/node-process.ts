import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI } from '../test/helpers/cli.js'

/** A node as a separate process on loopback (mDNS off), the way the benchmarks measure it. */
export interface NodeProcess {
  proc: ChildProcess
  url: string
  dir: string
  /** Basic-auth header with its admin secret. */
  auth: string
  peerId: string
  /** Its libp2p address with /p2p/. */
  addr: string
}

export interface NodeProcessInit {
  bootstrap?: string[]
  runtime: 'docker' | 'process' | 'auto'
  /** Options for the node's `node` binary itself (V8 flags), before the CLI's path. */
  nodeOptions?: string[]
  logLevel?: string
  /** Where its stderr goes. */
  stderr?: 'ignore' | 'inherit'
  tag: string
}

export async function freePort (): Promise<number> {
  return await new Promise(resolve => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => { resolve(p) }) }) })
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Starts `p2pfaas node` and waits for /healthz; the caller kills `proc` and removes `dir`. */
export async function startNodeProcess (init: NodeProcessInit): Promise<NodeProcess> {
  const dir = await mkdtemp(join(tmpdir(), `p2pfaas-bench-${init.tag}-`))
  const [port, p2p] = [await freePort(), await freePort()]
  const args = [CLI, 'node', '--no-mdns', '--listen', `/ip4/127.0.0.1/tcp/${p2p}`, '--http', `127.0.0.1:${port}`, '--data-dir', dir,
    '--runtime', init.runtime, '--log-level', init.logLevel ?? 'warn', '--heartbeat', '1000']
  for (const b of init.bootstrap ?? []) args.push('--bootstrap', b)
  const proc = spawn(process.execPath, [...init.nodeOptions ?? [], ...args], { stdio: ['ignore', 'ignore', init.stderr ?? 'ignore'] })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    if ((await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200) break
    if (i > 300) throw new Error('a node did not start')
    await sleep(50)
  }
  const auth = 'Basic ' + Buffer.from(`admin:${(await readFile(join(dir, 'admin-secret'), 'utf8')).trim()}`).toString('base64')
  const peerId = (await (await fetch(`${url}/mesh`)).json() as { self: { peerId: string } }).self.peerId
  return { proc, url, dir, auth, peerId, addr: `/ip4/127.0.0.1/tcp/${p2p}/p2p/${peerId}` }
}
