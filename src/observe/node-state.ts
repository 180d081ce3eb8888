import type { NodeLoad } from '../mesh/load.js'
import type { MeshView } from '../mesh/view.js'
import type { LearningStats } from '../scheduler/learning/policy.js'

/** This node as every reader shows it: `GET /mesh`, `p2pfaas peers`, the dashboard. */
export interface SelfState {
  peerId: string
  addrs: string[]
  version: string
  /** The scheduling policy in force, as its label reads. */
  policy: string
  /** Of the live members and their record versions: nodes that agree on the mesh show the same. */
  digest: string
  load: NodeLoad
  /** Names of the functions deployed here. */
  functions: string[]
  /** The policy's learning, when the policy in force learns. */
  learning?: LearningStats
}

/** One member as this node knows it, ages in whole milliseconds up to now. */
export interface PeerEntry {
  peerId: string
  addrs: string[]
  /** A live libp2p connection to it exists right now. */
  connected: boolean
  /** One of this node's overlay neighbours: its load is fresh. */
  link: boolean
  /** Since this node last heard from or of it. */
  lastSeenMs: number
  /** Since its load was reported to this node; null when unknown (never reported). */
  loadAgeMs: number | null
  /** Names of the functions it has deployed. */
  functions: string[]
  load: NodeLoad
}

export interface NodeStateComponents {
  peerId: string
  addrs: () => string[]
  version: string
  policy: () => string
  /** The membership table's digest, as a number (shown as 16 hex digits). */
  digest: () => bigint
  /** This node's load now (the executor's). */
  load: () => NodeLoad
  functions: () => string[]
  learning?: () => LearningStats | undefined
  view: Pick<MeshView, 'all'>
  /** Monotonic clock of the view's times. Default: performance.now. */
  now?: () => number
}

/** The one place "self" and the peer list are built; every reader takes what it shows from here. */
export interface NodeState {
  self(): SelfState
  /** Every live member, by PeerId. */
  peers(): PeerEntry[]
  /** This node's overlay neighbours. */
  neighbours(): string[]
}

export function createNodeState (c: NodeStateComponents): NodeState {
  const now = c.now ?? (() => performance.now())
  const since = (at: number, t: number): number => Math.max(0, Math.round(t - at))
  return {
    self () {
      const learning = c.learning?.()
      return {
        peerId: c.peerId,
        addrs: c.addrs(),
        version: c.version,
        policy: c.policy(),
        digest: c.digest().toString(16).padStart(16, '0'),
        load: c.load(),
        functions: c.functions(),
        ...(learning === undefined ? {} : { learning })
      }
    },
    peers () {
      const t = now()
      return c.view.all()
        .sort((a, b) => a.peerId < b.peerId ? -1 : 1)
        .map(p => ({
          peerId: p.peerId,
          addrs: [...p.addrs],
          connected: p.connected,
          link: p.link,
          lastSeenMs: since(p.lastSeen, t),
          loadAgeMs: p.loadAt == null ? null : since(p.loadAt, t),
          functions: [...p.functions],
          load: p.load
        }))
    },
    neighbours () {
      return c.view.all().filter(p => p.link).map(p => p.peerId)
    }
  }
}
