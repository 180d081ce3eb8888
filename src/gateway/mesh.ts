import { readOptions, type AdminGuard } from './auth.js'
import type { NodeState, PeerEntry } from '../observe/node-state.js'
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
  /** Members as every reader shows them (observe/node-state.ts). */
  peers: PeerEntry[]
}

export function meshSnapshot (deps: MeshRouteDeps): MeshResponse {
  const { peerId, addrs, digest } = deps.state.self()
  return { self: { peerId, addrs, digest }, peers: deps.state.peers() }
}

export function registerMeshRoutes (app: FastifyInstance, deps: MeshRouteDeps): void {
  app.get('/mesh', readOptions(deps.readGuard), async () => meshSnapshot(deps))
}
