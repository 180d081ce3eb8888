import { observe } from './client.js'
import { buildSnapshot, type DashboardNode, type DashboardSnapshot, type NodeReport } from './snapshot.js'
import type { NodeState } from './node-state.js'
import type { CallRecorder } from './recorder.js'
import type { Libp2p } from '@libp2p/interface'

export interface MeshObserverInit {
  /** How often peers are asked while someone watches (ms). */
  intervalMs?: number
  /** A peer whose load is older than this is shown stale (ms). */
  staleAfterMs: number
  /** A node that left stays on screen, marked gone, this long (ms). */
  keepGoneMs?: number
  seriesSeconds?: number
  functionWindowSeconds?: number
}

export interface MeshObserverComponents {
  libp2p: Pick<Libp2p, 'dialProtocol'>
  /** This node and its peers, as every reader shows them. */
  state: NodeState
  recorder: Pick<CallRecorder, 'observedSince' | 'callsSince'>
}

interface PeerCursor { report: NodeReport, sinceT: number, sinceSeq: number }

/**
 * The mesh-wide picture behind the dashboard. Gossip carries load only, so while someone watches
 * it asks every connected peer, once a second, for what changed since last time (links, counts per
 * second, recent calls) over /p2pfaas/observe/1.0.0; nobody watching costs nothing.
 */
export class MeshObserver {
  private readonly intervalMs: number
  private readonly keepGoneMs: number
  private readonly peers = new Map<string, PeerCursor>()
  private readonly gone = new Map<string, { node: DashboardNode, since: number }>()
  private readonly seen = new Map<string, DashboardNode>()
  private watchers = 0
  private timer?: ReturnType<typeof setInterval>
  private polling = false

  constructor (private readonly init: MeshObserverInit, private readonly c: MeshObserverComponents) {
    this.intervalMs = init.intervalMs ?? 1000
    this.keepGoneMs = init.keepGoneMs ?? 5 * 60_000
  }

  async start (): Promise<void> {}

  async stop (): Promise<void> {
    if (this.timer != null) clearInterval(this.timer)
    this.timer = undefined
    this.watchers = 0
  }

  /** Someone is watching until the returned function is called. */
  watch (): () => void {
    this.watchers++
    if (this.timer == null) {
      this.timer = setInterval(() => { void this.poll() }, this.intervalMs)
      void this.poll()
    }
    let released = false
    return () => {
      if (released) return
      released = true
      if (--this.watchers > 0) return
      if (this.timer != null) clearInterval(this.timer)
      this.timer = undefined
    }
  }

  /** Asks every connected peer once; a peer that does not answer keeps what it said last. */
  async poll (): Promise<void> {
    if (this.polling) return
    this.polling = true
    try {
      const connected = this.c.state.peers().filter(p => p.connected)
      await Promise.all(connected.map(async p => {
        const cursor = this.peers.get(p.peerId) ?? { report: { neighbours: [], seconds: new Map(), calls: [] }, sinceT: 0, sinceSeq: 0 }
        try {
          // observe() checks the answer's shape and bounds before it gets here.
          const r = await observe(this.c.libp2p, p.peerId, { sinceT: cursor.sinceT, sinceSeq: cursor.sinceSeq }, AbortSignal.timeout(Math.max(500, this.intervalMs)))
          cursor.report.neighbours = r.neighbours
          for (const s of r.seconds) cursor.report.seconds.set(s.t, s.functions)
          cursor.report.calls = [...cursor.report.calls, ...r.calls].slice(-100)
          cursor.sinceT = r.seconds.at(-1)?.t ?? cursor.sinceT
          cursor.sinceSeq = r.calls.at(-1)?.seq ?? cursor.sinceSeq
          this.trim(cursor.report)
          this.peers.set(p.peerId, cursor)
        } catch {}
      }))
    } finally {
      this.polling = false
    }
  }

  snapshot (): DashboardSnapshot {
    const now = Date.now()
    const self = this.c.state.self()
    const nodes: DashboardNode[] = [{ peerId: self.peerId, self: true, addrs: self.addrs, state: 'up', load: self.load, functions: self.functions }]
    const present = new Set([self.peerId])
    for (const p of this.c.state.peers()) {
      // Every member in the view is alive; a neighbour whose load is late is stale.
      const loadAge = p.link ? p.loadAgeMs ?? 0 : 0
      const node: DashboardNode = { peerId: p.peerId, self: false, addrs: p.addrs, state: loadAge > this.init.staleAfterMs ? 'stale' : 'up', lastSeenMs: p.lastSeenMs, load: p.load, functions: p.functions }
      nodes.push(node)
      present.add(p.peerId)
      this.seen.set(p.peerId, node)
      this.gone.delete(p.peerId)
    }
    for (const [id, node] of this.seen) {
      if (present.has(id)) continue
      this.seen.delete(id)
      this.peers.delete(id)
      this.gone.set(id, { node: { ...node, state: 'gone', load: { functions: [], totals: { running: 0, queued: 0, capacity: 0 } } }, since: now })
    }
    for (const [id, g] of this.gone) {
      if (now - g.since > this.keepGoneMs) this.gone.delete(id)
      else nodes.push({ ...g.node, lastSeenMs: now - g.since })
    }

    const reports = new Map<string, NodeReport>()
    reports.set(self.peerId, this.ownReport())
    for (const [id, cursor] of this.peers) if (present.has(id)) reports.set(id, cursor.report)
    return buildSnapshot({
      self: self.peerId,
      at: now,
      policy: self.policy,
      ...(self.learning === undefined ? {} : { learning: self.learning }),
      nodes,
      reports,
      seriesSeconds: this.init.seriesSeconds ?? 120,
      functionWindowSeconds: this.init.functionWindowSeconds ?? 60,
      handoffWindowMs: 3000,
      maxTraces: 50
    })
  }

  private ownReport (): NodeReport {
    const seconds = new Map(this.c.recorder.observedSince().map(s => [s.t, s.functions]))
    return { neighbours: this.c.state.neighbours(), seconds, calls: this.c.recorder.callsSince(0, 100) }
  }

  private trim (report: NodeReport): void {
    const oldest = Math.floor(Date.now() / 1000) - (this.init.seriesSeconds ?? 120)
    for (const t of report.seconds.keys()) if (t < oldest) report.seconds.delete(t)
  }
}
