import { deadlineSignal } from '../../abort.js'
import { httpTarget } from '../bench/http-target.js'
import { fetchMesh } from '../local-mesh.js'
import { LEARNING } from '../../scheduler/learning/policy.js'
import { functionBody, pollUntil, waitIdleAndViews, type ExperimentMesh, type ExperimentNode } from './mesh.js'
import type { MeshResponse } from '../../gateway/mesh.js'
import type { ExperimentSpec } from './spec.js'

/**
 * Nodes driven through their HTTP API, the way the original's experiments drove theirs: calls to
 * /function/<name>, the policy through POST /configuration/scheduler, the function through
 * /system/functions (both as admin), idleness from /monitoring/load and /mesh, CPU from /metrics.
 * Used for the local mesh this CLI starts and for `--url` nodes.
 */

export interface HttpNode {
  url: string
  /** Authorization header value (Basic admin:<secret>); without it nothing can be changed. */
  auth?: string
  pid?: number
}

export interface HttpMeshInit {
  mode: 'local' | 'url'
  nodes: readonly HttpNode[]
  fn: string
  /** Sockets per node: the most calls outstanding. */
  connections: number
  onClose: () => Promise<void>
  onKill: () => void
}

const REQUEST_MS = 10_000
const READY_MS = 60_000

async function adminRequest (node: HttpNode, path: string, body: unknown, signal: AbortSignal, method: 'POST' | 'DELETE' = 'POST'): Promise<Response> {
  if (node.auth == null) throw new Error(`${node.url}: changing a node needs its admin secret (--admin-secret-file)`)
  const deadline = deadlineSignal(REQUEST_MS, signal)
  try {
    const res = await fetch(`${node.url}${path}`, {
      method,
      headers: { authorization: node.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: deadline.signal
    })
    // Read here, while the deadline still holds: the body is what a failure message needs.
    return new Response(await res.arrayBuffer(), { status: res.status })
  } finally {
    deadline.clear()
  }
}

async function expectStatus (res: Response, status: number, what: string): Promise<void> {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${(await res.text()).slice(0, 500)}`)
}

/** Running and queued calls at a node, from the original's load probe headers. */
async function ownLoad (node: HttpNode): Promise<number> {
  const res = await fetch(`${node.url}/monitoring/load`, { signal: AbortSignal.timeout(REQUEST_MS) })
  await res.arrayBuffer()
  return Number(res.headers.get('x-p2pfaas-load') ?? NaN) + Number(res.headers.get('x-p2pfaas-queue-length') ?? NaN)
}

/** The peers a node's view still shows running or queueing something. */
const busyInView = (view: MeshResponse, peers: ReadonlySet<string>): string[] =>
  view.peers.filter(p => peers.has(p.peerId) && p.load.totals.running + p.load.totals.queued > 0).map(p => p.peerId)

export async function createHttpMesh (init: HttpMeshInit): Promise<ExperimentMesh> {
  const views = await Promise.all(init.nodes.map(async n => await fetchMesh(n.url, REQUEST_MS)))
  const nodes: ExperimentNode[] = init.nodes.map((n, index) => ({ index, peerId: views[index]!.self.peerId, url: n.url, ...(n.pid != null ? { pid: n.pid } : {}) }))
  const everyone = new Set(nodes.map(n => n.peerId))
  const targets = await Promise.all(init.nodes.map(async n => await httpTarget(new URL(n.url), { fn: init.fn, headers: {}, connections: init.connections })))
  return {
    mode: init.mode,
    nodes,
    targets,
    async deploy (spec: ExperimentSpec, signal) {
      await Promise.all(init.nodes.map(async (n, i) => {
        await expectStatus(await adminRequest(n, '/system/functions', functionBody(spec, spec.nodes[i]!), signal), 202, `deploying ${spec.function} on ${n.url}`)
      }))
    },
    async waitReady (fn, signal) {
      await pollUntil(`every node to see ${fn} on every other`, async () => {
        const now = await Promise.all(init.nodes.map(async n => await fetchMesh(n.url, REQUEST_MS)))
        return now.every((v, i) => {
          const others = nodes.filter(o => o.index !== i).map(o => o.peerId)
          return others.every(id => v.peers.some(p => p.peerId === id && p.functions.includes(fn)))
        })
      }, READY_MS, signal, 100)
    },
    async setPolicy (policy, signal) {
      await Promise.all(init.nodes.map(async n => {
        const res = await adminRequest(n, '/configuration/scheduler', policy.request, signal)
        await expectStatus(res, 200, `setting policy ${policy.label} on ${n.url}`)
        // A learning policy takes up the table its node stored (the last run's): forget it, so
        // every run learns from scratch, as a fresh instance of any other policy starts over.
        if (((await res.json()) as { name?: string }).name === LEARNING) {
          await expectStatus(await adminRequest(n, '/configuration/scheduler/learning', undefined, signal, 'DELETE'), 200, `resetting what ${policy.label} learnt on ${n.url}`)
        }
      }))
    },
    async waitIdle (signal) {
      return await waitIdleAndViews(
        async () => (await Promise.all(init.nodes.map(ownLoad))).flatMap((l, i) => l !== 0 ? [`node ${i} has ${l} running or queued`] : []),
        async () => (await Promise.all(init.nodes.map(async n => await fetchMesh(n.url, REQUEST_MS))))
          .flatMap((v, i) => busyInView(v, everyone).map(p => `node ${i} sees node ${nodes.find(n => n.peerId === p)?.index} busy`)),
        signal)
    },
    async policiesInForce () {
      return await Promise.all(init.nodes.map(async n => {
        const res = await fetch(`${n.url}/configuration/scheduler`, { signal: AbortSignal.timeout(REQUEST_MS) })
        return ((await res.json()) as { label?: string }).label ?? '?'
      }))
    },
    async cpuSeconds () {
      return await Promise.all(init.nodes.map(async n => {
        try {
          const text = await (await fetch(`${n.url}/metrics`, { signal: AbortSignal.timeout(REQUEST_MS) })).text()
          const m = /^process_cpu_seconds_total(?:\{[^}]*\})? ([\d.eE+-]+)$/m.exec(text)
          return m == null ? null : Number(m[1])
        } catch { return null }
      }))
    },
    async close () {
      await Promise.all(targets.map(async t => { await t.close?.() }))
      await init.onClose()
    },
    killNow: init.onKill
  }
}
