import { readOptions, type AdminGuard } from './auth.js'
import type { NodeLoad } from '../mesh/load.js'
import type { MeshView } from '../mesh/view.js'
import type { FastifyInstance } from 'fastify'

export interface MeshRouteDeps {
  view: MeshView
  self: () => MeshResponse['self']
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
  const now = performance.now()
  return {
    self: deps.self(),
    peers: deps.view.all()
      .sort((a, b) => a.peerId < b.peerId ? -1 : 1)
      .map(p => ({
        peerId: p.peerId,
        addrs: [...p.addrs],
        connected: p.connected,
        link: p.link,
        lastSeenMs: Math.round(now - p.lastSeen),
        loadAgeMs: p.loadAt == null ? null : Math.round(now - p.loadAt),
        functions: [...p.functions],
        load: p.load
      }))
  }
}

export function registerMeshRoutes (app: FastifyInstance, deps: MeshRouteDeps): void {
  app.get('/mesh', readOptions(deps.readGuard), async () => meshSnapshot(deps))
}
