import { readOptions, type AdminGuard } from './auth.js'
import type { NodeLoad } from '../mesh/load.js'
import type { NodeState } from '../observe/node-state.js'
import type { FastifyInstance } from 'fastify'

export interface MeshRouteDeps {
  /** This node and its peers, as every reader shows them. */
  state: Pick<NodeState, 'self' | 'peers'>
  /** Present when reads are private (`--private-reads`). */
  readGuard?: AdminGuard
}

/** The JSON shape of `GET /mesh`; the dashboard and the CLI read the same. */
export interface MeshResponse {
  /** `digest`: of the live members and their record versions; nodes that agree on the mesh show the same. */
  self: { peerId: string, addrs: string[], digest?: string }
  peers: Array<{
    peerId: string
    addrs: string[]
    connected: boolean
    /** One of this node's overlay neighbours: its load is fresh. */
    link: boolean
    /** Milliseconds since this node last heard from or of it. */
    lastSeenMs: number
    /** Milliseconds since its load was reported to this node; null when unknown (not a neighbour). */
    loadAgeMs: number | null
    functions: string[]
    load: NodeLoad
  }>
}

export function meshSnapshot (deps: MeshRouteDeps): MeshResponse {
  const { peerId, addrs, digest } = deps.state.self()
  return {
    self: { peerId, addrs, digest },
    peers: deps.state.peers().map(p => ({
      peerId: p.peerId,
      addrs: p.addrs,
      connected: p.connected,
      link: p.link,
      lastSeenMs: p.lastSeenMs,
      loadAgeMs: p.loadAgeMs,
      functions: p.functions,
      load: p.load
    }))
  }
}

export function registerMeshRoutes (app: FastifyInstance, deps: MeshRouteDeps): void {
  app.get('/mesh', readOptions(deps.readGuard), async () => meshSnapshot(deps))
}
