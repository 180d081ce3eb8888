import type { MemberTable } from './members.js'
import type { RemoteWarn } from '../log.js'

/** Penalty points per offence; a peer at or below -BAN_SCORE is cut off. Scores decay towards 0. */
export const PENALTY = { small: 10, severe: 50 } as const
export const BAN_SCORE = 50
const SCORE_DECAY_PER_SECOND = 0.9
/** A member an honest neighbour introduces is linked to within moments; one never reachable after this is suspect. */
const UNREACHABLE_GRACE_MS = 5000
const MAX_NEVER_REACHABLE = 32
/** New members one neighbour may introduce are counted over this window (a fleet's churn over weeks is not an attack). */
const INTRODUCTION_WINDOW_MS = 10 * 60_000
/** Peers cut off lately, remembered at most (a flood of bans must not grow memory). */
const MAX_BANNED = 1024

export interface NeighbourScoresInit {
  table: MemberTable
  /** How long the members only a banned peer vouched for are kept from coming back through it. */
  retainMs: number
  now: () => number
  warn: RemoteWarn
  /** Every peer with an open session: the neighbours whose introductions are checked. */
  sessions: () => Iterable<string>
  /** A neighbour fell to -BAN_SCORE: cut it off. */
  onBan: (peer: string, reason: string) => void
  /** Counts a record refused because its sender introduced too many members. */
  onRefused: () => void
}

/**
 * What each neighbour's conduct has cost it: penalty points that heal with time, the members it
 * introduced, and the peers cut off lately, whose inventions are forgotten as they come.
 */
export class NeighbourScores {
  private readonly scores = new Map<string, number>()
  private readonly introduced = new Map<string, number>()
  /** Peers cut off lately: whatever only they vouched for is forgotten once it is unreachable. */
  private readonly banned = new Map<string, number>()
  private introducedSince = 0

  constructor (private readonly init: NeighbourScoresInit) {}

  /** A protocol violation by a neighbour (a frame that does not decode, a hello that lies). */
  penalise (peer: string, reason: string, points: number = PENALTY.small, message?: string): void {
    const score = (this.scores.get(peer) ?? 0) - points
    this.scores.set(peer, score)
    this.init.warn(peer, reason, { score }, message ?? reason)
    if (score > -BAN_SCORE) return
    const { table, retainMs } = this.init
    this.scores.delete(peer)
    this.introduced.delete(peer)
    if (this.banned.size >= MAX_BANNED) this.banned.clear()
    this.banned.set(peer, this.init.now() + retainMs)
    this.init.onBan(peer, reason)
    table.recompute()
    table.forget(retainMs, peer)
  }

  scoreOf (peer: string): number { return this.scores.get(peer) ?? 0 }

  /**
   * Counts a new member `from` introduces. True (refuse it) when `from` has tried to introduce more
   * members in one session than a table can hold: no honest neighbour knows more members than that
   * (a fleet shares one --max-members), so it is inventing them. It is cut off, and the members
   * only it vouched for are forgotten.
   */
  refuseIntroduction (from: string): boolean {
    const max = this.init.table.maxMembers
    const n = (this.introduced.get(from) ?? 0) + 1
    this.introduced.set(from, n)
    if (n <= max) return false
    this.init.onRefused()
    if (n === max + 1) this.penalise(from, 'too many members', BAN_SCORE, `introduced more members than a mesh can have (${max})`)
    return true
  }

  /** Once a heartbeat: scores heal, made-up members are looked for, bans run out. */
  tick (elapsedMs: number): void {
    const factor = SCORE_DECAY_PER_SECOND ** (elapsedMs / 1000)
    for (const [peer, s] of this.scores) {
      const next = s * factor
      if (next > -1) this.scores.delete(peer)
      else this.scores.set(peer, next)
    }
    const now = this.init.now()
    this.checkIntroductions(now)
    if (now - this.introducedSince > INTRODUCTION_WINDOW_MS) {
      this.introduced.clear()
      this.introducedSince = now
    }
    for (const [peer, until] of this.banned) {
      if (until < now) this.banned.delete(peer)
      else this.init.table.forget(this.init.retainMs, peer)
    }
  }

  /** A neighbour's session ended: its count of introductions starts again with its next one. */
  sessionEnded (peer: string): void {
    this.introduced.delete(peer)
  }

  /**
   * Honest neighbours only pass on members someone can reach. A neighbour whose introductions stay
   * unreachable (never linked to by anyone) is making members up: cut it off, forget them.
   */
  private checkIntroductions (now: number): void {
    for (const peer of this.init.sessions()) {
      const made = this.init.table.neverReachableFrom(peer, now - UNREACHABLE_GRACE_MS)
      if (made > MAX_NEVER_REACHABLE) this.penalise(peer, 'unreachable members', BAN_SCORE, `introduced ${made} members nobody can reach`)
    }
  }
}
