import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadOrCreateIdentity } from '../mesh/identity.js'
import { NODE_FLAGS } from '../node/flags.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { MeshResponse } from '../gateway/mesh.js'

export const CLI_ENTRY = fileURLToPath(new URL('./main.js', import.meta.url))

export interface LocalNode {
  name: string
  peerId: string
  libp2pAddr: string
  httpUrl: string
  dataDir: string
  logFile: string
  process: ChildProcess
}

export interface LocalMesh {
  nodes: LocalNode[]
  dir: string
  /** Resolves when every node's /mesh lists every other node as connected. */
  waitForFullMesh(timeoutMs: number): Promise<MeshResponse[]>
  stop(): Promise<void>
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => { resolve(port) })
    })
  })
}

export async function fetchMesh (httpUrl: string, timeoutMs = 2000): Promise<MeshResponse> {
  const res = await fetch(`${httpUrl}/mesh`, { signal: AbortSignal.timeout(timeoutMs) })
  if (!res.ok) throw new Error(`${httpUrl}/mesh answered ${res.status}`)
  return await res.json() as MeshResponse
}

export interface LocalMeshOptions {
  /** Flags for node i (0-based) only, after the shared ones: its own seed, say. */
  nodeArgs?: (index: number) => string[]
  /** The nodes' --log-level (their logs go to files in the mesh's folder). */
  logLevel?: string
  /** Prefix of the temporary folder that holds the nodes' data dirs and logs. */
  tmpPrefix?: string
  /**
   * Each node in a process group of its own, so a Ctrl-C at the terminal reaches only the caller,
   * which then stops the nodes in its own time (after recording what was in flight). The caller
   * must then stop them on every way out: nothing else will.
   */
  ownProcessGroup?: boolean
}

/**
 * N node processes on loopback, mDNS off (it must never run in the root namespace), each given
 * the others as bootstrap addresses. Used by the demo and `p2pfaas experiment`; logs go to files in
 * a temporary folder.
 */
/** A node told to stop gets its stop grace (`--stop-grace`) and then some before it is killed. */
const KILL_AFTER_MS = Number(NODE_FLAGS.stopGrace.default) + 10_000

export async function startLocalMesh (count: number, extraArgs: string[] = [], options: LocalMeshOptions = {}): Promise<LocalMesh> {
  const dir = await mkdtemp(join(tmpdir(), options.tmpPrefix ?? 'p2pfaas-demo-'))
  const plans: Array<{ name: string, dataDir: string, peerId: string, libp2pAddr: string, port: number, httpUrl: string, httpPort: number }> = []
  for (let i = 1; i <= count; i++) {
    const dataDir = join(dir, `node${i}`)
    const identity = await loadOrCreateIdentity(dataDir)
    const peerId = peerIdFromPrivateKey(identity.privateKey).toString()
    const port = await freePort()
    const httpPort = await freePort()
    plans.push({ name: `node${i}`, dataDir, peerId, libp2pAddr: `/ip4/127.0.0.1/tcp/${port}/p2p/${peerId}`, port, httpUrl: `http://127.0.0.1:${httpPort}`, httpPort })
  }
  const nodes: LocalNode[] = plans.map((plan, index) => {
    const args = [CLI_ENTRY, 'node', '--no-mdns', '--listen', `/ip4/127.0.0.1/tcp/${plan.port}`,
      '--http', `127.0.0.1:${plan.httpPort}`, '--data-dir', plan.dataDir, '--log-level', options.logLevel ?? 'info',
      ...plans.filter(p => p !== plan).flatMap(p => ['--bootstrap', p.libp2pAddr]), ...extraArgs, ...options.nodeArgs?.(index) ?? []]
    const logFile = join(dir, `${plan.name}.log`)
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: options.ownProcessGroup === true })
    child.stderr?.pipe(createWriteStream(logFile))
    return { name: plan.name, peerId: plan.peerId, libp2pAddr: plan.libp2pAddr, httpUrl: plan.httpUrl, dataDir: plan.dataDir, logFile, process: child }
  })

  return {
    nodes,
    dir,
    async waitForFullMesh (timeoutMs) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const views = await Promise.all(nodes.map(async n => await fetchMesh(n.httpUrl).catch(() => undefined)))
        const full = views.every((v, i) => v != null && nodes.every(other =>
          other === nodes[i] || v.peers.some(p => p.peerId === other.peerId && p.connected)))
        if (full) return views as MeshResponse[]
        const dead = nodes.find(n => n.process.exitCode != null)
        if (dead != null) throw new Error(`${dead.name} exited with code ${dead.process.exitCode}; see ${dead.logFile}`)
        if (Date.now() > deadline) throw new Error(`no full mesh after ${timeoutMs} ms; logs in ${dir}`)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    },
    async stop () {
      await Promise.all(nodes.map(async n => {
        if (n.process.exitCode != null || n.process.signalCode != null) return
        const exited = new Promise(resolve => n.process.once('exit', resolve))
        n.process.kill('SIGTERM')
        // Past the node's own stop grace: a node killed while its calls finish leaves its containers behind.
        const timer = setTimeout(() => n.process.kill('SIGKILL'), KILL_AFTER_MS)
        await exited
        clearTimeout(timer)
      }))
      await rm(dir, { recursive: true, force: true })
    }
  }
}
