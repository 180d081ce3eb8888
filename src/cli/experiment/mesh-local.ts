import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fetchMesh, startLocalMesh, type LocalMesh } from '../local-mesh.js'
import { pollUntil, type ExperimentMesh } from './mesh.js'
import { createHttpMesh } from './mesh-http.js'
import { nodeSeed } from './workload.js'
import type { ExperimentSpec } from './spec.js'

/**
 * The spec's nodes as real `p2pfaas node` processes on this machine: loopback only, mDNS off, each
 * given the others as bootstrap addresses (the demo's local mesh), each with its own seed and the
 * spec's policy modules. The process runtime: the emulated function needs no Docker engine, and
 * the nodes must not go looking for one.
 */

const START_MS = 60_000

export interface LocalExperimentInit {
  spec: ExperimentSpec
  signal: AbortSignal
  /** The nodes' log level; their logs stay in the mesh's temporary folder until it is removed. */
  logLevel?: string
}

export async function startLocalExperimentMesh (init: LocalExperimentInit): Promise<ExperimentMesh> {
  const { spec } = init
  const mesh = await startLocalMesh(spec.nodes.length, ['--runtime', 'process'], {
    tmpPrefix: 'p2pfaas-experiment-',
    ownProcessGroup: true,
    logLevel: init.logLevel ?? 'warn',
    nodeArgs: i => ['--seed', String(nodeSeed(spec.seed, i)), ...spec.modules.flatMap(m => ['--policy-module', m])]
  })
  try {
    await waitUp(mesh, init.signal)
    const auths = await Promise.all(mesh.nodes.map(async n =>
      'Basic ' + Buffer.from(`admin:${(await readFile(join(n.dataDir, 'admin-secret'), 'utf8')).trim()}`).toString('base64')))
    return await createHttpMesh({
      mode: 'local',
      nodes: mesh.nodes.map((n, i) => ({ url: n.httpUrl, auth: auths[i], ...(n.process.pid != null ? { pid: n.process.pid } : {}) })),
      fn: spec.function,
      connections: spec.cap,
      onClose: async () => { await mesh.stop() },
      onKill: () => { for (const n of mesh.nodes) n.process.kill('SIGKILL') }
    })
  } catch (err) {
    await mesh.stop()
    throw err
  }
}

/** Every node answers and knows every other as a member; a node that dies on the way fails it at once. */
async function waitUp (mesh: LocalMesh, signal: AbortSignal): Promise<void> {
  let dead: string | undefined
  await pollUntil(`${mesh.nodes.length} nodes to start and find each other (logs in ${mesh.dir})`, async () => {
    const exited = mesh.nodes.find(n => n.process.exitCode != null || n.process.signalCode != null)
    if (exited != null) { dead = `${exited.name} exited (${exited.process.exitCode ?? exited.process.signalCode}) while starting; its log: ${await readFile(exited.logFile, 'utf8').catch(() => '')}`; return true }
    const views = await Promise.all(mesh.nodes.map(async n => await fetchMesh(n.httpUrl)))
    return views.every((v, i) => mesh.nodes.every(o => o === mesh.nodes[i] || v.peers.some(p => p.peerId === o.peerId)))
  }, START_MS, signal, 100)
  if (dead != null) throw new Error(dead.slice(0, 4000))
}
